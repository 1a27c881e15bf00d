import type { Json, JsonObject } from '../kernel/json.js';
import type { MemberChange } from '../directory/directory-port.js';
import { excerpt } from '../kernel/excerpt.js';
import { scimError } from './errors.js';
import { elementFilter, type ElementFilter } from './element-filter.js';
import { parseFilterText, type Filter } from './filter-syntax.js';
import { findAttribute, findChild, sameName, VOICE_USER_SCHEMA, type AttributeDefinition, type ResourceType } from './schemas.js';
import { assertRequired, withExtensionSchemas } from './validate.js';
import { isPlainObject, readMembers, readValue } from './values.js';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** A PatchOp body, read and checked: what it does to a stored resource, and (groups) to its members. */
export interface CompiledPatch {
  /**
   * The attribute operations applied in order to a stored resource, all or none (the input is not
   * modified). Throws only what depends on that resource: a filter matching no element it could
   * create (noTarget), a required attribute removed.
   */
  edit(stored: JsonObject): JsonObject;
  /** Group `members` operations, in request order; they never touch the resource. */
  memberOps: MemberChange[];
}

type OpName = 'add' | 'replace' | 'remove';

/** One attribute operation, checked and with its value read: it only has to be applied. */
type Step = (resource: JsonObject) => void;

export interface Operation {
  op: OpName;
  path?: string;
  value: unknown;
  label: string;
}

/** Where an operation applies: `emails[type eq "work"].value` is attribute `emails`, elements `type eq "work"`, sub-attribute `value`. */
interface Target {
  /** Canonical names from the resource root to the attribute. */
  path: string[];
  definition: AttributeDefinition;
  /** Set for a multi-valued attribute; undefined selects every element. */
  elements?: ElementFilter;
  filterText?: string;
  subAttribute?: AttributeDefinition;
  label: string;
}

/**
 * Reads a PatchOp body (RFC 7644 §3.5.2) without the stored resource: every syntax, path, value
 * and mutability error is found here, before anything is read from the store. Accepts the shapes
 * Microsoft Entra sends: capitalised op names, "True"/"False" strings, filtered paths that create
 * the element they name, `manager` as a plain id ("" clears it), an empty Operations array. Paths
 * naming attributes the schemas do not define are ignored, as unknown attributes are on POST;
 * `password` is never stored.
 */
export function compilePatch(resourceType: ResourceType, body: unknown): CompiledPatch {
  const steps: Step[] = [];
  const memberOps: MemberChange[] = [];
  for (const operation of readPatchOperations(body)) {
    for (const [target, value] of targetsOf(resourceType, operation)) {
      if (resourceType === 'Group' && target.path[0] === 'members') memberOps.push(...memberOperations(operation.op, target, value));
      else steps.push(...stepFor(operation.op, target, value));
    }
  }
  return {
    memberOps,
    edit(stored) {
      const resource = structuredClone(stored);
      for (const step of steps) step(resource);
      assertRequired(resourceType, resource, 'and cannot be removed');
      return withExtensionSchemas(resourceType, resource);
    },
  };
}

/** The operations of a PatchOp body, read and checked (400 when malformed), not yet resolved against the schemas. */
export function readPatchOperations(body: unknown): Operation[] {
  const shape = `a JSON object with "schemas": ["${PATCH_OP_SCHEMA}"] and an "Operations" array`;
  if (!isPlainObject(body)) throw scimError(400, 'invalidSyntax', `A PATCH body must be ${shape}`);
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.some((urn) => typeof urn === 'string' && sameName(urn, PATCH_OP_SCHEMA))) {
    throw scimError(400, 'invalidSyntax', `A PATCH body must be ${shape}; its schemas do not include ${PATCH_OP_SCHEMA}`);
  }
  const operations = Object.entries(body).find(([key]) => sameName(key, 'Operations'))?.[1];
  if (!Array.isArray(operations)) throw scimError(400, 'invalidSyntax', `A PATCH body must be ${shape}; "Operations" is missing or not an array`);
  return operations.map((operation, index) => readOperation(operation, `Operations[${index}]`));
}

function readOperation(operation: unknown, label: string): Operation {
  if (!isPlainObject(operation)) throw scimError(400, 'invalidSyntax', `${label} must be an object with "op", "path" and "value"`);
  const op = typeof operation.op === 'string' ? operation.op.toLowerCase() : undefined;
  if (op !== 'add' && op !== 'replace' && op !== 'remove') {
    throw scimError(400, 'invalidSyntax', `${label}.op must be "add", "replace" or "remove", not ${excerpt(JSON.stringify(operation.op) ?? '', 60)}`);
  }
  const path = operation.path;
  if (path !== undefined && typeof path !== 'string') throw scimError(400, 'invalidPath', `${label}.path must be a string`);
  return { op, value: operation.value, label, ...(path?.trim() ? { path: path.trim() } : {}) };
}

