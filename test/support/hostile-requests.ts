import fc from 'fast-check';
import type { HttpResult, HttpsClient } from './https-client.js';
import type { RegisteredClient } from './test-service.js';
import { sendRaw, type RawAnswer, type RawTarget } from './raw-http.js';
import { ENTERPRISE_SCHEMA, ERROR_SCHEMA, entraGroup, entraUser, patch } from '../e2e/scim-fixtures.js';

/**
 * Hostile SCIM requests for property-based tests (test/e2e/fuzz.test.ts) and the longer run
 * (bench/fuzz.ts): mutations of the bodies, paths, filters and headers Entra sends, deep nesting,
 * broken escapes and malformed HTTP. Ids of resources that must not change are mixed in, so a
 * request that damages data is generated as readily as one that is refused.
 */

export interface HostileRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Raw body text; undefined for none. */
  body?: string;
}

/** Ids the generator aims at: another registration's resources and ids that exist nowhere. */
export interface Targets {
  userIds: string[];
  groupIds: string[];
}

const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/** `[[…]]` or `{"value":{…}}` nested `levels` deep, as text (too deep for JSON.stringify). */
function nested(levels: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(levels)}1${']'.repeat(levels)}` : `${'{"value":'.repeat(levels)}"x"${'}'.repeat(levels)}`;
}

const hostileText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '%ZZ', '%E0%A4%A', '%C0%AE', '../..', '"', '\\', '\n', 'a'.repeat(5_000), '𝔘ñï©ødé', 'null', '1e309', '-0'),
);

/** Raw JSON text for a value: ordinary, odd, or deeply nested. */
const hostileJsonValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
  { weight: 2, arbitrary: hostileText.map((text) => JSON.stringify(text)) },
  { weight: 1, arbitrary: fc.constantFrom('1e308', '-1', '99999999999999999999999', 'true', 'null', '[]', '{}', '[null]', '{"":""}') },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 2, max: 10_000 }), fc.constantFrom('array' as const, 'object' as const)).map(([levels, kind]) => nested(levels, kind)) },
);

const PLACEHOLDER = '"__HOSTILE__"';

/** An Entra-shaped body with one attribute (at any depth) replaced by a hostile value. */
function mutatedBody(bases: object[]): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...bases), fc.nat(), hostileJsonValue, fc.boolean()).map(([base, pick, value, drop]) => {
    const paths = leafPaths(base);
    const path = paths[pick % paths.length]!;
    const copy = structuredClone(base) as Record<string, unknown>;
    setAt(copy, path, drop ? undefined : '__HOSTILE__');
    return JSON.stringify(copy).replace(PLACEHOLDER, value);
  });
}

function leafPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((item, index) => [index, item] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, item]) => leafPaths(item, [...prefix, key]))].filter((path) => path.length > 0);
}

function setAt(target: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  const parent = path.slice(0, -1).reduce<any>((node, key) => node[key], target);
  const key = path.at(-1)!;
  if (value === undefined && !Array.isArray(parent)) delete parent[key];
  else parent[key] = value;
}

function bodies(targets: Targets): fc.Arbitrary<string | undefined> {
  const anyId = fc.constantFrom(...targets.userIds, ...targets.groupIds);
  const bases = [
    entraUser('fuzz.user@fuzz.example'),
    entraUser('fuzz.manager@fuzz.example', { [ENTERPRISE_SCHEMA]: { manager: { value: targets.userIds[0] } } }),
    entraGroup('Fuzz group', targets.userIds),
    patch({ op: 'replace', path: 'displayName', value: 'x' }, { op: 'add', path: 'members', value: [{ value: targets.userIds[0] }] }),
    patch({ op: 'replace', value: { active: false, 'name.givenName': 'y' } }, { op: 'remove', path: `members[value eq "${targets.userIds[0]}"]` }),
    patch({ op: 'add', path: 'emails[type eq "work"].value', value: 'a@b.example' }),
    { schemas: [SEARCH], filter: 'userName eq "x"', attributes: ['userName'], startIndex: 1, count: 10 },
  ];
  return fc.oneof(
    { weight: 6, arbitrary: mutatedBody(bases) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.tuple(mutatedBody(bases), fc.nat()).map(([text, cut]) => text.slice(0, cut % (text.length + 1))) },
    { weight: 1, arbitrary: anyId.map((id) => JSON.stringify(patch({ op: 'add', path: 'members', value: [{ value: id }] }))) },
    { weight: 1, arbitrary: hostileText },
  );
}

/** Filter text: grammatical with hostile parts, huge, or noise. */
function filters(targets: Targets): fc.Arbitrary<string> {
  const attribute = fc.constantFrom('userName', 'id', 'externalId', 'emails', 'emails.value', 'emails[type eq "work"].value', 'members.value', 'meta.created', 'active', 'password', 'urn:x:y', `${ENTERPRISE_SCHEMA}:manager.value`, 'name.givenName');
  const operator = fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr', 'xx');
  const value = fc.oneof(hostileText.map((text) => JSON.stringify(text)), fc.constantFrom('true', 'False', 'null', '42', '2015-10-10T14:38:21Z', `"${targets.userIds[0]}"`));
  const term = fc.tuple(attribute, operator, value).map(([a, o, v]) => (o === 'pr' ? `${a} pr` : `${a} ${o} ${v}`));
  return fc.oneof(
    { weight: 4, arbitrary: fc.array(term, { minLength: 1, maxLength: 6 }).chain((terms) => fc.constantFrom(' and ', ' or ').map((joiner) => terms.join(joiner))) },
    { weight: 1, arbitrary: fc.tuple(term, fc.integer({ min: 50, max: 10_000 })).map(([t, n]) => Array(n).fill(t).join(' or ')) },
    { weight: 1, arbitrary: fc.tuple(term, fc.integer({ min: 2, max: 2_000 })).map(([t, n]) => `${'not ('.repeat(n)}${t}${')'.repeat(n)}`) },
    { weight: 1, arbitrary: hostileText },
  );
}

function queries(targets: Targets): fc.Arbitrary<string> {
  const names = fc.array(fc.constantFrom('userName', 'emails', 'emails[type eq "work"]', 'members', 'name.givenName', 'x', 'urn:x', '', '[', 'meta'), { maxLength: 8 });
  const parameter = fc.oneof(
    filters(targets).map((filter) => `filter=${encodeURIComponent(filter)}`),
    // Repeated names (dropped before counting) and many distinct ones (past the cap); the URL stays under Node's header limit.
    fc.tuple(names, fc.integer({ min: 1, max: 200 })).map(([list, repeat]) => `attributes=${encodeURIComponent(Array(repeat).fill(list.join(',')).join(','))}`),
    fc.integer({ min: 50, max: 1_000 }).map((count) => `attributes=${Array.from({ length: count }, (_, i) => `a${i}`).join(',')}`),
    names.map((list) => `excludedAttributes=${encodeURIComponent(list.join(','))}`),
    fc.constantFrom('startIndex', 'count').chain((name) => fc.constantFrom('0', '-1', '1e30', '99999999999999999999999', 'abc', '1.5', '9007199254740993', '').map((v) => `${name}=${v}`)),
    fc.constantFrom('sortBy=userName', 'sortBy=emails', 'sortBy=x', 'sortOrder=sideways', 'filter=%ZZ', 'attributes=%E0%A4%A', 'filter=a&filter=b'),
  );
  return fc.array(parameter, { maxLength: 3 }).map((parts) => (parts.length ? `?${parts.join('&')}` : ''));
}

function paths(targets: Targets): fc.Arbitrary<string> {
  const id = fc.oneof(fc.constantFrom(...targets.userIds, ...targets.groupIds, '00000000-0000-4000-8000-000000000000', 'not-an-id', '%ZZ', '%E0%A4%A', '%C0%AE', '..%2F..', 'a'.repeat(3_000)), hostileText.map(encodeURIComponent));
  const base = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('/Users', '/Groups', '/Users/.search', '/Groups/.search', '/.search', '/ServiceProviderConfig', '/ResourceTypes', '/Schemas', '/Bulk', '/Me', '') },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom('/Users/', '/Groups/'), fc.constantFrom(...targets.userIds, ...targets.groupIds)).map(([prefix, value]) => prefix + value) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('/Users/', '/Groups/', '/Schemas/', '/ResourceTypes/'), id).map(([prefix, value]) => prefix + value) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('/Users/', '/Groups/'), id, hostileText.map(encodeURIComponent)).map(([prefix, value, extra]) => `${prefix}${value}/${extra}`) },
  );
  return fc.tuple(base, queries(targets)).map(([path, query]) => path + query);
}

/** One time in `every`, a value; else null (absent). */
function sometimes<T>(every: number, value: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: every - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: value });
}

/** Mostly what Entra sends, so requests get past the edge; now and then a header that should be refused. */
const headers = fc
  .record({
    'content-type': fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('application/scim+json', 'application/json') },
      { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/scim+json; charset=latin1', 'application/json; charset=utf-16', 'multipart/form-data') },
    ),
    'content-encoding': sometimes(10, fc.constantFrom('gzip', 'deflate', 'br', 'x-zip', 'identity')),
    'if-match': sometimes(3, fc.oneof(fc.constantFrom('*', 'W/"1"', 'W/"999"', '"1"', 'W/"x", W/"2"'), hostileText.filter((text) => /^[\x20-\x7e]*$/.test(text)))),
    'if-none-match': sometimes(5, fc.constantFrom('W/"1"', '*')),
    accept: sometimes(3, fc.constantFrom('application/json', 'text/html', '*/*')),
  })
  .map((record) => Object.fromEntries(Object.entries(record).filter((entry): entry is [string, string] => entry[1] !== null)));

const CHUNKED_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** A hostile request to the SCIM API (sent by an authenticated client). */
export function hostileRequests(targets: Targets): fc.Arbitrary<HostileRequest> {
  return fc
    .record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'GET', 'POST', 'PATCH', 'OPTIONS'),
      path: paths(targets),
      headers,
      body: bodies(targets),
      // Sent chunked by default; sometimes with its Content-Length.
      sized: fc.boolean(),
    })
    .map(({ sized, ...request }) => {
      if (request.body === undefined) return { ...request, headers: withoutBodyHeaders(request.headers) };
      // Node's client frames GET/DELETE/OPTIONS bodies only with a Content-Length (else the bytes
      // would read as a next request: malformed HTTP is generated apart, by `malformedHttp`).
      return sized || !CHUNKED_METHODS.has(request.method) ? { ...request, headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) } } : request;
    });
}

function withoutBodyHeaders({ 'content-encoding': _encoding, 'content-type': _type, ...rest }: Record<string, string>): Record<string, string> {
  return rest;
}

/** Malformed HTTP/1.1 on the wire: what Node's parser refuses before Express sees it. */
export function malformedHttp(): fc.Arbitrary<string> {
  const line = fc.constantFrom('GET /scim/v2/Users HTTP/1.1', 'POST /scim/v2/Users HTTP/1.1', 'GET /scim/v2/%ZZ HTTP/1.1', 'GET /scim/v2/Users HTTP/1.0', 'GARBAGE', 'GET  HTTP/1.1');
  const badHeader = fc.constantFrom(
    'Content-Length: abc',
    'Content-Length: 2\r\nContent-Length: 3',
    'Content-Length: -1',
    'Transfer-Encoding: chunked\r\nContent-Length: 5',
    'Transfer-Encoding: gzip, chunked',
    'NoColon',
    'X-Nul: a\u0000b',
    'X-Ctl: \u0001',
    'Expect: teapot',
    ` X-Folded: a`,
    `X-Big: ${'a'.repeat(20_000)}`,
  );
  const body = fc.constantFrom('', '{}', 'ZZ\r\n{}\r\n0\r\n\r\n', '5\r\n{}\r\n', '{"schemas":[');
  return fc.tuple(line, fc.array(badHeader, { minLength: 1, maxLength: 2 }), body).map(([first, bad, text]) => `${first}\r\nHost: localhost\r\n${bad.join('\r\n')}\r\nConnection: close\r\n\r\n${text}`);
}

export function sendHostile(client: HttpsClient, request: HostileRequest): Promise<HttpResult> {
  return client.send(request.method, request.path, undefined, { raw: request.body, headers: request.headers });
}

export { sendRaw, type RawAnswer, type RawTarget };

/**
 * What every answer must be: never a 5xx (but 501, RFC 7644's answer for Bulk, which is not
 * supported); an error is a SCIM Error in application/scim+json. Returns the problem, if any.
 */
export function problemWith(answer: { status: number; contentType?: string; text: string }): string | undefined {
  if (answer.status >= 500 && answer.status !== 501) return `answered ${answer.status}: ${answer.text.slice(0, 300)}`;
  if (answer.status < 400) return undefined;
  if (!answer.contentType?.startsWith('application/scim+json')) return `error ${answer.status} as ${answer.contentType}: ${answer.text.slice(0, 200)}`;
  let body: { schemas?: unknown; status?: unknown; detail?: unknown } | undefined;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return `error ${answer.status} body is not JSON: ${answer.text.slice(0, 200)}`;
  }
  if (!Array.isArray(body?.schemas) || body.schemas[0] !== ERROR_SCHEMA || typeof body.detail !== 'string') return `error ${answer.status} is not a SCIM Error: ${answer.text.slice(0, 200)}`;
  if (answer.text.length > 2_000) return `error ${answer.status} body is ${answer.text.length} characters`;
  return undefined;
}

/** Every resource of a registration as its client reads them, for a byte-for-byte comparison. */
export async function snapshot(client: HttpsClient, targets: Targets): Promise<string[]> {
  const reads = [
    ...targets.userIds.map((id) => client.get(`/Users/${id}`)),
    ...targets.groupIds.map((id) => client.get(`/Groups/${id}`)),
    client.get('/Users?count=1000'),
    client.get('/Groups?count=1000'),
  ];
  return (await Promise.all(reads)).map((response) => `${response.status} ${response.headers.etag ?? ''} ${response.text}`);
}

/** Three users and two groups holding them in a registration: the data a fuzz run aims at. */
export async function createTargets(client: RegisteredClient, prefix: string): Promise<Targets> {
  const userIds: string[] = [];
  for (const name of ['ada', 'bob', 'cy']) {
    const created = await client.scim.post('/Users', entraUser(`${prefix}.${name}@contoso.example`));
    if (created.status !== 201) throw new Error(`user not created: ${created.text}`);
    userIds.push(created.body.id);
  }
  const groupIds: string[] = [];
  for (const name of ['Sales', 'Support']) groupIds.push((await client.scim.post('/Groups', entraGroup(`${prefix} ${name}`, userIds))).body.id);
  return { userIds, groupIds };
}
