import type { Json, JsonObject } from '../kernel/json.js';
import { scimError } from './errors.js';
import { elementFilter, type ElementFilter } from './element-filter.js';
import { findAttribute, findChild, type AttributeDefinition, type ResourceType, rootAttributes } from './schemas.js';
import { isPlainObject } from './values.js';
import { excerpt } from '../kernel/excerpt.js';

/**
 * Most distinct names `attributes` or `excludedAttributes` may list. Every attribute and
 * sub-attribute of a User is fewer than this; repeats are dropped before counting.
 */
export const MAX_ATTRIBUTE_NAMES = 100;

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
  return createProjection(resourceType, view)(resource);
}

/**
 * The view read once, for every resource of a page: reading it per resource made a list's cost
 * the product of its page size and the number of names asked for.
 */
export function createProjection(resourceType: ResourceType, view: View): (resource: JsonObject) => JsonObject {
  const selected = readSelections(resourceType, view.attributes);
  const excluded = readSelections(resourceType, view.excludedAttributes) ?? [];
  const projector = new Projector(selected, excluded);
  return (resource) => {
    const projected: JsonObject = {};
    for (const [key, value] of Object.entries(resource)) {
      const kept = ALWAYS_RETURNED.has(key) ? value : projector.project(value, findChild(rootAttributes(resourceType), key), [key], selected === undefined);
      if (kept !== undefined) projected[key] = kept;
    }
    return projected;
  };
}

/** Whether a group's members must be loaded at all for this view: never for `excludedAttributes=members`. */
export function wantsMembers(excludedAttributes?: string, attributes?: string): boolean {
  const members = ['members'];
  if (readSelections('Group', excludedAttributes)?.some((selection) => startsWith(members, selection.path))) return false;
  const selected = readSelections('Group', attributes);
  return selected === undefined || selected.some((selection) => startsWith(members, selection.path) || startsWith(selection.path, members));
}

/**
 * Selections indexed by path, so each attribute of each resource costs a few set lookups
 * whatever the number of names the client listed (projection stays linear in the page).
 */
class SelectionIndex {
  private readonly exact = new Set<string>();
  /** Strict prefixes of selected paths: an attribute with a selection below it. */
  private readonly above = new Set<string>();
  /** Every selection at or below a path. */
  private readonly atOrBelow = new Map<string, Selection[]>();

  constructor(selections: Selection[]) {
    for (const selection of selections) {
      this.exact.add(keyOf(selection.path));
      for (let length = 1; length <= selection.path.length; length++) {
        const key = keyOf(selection.path.slice(0, length));
        if (length < selection.path.length) this.above.add(key);
        this.atOrBelow.set(key, [...(this.atOrBelow.get(key) ?? []), selection]);
      }
    }
  }

  /** A selection names this path or one of its ancestors. */
  covers(path: string[]): boolean {
    for (let length = 1; length <= path.length; length++) if (this.exact.has(keyOf(path.slice(0, length)))) return true;
    return false;
  }

  hasBelow(path: string[]): boolean {
    return this.above.has(keyOf(path));
  }

  touching(path: string[]): Selection[] {
    return this.atOrBelow.get(keyOf(path)) ?? [];
  }
}

const keyOf = (path: string[]) => path.join('\u0000');

class Projector {
  private readonly selected: SelectionIndex;
  private readonly excluded: SelectionIndex;

  constructor(selected: Selection[] | undefined, excluded: Selection[]) {
    this.selected = new SelectionIndex(selected ?? []);
    this.excluded = new SelectionIndex(excluded);
  }

  project(value: Json, definition: AttributeDefinition | undefined, path: string[], ancestorIncluded: boolean): Json | undefined {
    if (definition?.returned === 'never') return undefined;
    if (definition?.returned === 'always') return value;
    if (this.excluded.covers(path)) return undefined;
    const included = this.selected.covers(path) || (ancestorIncluded && definition?.returned !== 'request');
    const filtered = this.filterElements(value, path);
    const narrowed = this.selected.hasBelow(path) || this.excluded.hasBelow(path);
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

  /** Element filters apply only when every selection of this attribute carries one. */
  private filterElements(value: Json, path: string[]): Json {
    const touching = this.selected.touching(path);
    if (!Array.isArray(value) || touching.length === 0 || touching.some((selection) => !selection.elements)) return value;
    return value.filter((element) => touching.some((selection) => selection.elements!.matches(element)));
  }
}

function startsWith(path: string[], prefix: string[]): boolean {
  return prefix.length <= path.length && prefix.every((name, index) => name === path[index]);
}

function readSelections(resourceType: ResourceType, list: string | undefined): Selection[] | undefined {
  if (list === undefined) return undefined;
  const items = [...new Set(splitAttributeList(list))];
  if (items.length > MAX_ATTRIBUTE_NAMES) {
    throw scimError(400, 'invalidValue', `${items.length} distinct attribute names were listed; at most ${MAX_ATTRIBUTE_NAMES} are accepted`);
  }
  return items.flatMap((item) => {
    const selection = readSelection(resourceType, item);
    return selection ? [selection] : [];
  });
}

const VALUE_PATH = /^([^[\]]+)\[(.*)\]$/s;

function readSelection(resourceType: ResourceType, item: string): Selection | undefined {
  const valuePath = VALUE_PATH.exec(item);
  if (!valuePath) {
    if (item.includes('[')) throw scimError(400, 'invalidValue', `'${excerpt(item)}' is not an attribute name or name[filter]`);
    const resolved = findAttribute(resourceType, item);
    return resolved && { path: resolved.path };
  }
  const resolved = findAttribute(resourceType, valuePath[1]!.trim());
  if (!resolved) return undefined;
  if (!resolved.definition.multiValued || resolved.definition.type !== 'complex') {
    throw scimError(400, 'invalidValue', `'${excerpt(item)}' filters ${resolved.definition.name}, which is not a multi-valued complex attribute`);
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