/** A path-less add or replace carries attributes (or attribute paths, as Entra sends) as the keys of its value. */
function targetsOf(resourceType: ResourceType, { op, path, value, label }: Operation): [Target, unknown][] {
  if (path !== undefined) {
    const target = resolveTarget(resourceType, path, label);
    return target ? [[target, value]] : [];
  }
  if (op === 'remove') throw scimError(400, 'noTarget', `${label}: a remove needs a "path" naming what to remove`);
  if (!isPlainObject(value)) throw scimError(400, 'invalidValue', `${label}: an ${op} without a "path" needs an object of attributes as its value`);
  return Object.entries(value).flatMap(([key, item]): [Target, unknown][] => {
    const target = sameName(key, 'schemas') ? undefined : resolveTarget(resourceType, key, `${label}.value.${excerpt(key, 60)}`);
    return target ? [[target, item]] : [];
  });
}

const VALUE_PATH = /^([^[\]]+)\[(.+)\](?:\.([^.[\]]+))?$/s;

function resolveTarget(resourceType: ResourceType, path: string, label: string): Target | undefined {
  const valuePath = VALUE_PATH.exec(path);
  if (!valuePath && /[[\]]/.test(path)) throw scimError(400, 'invalidPath', `${label}: path '${excerpt(path)}' is malformed; expected attribute[filter] or attribute[filter].subAttribute`);
  const resolved = findAttribute(resourceType, valuePath ? valuePath[1]!.trim() : path);
  if (!resolved) return undefined;
  const target = valuePath ? filteredTarget(resolved.path, resolved.definition, valuePath[2]!, valuePath[3], path, label) : undefined;
  if (target !== undefined || valuePath) return target;
  // `emails.value` without a filter addresses the sub-attribute of every element.
  if (resolved.parent?.multiValued) {
    return { path: resolved.path.slice(0, -1), definition: resolved.parent, subAttribute: resolved.definition, label: path };
  }
  return { path: resolved.path, definition: resolved.definition, label: path };
}

function filteredTarget(
  path: string[],
  definition: AttributeDefinition,
  filterText: string,
  subName: string | undefined,
  text: string,
  label: string,
): Target | undefined {
  if (!definition.multiValued || definition.type !== 'complex') {
    throw scimError(400, 'invalidPath', `${label}: path '${excerpt(text)}' filters ${definition.name}, which is not a multi-valued complex attribute`);
  }
  const subAttribute = subName === undefined ? undefined : findChild(definition.subAttributes, subName);
  if (subName !== undefined && !subAttribute) return undefined;
  return {
    path,
    definition,
    elements: elementFilter(definition, filterText),
    filterText,
    label: text,
    ...(subAttribute ? { subAttribute } : {}),
  };
}

function memberOperations(op: OpName, target: Target, value: unknown): MemberChange[] {
  const label = target.label;
  if (target.subAttribute || (target.filterText !== undefined && op !== 'remove')) {
    throw scimError(400, 'invalidPath', `${label}: members are changed with path "members" (add, replace, remove) or removed with members[value eq "<id>"]`);
  }
  if (target.filterText !== undefined) return [{ kind: 'remove', ids: memberIdsOf(parseFilterText(target.filterText), label) }];
  if (op === 'remove') return value === undefined || value === null ? [{ kind: 'removeAll' }] : [{ kind: 'remove', ids: readMembers(value, label).map((member) => member.value) }];
  const members = readMembers(value, label);
  const add: MemberChange[] = members.length > 0 ? [{ kind: 'add', members }] : [];
  return op === 'replace' ? [{ kind: 'removeAll' }, ...add] : add;
}

/** `members[value eq "a"]` or `members[value eq "a" or value eq "b"]`: anything else would need the member list loaded. */
function memberIdsOf(filter: Filter, label: string): string[] {
  if (filter.op === 'or') return filter.filters.flatMap((operand) => memberIdsOf(operand, label));
  if (filter.op === 'eq' && /^(members\.)?value$/i.test(filter.attrPath) && typeof filter.compValue === 'string') return [filter.compValue];
  throw scimError(400, 'invalidFilter', `${label}: members can only be selected by id, as members[value eq "<id>"]`);
}

/** No step for what is never stored: `returned: never` attributes (password) and MAP-8's portal-owned extension. */
function stepFor(op: OpName, target: Target, value: unknown): Step[] {
  const definition = target.subAttribute ?? target.definition;
  if (definition.returned === 'never') return [];
  // MAP-8: extension and DID pushed from Azure AD never overwrite the portal's, and must not fail
  // the rest of Entra's PATCH (a name change in the same request); like POST and PUT, they are ignored.
  if (target.path[0] === VOICE_USER_SCHEMA) return [];
  if (definition.mutability === 'readOnly' || target.definition.mutability === 'readOnly') {
    throw scimError(400, 'mutability', `${target.label} is read-only: it is set by the service and cannot be changed`);
  }
  if (target.definition.multiValued && (target.elements || target.subAttribute)) return [elementsStep(op, target, value)];
  return [attributeStep(op, target, value)];
}

/**
 * Values are read once, here; each application writes a copy, so an edit applied again (a PATCH
 * retried after a concurrent write) starts from the same values.
 */
