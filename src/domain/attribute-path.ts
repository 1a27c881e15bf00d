import type { JsonMap, JsonValue } from './types.js';

/**
 * Reads a value from a SCIM resource by a small path language (the registration's
 * `locationSource`): `title`, `name.givenName`, `addresses[type eq "work"].locality`,
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`. A multi-valued
 * attribute without a filter reads its primary element, else its first.
 */
export function readAttribute(resource: JsonMap, path: string): string | undefined {
  const { container, rest } = splitExtension(resource, path);
  let current: JsonValue | undefined = container;
  for (const segment of rest.split('.')) {
    const match = /^([^[]+)(?:\[(\w+) eq "([^"]*)"\])?$/.exec(segment);
    if (!match || !isMap(current)) return undefined;
    const value = valueOf(current, match[1]!);
    current = Array.isArray(value) ? pickElement(value, match[2], match[3]) : value;
  }
  return typeof current === 'string' && current.trim() !== '' ? current.trim() : undefined;
}

function splitExtension(resource: JsonMap, path: string): { container: JsonValue | undefined; rest: string } {
  if (!path.startsWith('urn:')) return { container: resource, rest: path };
  const separator = path.lastIndexOf(':');
  return { container: valueOf(resource, path.slice(0, separator)), rest: path.slice(separator + 1) };
}

function pickElement(elements: JsonValue[], key: string | undefined, wanted: string | undefined): JsonValue | undefined {
  const maps = elements.filter(isMap);
  if (key) return maps.find((element) => String(valueOf(element, key) ?? '').toLowerCase() === wanted!.toLowerCase());
  return maps.find((element) => element.primary === true) ?? maps[0];
}

/** SCIM attribute names are case-insensitive. */
export function valueOf(map: JsonMap, name: string): JsonValue | undefined {
  if (name in map) return map[name];
  const key = Object.keys(map).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : map[key];
}

export function isMap(value: JsonValue | undefined): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
