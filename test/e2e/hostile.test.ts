import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { sendRaw, type RawTarget } from '../support/raw-http.js';
import type { HttpResult } from '../support/https-client.js';
import { ENTERPRISE_SCHEMA, ERROR_SCHEMA, entraGroup, entraUser, patch } from './scim-fixtures.js';
import { MAX_JSON_DEPTH } from '../../src/http/json-body.js';
import { FILTER_LIMITS } from '../../src/scim/filter-syntax.js';
import { MAX_ATTRIBUTE_NAMES } from '../../src/scim/projection.js';
import { MAX_START_INDEX } from '../../src/http/list-params.js';

const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
/** No error detail quotes more than this of what was sent (an excerpt, never the request). */
const MAX_DETAIL_CHARS = 500;

/** `[[[[…1…]]]]`, nested `levels` deep, as raw JSON text. */
const deepArray = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
/** `{"value":{"value":…"x"}}` nested `levels` deep, as raw JSON text (JSON.stringify would overflow the test's own stack). */
const deepObject = (levels: number) => `${'{"value":'.repeat(levels)}"x"${'}'.repeat(levels)}`;
/** A JSON body with `raw` JSON text in place of the string "__RAW__". */
const withRaw = (body: unknown, rawJson: string) => JSON.stringify(body).replace('"__RAW__"', rawJson);

function expectScimError(response: Pick<HttpResult, 'status' | 'headers' | 'body'>, status: number, scimType?: string) {
  expect(response.status).toBe(status);
  expect(String(response.headers['content-type'])).toContain('application/scim+json');
  expect(response.body?.schemas).toEqual([ERROR_SCHEMA]);
  if (scimType) expect(response.body.scimType).toBe(scimType);
  expect(response.body.detail.length).toBeLessThanOrEqual(MAX_DETAIL_CHARS);
}

