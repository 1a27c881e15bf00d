import type { Json, JsonObject } from '../store/store.js';
import { scimError } from './errors.js';
import { elementFilter, type ElementFilter } from './element-filter.js';
import { findAttribute, findChild, type AttributeDefinition, type ResourceType, rootAttributes } from './schemas.js';
import { isPlainObject } from './values.js';

export interface View {
  /** RFC 7644 §3.4.2.5, comma-separated. */
  attributes?: string;
  excludedAttributes?: string;
}

/** An entry of `attributes`/`excludedAttributes`, resolved to canonical names. */
interface Selection {
  path: string[];
  /** Microsoft's `emails[type eq "work"]`: only the matching elements of the attribute at `path`. */
  elements?: ElementFilter;
}

/** Returned whatever the client asks (RFC 7644 §3.9 returns `id` always; `schemas` and `meta` describe the resource). */
const ALWAYS_RETURNED = new Set(['id', 'schemas', 'meta']);

/**
 * Applies `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) to a rendered resource.
 * `returned: never` attributes (password) are never returned. `attr[filter]` selects the attribute
 * and keeps only its matching elements; names the schema does not know are ignored.
 */
export function projectResource(resourceType: ResourceType, resource: JsonObject, view: View): JsonObject {
  const selected = readSelections(resourceType, view.attributes);
  const excluded = readSelections(resourceType, view.excludedAttributes) ?? [];
  const projector = new Projector(selected, excluded);
  const projected: JsonObject = {};
  for (const [key, value] of Object.entries(resource)) {
    const kept = ALWAYS_RETURNED.has(key) ? value : projector.project(value, findChild(rootAttributes(resourceType), key), [key], selected === undefined);
    if (kept !== undefined) projected[key] = kept;
  }
  return projected;
}

/** Whether a group's members must be loaded at all for this view: never for `excludedAttributes=members`. */
export function wantsMembers(excludedAttributes?: string, attributes?: string): boolean {
  const members = ['members'];
  if (readSelections('Group', excludedAttributes)?.some((selection) => startsWith(members, selection.path))) return false;
  const selected = readSelections('Group', attributes);
  return selected === undefined || selected.some((selection) => startsWith(members, selection.path) || startsWith(selection.path, members));
}

class Projector {
  constructor(
    private readonly selected: Selection[] | undefined,
    private readonly excluded: Selection[],
  ) {}

  project(value: Json, definition: AttributeDefinition | undefined, path: string[], ancestorIncluded: boolean): Json | undefined {
    if (definition?.returned === 'never') return undefined;
    if (definition?.returned === 'always') return value;
    if (this.excluded.some((selection) => startsWith(path, selection.path))) return undefined;
    const included = this.isSelected(path) || (ancestorIncluded && definition?.returned !== 'request');
    const filtered = this.filterElements(value, path);
    const narrowed = this.hasBelow(this.selected ?? [], path) || this.hasBelow(this.excluded, path);
    if (!narrowed || !definition?.subAttributes) return included ? filtered : undefined;
    return this.projectChildren(filtered, definition.subAttributes, path, included);
  }

  private projectChildren(value: Json, attributes: AttributeDefinition[], path: string[], included: boolean): Json | undefined {
    if (Array.isArray(value)) {
      const elements = value.map((element) => this.projectChildren(element, attributes, path, included)).filter((element) => element !== undefined);
      return elements.length > 0 ? elements : undefined;
    }
    if (!isPlainObject(value)) return included ? value : undefined;
    const projected: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      const definition = findChild(attributes, key);
      const kept = this.project(item, definition, [...path, definition?.name ?? key], included);
      if (kept !== undefined) projected[key] = kept;
    }
    return Object.keys(projected).length > 0 ? projected : undefined;
  }

  private isSelected(path: string[]): boolean {
    return (this.selected ?? []).some((selection) => startsWith(path, selection.path));
  }

  private hasBelow(selections: Selection[], path: string[]): boolean {
    return selections.some((selection) => selection.path.length > path.length && startsWith(selection.path, path));
  }

  /** Element filters apply only when every selection of this attribute carries one. */
  private filterElements(value: Json, path: string[]): Json {
    const touching = (this.selected ?? []).filter((selection) => startsWith(selection.path, path));
    if (!Array.isArray(value) || touching.length === 0 || touching.some((selection) => !selection.elements)) return value;
    return value.filter((element) => touching.some((selection) => selection.elements!.matches(element)));
  }
}

function startsWith(path: string[], prefix: string[]): boolean {
  return prefix.length <= path.length && prefix.every((name, index) => name === path[index]);
}

function readSelections(resourceType: ResourceType, list: string | undefined): Selection[] | undefined {
  if (list === undefined) return undefined;
  return splitAttributeList(list).flatMap((item) => {
    const selection = readSelection(resourceType, item);
    return selection ? [selection] : [];
  });
}

const VALUE_PATH = /^([^[\]]+)\[(.*)\]$/s;

function readSelection(resourceType: ResourceType, item: string): Selection | undefined {
  const valuePath = VALUE_PATH.exec(item);
  if (!valuePath) {
    if (item.includes('[')) throw scimError(400, 'invalidValue', `'${item}' is not an attribute name or name[filter]`);
    const resolved = findAttribute(resourceType, item);
    return resolved && { path: resolved.path };
  }
  const resolved = findAttribute(resourceType, valuePath[1]!.trim());
  if (!resolved) return undefined;
  if (!resolved.definition.multiValued || resolved.definition.type !== 'complex') {
    throw scimError(400, 'invalidValue', `'${item}' filters ${resolved.definition.name}, which is not a multi-valued complex attribute`);
  }
  return { path: resolved.path, elements: elementFilter(resolved.definition, valuePath[2]!) };
}

/** Splits at commas that are not inside `[…]` or a quoted string (`emails[type eq "a,b"]`). */
function splitAttributeList(list: string): string[] {
  const items: string[] = [];
  let current = '';
  let depth = 0;
  let quoted = false;
  for (let index = 0; index < list.length; index++) {
    const char = list[index]!;
    if (char === '"' && list[index - 1] !== '\\') quoted = !quoted;
    if (!quoted && char === '[') depth++;
    if (!quoted && char === ']') depth--;
    if (char === ',' && depth === 0 && !quoted) {
      items.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  return [...items, current].map((item) => item.trim()).filter((item) => item !== '');
}
