import type { Json } from '../../kernel/json.js';

/**
 * SCIM extension URNs are attribute names containing dots (`…:enterprise:2.0:User`), which a
 * MongoDB field path cannot address and FerretDB refuses to store. Keys are percent-escaped on
 * the way in (`%`, `.`, a leading `$`) and unescaped on the way out.
 */
export function escapeKey(key: string): string {
  return key.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/^\$/, '%24');
}

function unescapeKey(key: string): string {
  return key.replace(/%2E/g, '.').replace(/%24/g, '$').replace(/%25/g, '%');
}

export function escapeKeys(value: Json): Json {
  return mapKeys(value, escapeKey);
}

export function unescapeKeys(value: Json): Json {
  return mapKeys(value, unescapeKey);
}

function mapKeys(value: Json, rename: (key: string) => string): Json {
  if (Array.isArray(value)) return value.map((item) => mapKeys(item, rename));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [rename(key), mapKeys(item, rename)]));
}