describe.each(STORE_KINDS)('Hostile requests are refused with SCIM errors and change nothing (%s store)', (kind) => {
  let service: TestService;
  let client: RegisteredClient;
  let userId: string;
  let raw: RawTarget;
  beforeAll(async () => {
    service = await startTestService(kind);
    client = await service.registration('contoso');
    userId = (await client.scim.post('/Users', entraUser('anchor.user@contoso.example'))).body.id;
    raw = { port: service.service.scim.port, ca: service.ca.certificatePem, cert: client.certificate.certificatePem, key: client.certificate.privateKeyPem };
  });
  afterAll(() => service.stop());

  const alive = async () => expect((await client.scim.get(`/Users/${userId}`)).status).toBe(200);

  describe('body depth budget, enforced before the body is parsed', () => {
    const deepBody = () => `{"schemas":["${SEARCH}"],"userName":${deepArray(10_000)}}`;
    it.each([
      ['POST', '/Users'],
      ['PUT', '/Users/{id}'],
      ['PATCH', '/Users/{id}'],
      ['POST', '/Users/.search'],
      ['POST', '/.search'],
      ['POST', '/Groups'],
    ])('a 10,000-deep body to %s %s answers 400 invalidSyntax naming the limit, with and without Content-Length', async (method, path) => {
      const body = deepBody();
      const url = path.replace('{id}', userId);
      const chunked = await client.scim.send(method, url, undefined, { raw: body });
      const sized = await client.scim.send(method, url, undefined, { raw: body, headers: { 'content-length': String(Buffer.byteLength(body)) } });
      for (const response of [chunked, sized]) {
        expectScimError(response, 400, 'invalidSyntax');
        expect(response.body.detail).toContain(`${MAX_JSON_DEPTH} levels`);
      }
      await alive();
    });

    it('a deep manager, displayName or userName value answers 400, never 500, and the user is unchanged', async () => {
      const before = (await client.scim.get(`/Users/${userId}`)).text;
      const deep = deepObject(10_000);
      const bodies = [
        withRaw(entraUser('deep.manager@contoso.example', { [ENTERPRISE_SCHEMA]: { manager: '__RAW__' } }), deep),
        withRaw(entraUser('deep.name@contoso.example', { displayName: '__RAW__' }), deep),
        withRaw({ ...entraUser('x@contoso.example'), userName: '__RAW__' }, deep),
        withRaw(patch({ op: 'replace', path: `${ENTERPRISE_SCHEMA}:manager`, value: '__RAW__' }), deep),
        withRaw(patch({ op: 'add', value: { displayName: '__RAW__' } }), deep),
      ];
      for (const raw of bodies) {
        expectScimError(await client.scim.send('POST', '/Users', undefined, { raw }), 400, 'invalidSyntax');
        expectScimError(await client.scim.send('PUT', `/Users/${userId}`, undefined, { raw }), 400, 'invalidSyntax');
        expectScimError(await client.scim.send('PATCH', `/Users/${userId}`, undefined, { raw }), 400, 'invalidSyntax');
      }
      // Within the depth budget, a nested value is a value error, not a crash, and changes nothing.
      const nested = deepObject(MAX_JSON_DEPTH - 4);
      for (const raw of bodies.map((body) => body.replace(deep, nested))) {
        for (const [method, path] of [['PUT', `/Users/${userId}`], ['PATCH', `/Users/${userId}`]]) {
          const response = await client.scim.send(method!, path!, undefined, { raw });
          expect(response.status, `${method} ${raw.slice(0, 80)}`).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
          expectScimError(response, response.status);
        }
      }
      expect((await client.scim.get(`/Users/${userId}`)).text).toBe(before);
    });

    it('the admin API refuses a 10,000-deep body with its own error shape', async () => {
      const response = await service.admin.send('POST', '/registrations', undefined, { raw: deepArray(10_000), headers: { 'content-type': 'application/json' } });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'request.too_deep' });
      expect(response.body.message).toContain(`${MAX_JSON_DEPTH}`);
      expect((await service.admin.get('/registrations')).status).toBe(200);
    });
  });

  describe('work bounded by the size of the input', () => {
    it(`attributes listing more than ${MAX_ATTRIBUTE_NAMES} distinct names answers 400 naming the limit; repeats are dropped`, async () => {
      const many = Array.from({ length: 5_000 }, (_, i) => `name${i}`);
      const refused = await client.scim.post('/Users/.search', { schemas: [SEARCH], attributes: [many.join(',')] });
      expectScimError(refused, 400, 'invalidValue');
      expect(refused.body.detail).toContain(`${MAX_ATTRIBUTE_NAMES}`);
      const repeated = await client.scim.post('/Users/.search', { schemas: [SEARCH], attributes: [Array(5_000).fill('userName').join(',')] });
      expect(repeated.status).toBe(200);
      expect(repeated.body.Resources[0]).toEqual({ schemas: expect.any(Array), id: expect.any(String), userName: expect.any(String), meta: expect.any(Object) });
    });

    it.each([
      ['10,000 terms joined by or', Array.from({ length: 10_000 }, (_, i) => `userName eq "u${i}"`).join(' or '), `${FILTER_LIMITS.maxChars} characters`],
      ['more terms than the limit', Array.from({ length: FILTER_LIMITS.maxTerms + 1 }, () => 'id pr').join(' or '), `limit is ${FILTER_LIMITS.maxTerms}`],
      ['parentheses nested past the limit', `${'('.repeat(FILTER_LIMITS.maxNesting + 1)}id pr${')'.repeat(FILTER_LIMITS.maxNesting + 1)}`, `limit of ${FILTER_LIMITS.maxNesting}`],
      ['an unclosed string of line breaks (exponential in the tokenizer)', `userName eq "${'\n'.repeat(64)}`, 'line break'],
    ])('a filter with %s answers 400 invalidFilter naming the limit', async (_name, filter, named) => {
      const searched = await client.scim.post('/Users/.search', { schemas: [SEARCH], filter });
      expectScimError(searched, 400, 'invalidFilter');
      expect(searched.body.detail).toContain(named);
      expectScimError(await client.scim.post('/.search', { schemas: [SEARCH], filter }), 400, 'invalidFilter');
    });

    it(`a filter of ${FILTER_LIMITS.maxTerms} terms is answered by the store`, async () => {
      const filter = [`userName eq "anchor.user@contoso.example"`, ...Array.from({ length: FILTER_LIMITS.maxTerms - 1 }, (_, i) => `userName eq "u${i}"`)].join(' or ');
      const searched = await client.scim.post('/Users/.search', { schemas: [SEARCH], filter });
      expect(searched.status).toBe(200);
      expect(searched.body.totalResults).toBe(1);
    });

    it('startIndex and count beyond safe integers are clamped, never a 500', async () => {
      for (const startIndex of ['99999999999999999999999', '9007199254740993', String(2 ** 63)]) {
        const listed = await client.scim.get(`/Users?startIndex=${startIndex}&count=99999999999999999999`);
        expect(listed.status).toBe(200);
        expect(listed.body).toMatchObject({ startIndex: MAX_START_INDEX, itemsPerPage: 0, totalResults: 1 });
      }
      const searched = await client.scim.post('/.search', { schemas: [SEARCH], startIndex: 1e300, count: 1e300 });
      expect(searched.status).toBe(200);
      expect(searched.body.startIndex).toBe(MAX_START_INDEX);
      expectScimError(await client.scim.get('/Users?startIndex=1e999'), 400, 'invalidValue');
    });
  });

  describe('the edge', () => {
    it.each(['gzip', 'deflate', 'br', 'x-unknown'])('Content-Encoding %s answers 415 with a SCIM error', async (encoding) => {
      const body = JSON.stringify(entraUser('encoded@contoso.example'));
      expectScimError(await client.scim.send('POST', '/Users', undefined, { raw: body, headers: { 'content-encoding': encoding } }), 415);
      expect((await client.scim.get(`/Users?filter=${encodeURIComponent('userName eq "encoded@contoso.example"')}`)).body.totalResults).toBe(0);
    });

    it.each(['/Users/%ZZ', '/Users/%E0%A4%A', '/Users/%C0%AE', '/%ZZ/x', '/Groups/%E0%A4%A/members'])(
      'a malformed percent escape in %s answers 400 with a SCIM error, also without credentials, and is audited',
      async (path) => {
        expectScimError(await client.scim.get(path), 400, 'invalidSyntax');
        expectScimError(await service.scimClient({}).get(path), 400, 'invalidSyntax');
        await service.service.audit.recorder.flush();
        const audited = await service.admin.get('/audit/events?outcome=failure&limit=100');
        // Refused before authentication, so kept by the refusal ledger (issue 13's other half), which stores
        // the first refusal from an address and counts the repeats: at least one is there as a 400.
        const refusals = audited.body.events.filter((event: { action: string; details?: { path?: string } }) => event.action === 'Auth.Refused' && /%(ZZ|E0%A4%A|C0%AE)/.test(event.details?.path ?? ''));
        expect(refusals.length).toBeGreaterThanOrEqual(1);
        for (const event of refusals) expect(event).toMatchObject({ outcome: { status: 400, success: false } });
      },
    );

    it.each([
      ['a bad Content-Length', 'POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400],
      ['two different Content-Lengths', 'POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', 400],
      ['bad chunking', 'POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n', 400],
      ['a header without a colon', 'GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n', 400],
      ['a NUL in a header', 'GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n', 400],
      ['oversized headers', `GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
      ['an Expect Node does not know', 'GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nConnection: close\r\n\r\n', 417],
    ])('HTTP with %s is answered with a small SCIM error', async (_name, request, status) => {
      const answer = await sendRaw(raw, request);
      expect(answer.status).toBe(status);
      expect(answer.headers['content-type']).toBe('application/scim+json');
      expect(JSON.parse(answer.body)).toMatchObject({ schemas: [ERROR_SCHEMA], status });
      expect(answer.body.length).toBeLessThan(400);
      await alive();
    });

    it('invalid UTF-8 in the path is answered below 500 with a SCIM error', async () => {
      const request = Buffer.concat([Buffer.from('GET /scim/v2/Users/'), Buffer.from([0xff, 0xfe, 0xc0]), Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]);
      const answer = await sendRaw(raw, request);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.headers['content-type']).toContain('application/scim+json');
      expect(JSON.parse(answer.body)).toMatchObject({ schemas: [ERROR_SCHEMA] });
    });

    it('the admin listener answers malformed HTTP in its own JSON error shape', async () => {
      const answer = await sendRaw({ port: service.service.admin.port, ca: service.ca.certificatePem }, 'GET /admin/v1/registrations HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n');
      expect(answer.status).toBe(400);
      expect(answer.headers['content-type']).toContain('application/json');
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'request.malformed' });
    });

    it('every SCIM answer carries Cache-Control: no-store', async () => {
      expect((await client.scim.get(`/Users/${userId}`)).headers['cache-control']).toBe('no-store');
      expect((await client.scim.get('/Users/00000000-0000-4000-8000-000000000000')).headers['cache-control']).toBe('no-store');
      expect((await service.scimClient({}).get('/Users')).headers['cache-control']).toBe('no-store');
    });

    it('ids not of the shape the service issues answer 404 without reaching the store', async () => {
      for (const id of ['not-a-uuid', userId.toUpperCase(), `${userId}x`, 'x'.repeat(5_000)]) {
        const response = await client.scim.get(`/Users/${id}`);
        expectScimError(response, 404);
        expect(response.body.detail.length).toBeLessThan(150);
        expectScimError(await client.scim.delete(`/Groups/${id}`), 404);
      }
    });

    it('error details quote at most an excerpt of what was sent', async () => {
      const long = 'a'.repeat(3_000);
      const responses = [
        await client.scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${long}`)}`),
        await client.scim.get(`/Users?sortBy=${long}`),
        await client.scim.get(`/Users?attributes=emails[${long}]`),
        await client.scim.patch(`/Users/${userId}`, patch({ op: long, path: 'displayName', value: 'x' })),
        await client.scim.patch(`/Users/${userId}`, patch({ op: 'replace', path: `emails[type xx "${long}"]`, value: 'x' })),
        await client.scim.get(`/Schemas/${long}`),
        await client.scim.get(`/Users?startIndex=${long}`),
      ];
      for (const response of responses) {
        expect(response.status).toBeGreaterThanOrEqual(400);
        expectScimError(response, response.status);
        expect(response.text.length).toBeLessThan(1_000);
      }
    });
  });

  describe('DEL: DELETE honours If-Match (RFC 7644 §3.14)', () => {
    it.each([
      ['Users', () => entraUser('deleted.later@contoso.example')],
      ['Groups', () => entraGroup('Deleted later')],
    ])('a stale If-Match on DELETE /%s/{id} answers 412 and deletes nothing; the current one deletes', async (path, body) => {
      const created = await client.scim.post(`/${path}`, body());
      const id = created.body.id;
      const stale = created.headers.etag as string;
      const changed = await client.scim.patch(`/${path}/${id}`, patch({ op: 'replace', path: 'externalId', value: 'changed' }));
      expect(changed.status).toBe(204);
      expectScimError(await client.scim.delete(`/${path}/${id}`, { headers: { 'if-match': stale } }), 412);
      expect((await client.scim.get(`/${path}/${id}`)).status).toBe(200);
      expect((await client.scim.delete(`/${path}/${id}`, { headers: { 'if-match': changed.headers.etag as string } })).status).toBe(204);
      expectScimError(await client.scim.delete(`/${path}/${id}`, { headers: { 'if-match': changed.headers.etag as string } }), 404);
    });

    it('a group keeps its members when a stale If-Match refuses its DELETE', async () => {
      const group = await client.scim.post('/Groups', entraGroup('Kept members', [userId]));
      const stale = group.headers.etag as string;
      await client.scim.patch(`/Groups/${group.body.id}`, patch({ op: 'replace', path: 'displayName', value: 'Kept members 2' }));
      expectScimError(await client.scim.delete(`/Groups/${group.body.id}`, { headers: { 'if-match': stale } }), 412);
      expect((await client.scim.get(`/Groups/${group.body.id}`)).body.members).toEqual([expect.objectContaining({ value: userId })]);
    });
  });

  it('a PUT or PATCH that makes userName collide answers 409 uniqueness', async () => {
    const other = (await client.scim.post('/Users', entraUser('other.user@contoso.example'))).body.id;
    expectScimError(await client.scim.put(`/Users/${other}`, entraUser('anchor.user@contoso.example')), 409, 'uniqueness');
    expectScimError(await client.scim.patch(`/Users/${other}`, patch({ op: 'replace', path: 'userName', value: 'ANCHOR.user@contoso.example' })), 409, 'uniqueness');
    expect((await client.scim.get(`/Users/${other}`)).body.userName).toBe('other.user@contoso.example');
    // The refused writes leave nothing behind that would block the next one.
    expect((await client.scim.put(`/Users/${other}`, entraUser('other.user@contoso.example', { displayName: 'Renamed' }))).status).toBe(200);
  });
});