function attributeStep(op: OpName, { path, definition, label }: Target, value: unknown): Step {
  const read = op === 'remove' ? undefined : readValue(definition, value, label);
  if (read === undefined) return (resource) => removeAt(resource, path);
  return (resource) => writeAttribute(resource, op, path, definition, structuredClone(read));
}

function writeAttribute(resource: JsonObject, op: OpName, path: string[], definition: AttributeDefinition, read: Json): void {
  const container = containerAt(resource, path);
  const key = path.at(-1)!;
  const existing = container[key];
  if (definition.multiValued) {
    const appending = op === 'add' && Array.isArray(existing);
    const written = appending ? (read as Json[]).filter((element) => !containsJson(existing, element)) : (read as Json[]);
    const elements = appending ? [...existing, ...written] : written;
    keepOnePrimary(elements, written);
    container[key] = elements;
  } else if (definition.type === 'complex' && isPlainObject(existing)) {
    // RFC 7644 §3.5.2.1/§3.5.2.3: sub-attributes not given are left unchanged.
    container[key] = { ...existing, ...(read as JsonObject) };
  } else {
    container[key] = read;
  }
}

function elementsStep(op: OpName, target: Target, value: unknown): Step {
  const update = op === 'remove' ? {} : elementUpdate(target, value);
  return (resource) => {
    const key = target.path.at(-1)!;
    const container = containerAt(resource, target.path);
    const elements = Array.isArray(container[key]) ? (container[key] as Json[]) : [];
    const matched = elements.filter((element) => isPlainObject(element) && (!target.elements || target.elements.matches(element))) as JsonObject[];
    const remaining = op === 'remove' ? removeFromElements(elements, matched, target.subAttribute) : writeToElements(elements, matched, target, structuredClone(update));
    if (remaining.length > 0) container[key] = remaining;
    else removeAt(resource, target.path);
  };
}

function removeFromElements(elements: Json[], matched: JsonObject[], subAttribute: AttributeDefinition | undefined): Json[] {
  if (!subAttribute) return elements.filter((element) => !matched.includes(element as JsonObject));
  for (const element of matched) delete element[subAttribute.name];
  return elements.filter((element) => !isPlainObject(element) || Object.keys(element).length > 0);
}

function writeToElements(elements: Json[], matched: JsonObject[], target: Target, update: Record<string, Json | undefined>): Json[] {
  if (matched.length === 0 && Object.values(update).every((item) => item === undefined)) return elements;
  const written = matched.length > 0 ? matched : [newElement(target)];
  for (const element of written) {
    for (const [name, item] of Object.entries(update)) {
      if (item === undefined) delete element[name];
      else element[name] = item;
    }
  }
  const result = matched.length > 0 ? elements : [...elements, ...written];
  keepOnePrimary(result, written);
  return result;
}

/** The sub-attribute values an add/replace writes into each selected element (undefined clears one). */
function elementUpdate(target: Target, value: unknown): Record<string, Json | undefined> {
  if (target.subAttribute) return { [target.subAttribute.name]: readValue(target.subAttribute, value, target.label) };
  const read = readValue({ ...target.definition, multiValued: false }, value, target.label);
  return isPlainObject(read) ? (read as JsonObject) : {};
}

/**
 * Entra adds `phoneNumbers[type eq "mobile"].value` to users that have no mobile number: the
 * element the filter describes is created (RFC 7644 would answer noTarget).
 */
function newElement(target: Target): JsonObject {
  if (target.elements && !target.elements.template) {
    throw scimError(400, 'noTarget', `${target.label}: no element matches, and the filter does not describe one to create (use eq conditions joined by and)`);
  }
  return { ...target.elements?.template };
}

/** RFC 7643 §2.4: at most one element is primary; the one just written wins. */
function keepOnePrimary(elements: Json[], written: Json[]): void {
  const winner = written.findLast((element) => isPlainObject(element) && element.primary === true);
  if (!winner) return;
  for (const element of elements) {
    if (element !== winner && isPlainObject(element) && element.primary === true) element.primary = false;
  }
}

/** The object holding the last name of `path`, created on the way when missing. */
function containerAt(resource: JsonObject, path: string[]): JsonObject {
  let container = resource;
  for (const name of path.slice(0, -1)) {
    if (!isPlainObject(container[name])) container[name] = {};
    container = container[name] as JsonObject;
  }
  return container;
}

/** Removes the attribute at `path`, and the complex attributes (or extensions) it leaves empty. */
function removeAt(resource: JsonObject, path: string[]): void {
  const chain: JsonObject[] = [resource];
  for (const name of path.slice(0, -1)) {
    const next = chain.at(-1)![name];
    if (!isPlainObject(next)) return;
    chain.push(next as JsonObject);
  }
  delete chain.at(-1)![path.at(-1)!];
  for (let depth = chain.length - 1; depth > 0 && Object.keys(chain[depth]!).length === 0; depth--) delete chain[depth - 1]![path[depth - 1]!];
}

function containsJson(elements: Json[], candidate: Json): boolean {
  const text = JSON.stringify(candidate);
  return elements.some((element) => JSON.stringify(element) === text);
}
