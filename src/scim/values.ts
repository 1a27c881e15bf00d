import type { Json, JsonObject } from '../kernel/json.js';
import type { Member } from '../directory/directory-port.js';
import { scimError } from './errors.js';
import { excerpt } from '../kernel/excerpt.js';
import { findChild, type AttributeDefinition } from './schemas.js';

/** Entra sends booleans as "True"/"False"; any letter case is accepted. */
export function parseBooleanText(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Only client-owned data is stored: read-only attributes (id, meta, groups, the voice-portal
 * extension) belong to the service, and `returned: never` ones (password) would be dead weight.
 */
export function isStored(definition: AttributeDefinition): boolean {
  return definition.mutability !== 'readOnly' && definition.returned !== 'never';
}

/**
 * Reads what a client sent for an attribute: checks its type, turns "True"/"False" into booleans,
 * drops unknown and service-owned sub-attributes, and keeps everything else exactly as sent
 * (phone numbers are not reformatted, non-canonical `type` values such as "Work" are kept).
 * Returns undefined for an unassigned value: null, an empty array or object (RFC 7643 §2.5).
 */
export function readValue(definition: AttributeDefinition, value: unknown, label: string): Json | undefined {
  if (value === null || value === undefined) return undefined;
  if (!definition.multiValued) return readSingleValue(definition, value, label);
  // A lone value is one element, as for complex ones: Entra cannot send a multi-valued custom attribute.
  const elements = Array.isArray(value) ? value : definition.type !== 'complex' || isPlainObject(value) ? [value] : undefined;
  if (!elements) throw invalidValue(`${label} must be an array, not ${describeValue(value)}`);
  const read = elements.map((element, index) => readSingleValue(definition, element, `${label}[${index}]`)).filter((element) => element !== undefined);
  return read.length > 0 ? read : undefined;
}

function readSingleValue(definition: AttributeDefinition, value: unknown, label: string): Json | undefined {
  if (value === null) return undefined;
  switch (definition.type) {
    case 'complex':
      return readComplexValue(definition, value, label);
    case 'boolean': {
      const parsed = typeof value === 'boolean' ? value : typeof value === 'string' ? parseBooleanText(value) : undefined;
      if (parsed === undefined) throw invalidValue(`${label} must be true or false, not ${describeValue(value)}`);
      return parsed;
    }
    case 'integer':
    case 'decimal':
      if (typeof value !== 'number' || (definition.type === 'integer' && !Number.isInteger(value))) {
        throw invalidValue(`${label} must be ${definition.type === 'integer' ? 'an integer' : 'a number'}, not ${describeValue(value)}`);
      }
      return value;
    case 'dateTime':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw invalidValue(`${label} must be a dateTime such as "2015-10-10T14:38:21Z", not ${describeValue(value)}`);
      return value;
    default:
      if (typeof value !== 'string') throw invalidValue(`${label} must be a string, not ${describeValue(value)}`);
      return value;
  }
}

/**
 * Besides an object, a single-valued complex attribute with a `value` sub-attribute accepts the
 * shapes Entra sends for `manager`: a plain id string ("" clears it) or a one-element array.
 */
function readComplexValue(definition: AttributeDefinition, value: unknown, label: string): Json | undefined {
  const hasValue = !definition.multiValued && findChild(definition.subAttributes, 'value') !== undefined;
  if (hasValue && typeof value === 'string') return value === '' ? undefined : { value };
  if (hasValue && Array.isArray(value) && value.length <= 1) return value.length === 0 ? undefined : readComplexValue(definition, value[0], label);
  if (!isPlainObject(value)) throw invalidValue(`${label} must be an object with ${subAttributeNames(definition)}, not ${describeValue(value)}`);
  // An extension (a complex attribute named by its URN) is followed by ':' in attribute paths.
  return readObject(definition.subAttributes ?? [], value, `${label}${definition.name.includes(':') ? ':' : '.'}`);
}

/**
 * Keeps the known, client-owned attributes of an object under their canonical names.
 * `labelPrefix` leads the attribute names in error details: '' at the root, `name.` inside `name`.
 */
export function readObject(attributes: AttributeDefinition[], value: Record<string, unknown>, labelPrefix: string): JsonObject | undefined {
  const result: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    const definition = findChild(attributes, key);
    if (!definition || !isStored(definition)) continue;
    const read = readValue(definition, item, labelPrefix + definition.name);
    if (read !== undefined) result[definition.name] = read;
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

/** Group members as sent: `[{ "value": "<user id>" }, …]`; `display` and `type` are kept when given. */
export function readMembers(value: unknown, label = 'members'): Member[] {
  if (value === null || value === undefined) return [];
  const elements = Array.isArray(value) ? value : [value];
  const members = elements.map((element, index) => readMember(element, `${label}[${index}]`));
  // A user listed twice is one membership; stores insert memberships with a unique key.
  return members.filter((member, index) => members.findIndex((other) => other.value === member.value) === index);
}

function readMember(element: unknown, label: string): Member {
  if (!isPlainObject(element) || typeof element.value !== 'string' || element.value === '') {
    throw invalidValue(`${label} must be an object whose "value" is the id of a user, not ${describeValue(element)}`);
  }
  return {
    value: element.value,
    ...(displayOf(element) ? { display: displayOf(element) } : {}),
    ...(typeof element.type === 'string' ? { type: element.type } : {}),
  };
}

/** `display` per RFC 7643; Microsoft's reference clients send `displayName` in member objects. */
function displayOf(element: Record<string, unknown>): string | undefined {
  const display = element.display ?? element.displayName;
  return typeof display === 'string' ? display : undefined;
}

function subAttributeNames(definition: AttributeDefinition): string {
  return `sub-attributes such as ${(definition.subAttributes ?? []).slice(0, 3).map((attribute) => attribute.name).join(', ')}`;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (isPlainObject(value)) return 'an object';
  return excerpt(JSON.stringify(value) ?? String(value), 60);
}

function invalidValue(detail: string) {
  return scimError(400, 'invalidValue', detail);
}
