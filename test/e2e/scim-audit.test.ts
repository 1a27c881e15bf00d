import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { MAX_JSON_DEPTH } from '../../src/http/json-body.js';
import { startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { entraGroup, entraUser, PATCH_SCHEMA, patch } from './scim-fixtures.js';

const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const PASSWORD = 'Hunter2-never-in-the-trail';

/**
 * AUD-1: the audit event of each SCIM operation, field by field, through the real service. The
 * events are made from what the route, the handler and the error handler told the request's
 * audit context; these are the fields support searches and reads. (The trail is written the same
 * way whatever the store; the stores' own tests cover how events are kept and found.)
 */
describe('AUD-1: SCIM requests in the audit trail (sqlite store)', () => {
  let service: TestService;
  let client: RegisteredClient;
  let sequence = 0;
  let janeId: string;
  let bobId: string;
  let groupId: string;

  beforeAll(async () => {
    service = await startTestService('sqlite');
    client = await service.registration('contoso');
    janeId = (await client.scim.post('/Users', entraUser('jane.doe@contoso.example'))).body.id;
    bobId = (await client.scim.post('/Users', entraUser('bob.roe@contoso.example'))).body.id;
    groupId = (await client.scim.post('/Groups', entraGroup('Sales', [janeId]))).body.id;
  });
  afterAll(() => service.stop());

  /** Sends one request and returns its status and the SCIM request's audit event (not the reconcile events it caused). */
  async function audited(method: string, path: string, body?: unknown, options: { raw?: string; headers?: Record<string, string> } = {}) {
    const correlationId = `scim-audit-${++sequence}`;
    const response = await client.scim.send(method, path, body, { ...options, headers: { 'client-request-id': correlationId, ...options.headers } });
    // The event is recorded once the response is out, which the client may see first: wait for it.
    const scimEvents = async () => {
      await service.service.audit.recorder.flush();
      const events = (await service.admin.get(`/audit/events?correlationId=${correlationId}`)).body.events as AuditEvent[];
      return events.filter((event) => event.actor.kind !== 'system');
    };
    await expect.poll(scimEvents, { timeout: 5000 }).toHaveLength(1);
    return { status: response.status, body: response.body, event: (await scimEvents())[0]! };
  }

  const actor = () => ({ kind: 'client-certificate', subject: 'CN=contoso-client', fingerprint256: expect.stringMatching(/^[0-9A-F:]{95}$/) });
  const common = (correlation: { correlationId: string }) => ({
    id: expect.any(String),
    time: expect.any(String),
    registrationId: client.id,
    correlationId: correlation.correlationId,
    actor: actor(),
    durationMs: expect.any(Number),
  });

  it('a create: the new id, the person, the request in words and as sent (secrets redacted)', async () => {
    const sent = { ...entraUser('carol.poe@contoso.example'), password: PASSWORD };
    const { status, body, event } = await audited('POST', '/Users', sent);
    expect(status).toBe(201);
    expect(event).toEqual({
      ...common(event),
      action: 'User.Create',
      resourceType: 'User',
      resourceId: body.id,
      subjectUser: { userName: 'carol.poe@contoso.example', email: 'carol.poe@contoso.example', directoryId: body.id },
      summary: 'POST user carol.poe@contoso.example: displayName "carol poe"; active true',
      outcome: { status: 201, success: true },
      details: { method: 'POST', path: '/scim/v2/Users', request: { ...sent, password: '[redacted]' } },
    });
  });

  it('a refused create keeps the person it was about, the status, scimType and detail Entra saw', async () => {
    const { event } = await audited('POST', '/Users', entraUser('jane.doe@contoso.example'));
    expect(event).toMatchObject({
      action: 'User.Create',
      subjectUser: { userName: 'jane.doe@contoso.example', email: 'jane.doe@contoso.example' },
      outcome: { status: 409, success: false, scimType: 'uniqueness', detail: 'userName "jane.doe@contoso.example" is already taken by another user' },
    });
    expect(event.resourceId).toBeUndefined();
  });

  it('a 204 PATCH names its user from what the handler wrote and each operation as parsed', async () => {
    const { status, event } = await audited('PATCH', `/Users/${janeId}`, patch({ op: 'Replace', path: 'active', value: false }, { op: 'replace', path: 'password', value: PASSWORD }));
    expect(status).toBe(204);
    expect(event).toEqual({
      ...common(event),
      action: 'User.Patch',
      resourceType: 'User',
      resourceId: janeId,
      subjectUser: { userName: 'jane.doe@contoso.example', email: 'jane.doe@contoso.example', directoryId: janeId },
      summary: 'PATCH user jane.doe@contoso.example: active → false; password → [redacted]',
      outcome: { status: 204, success: true },
      details: { method: 'PATCH', path: `/scim/v2/Users/${janeId}`, request: patch({ op: 'Replace', path: 'active', value: false }, { op: 'replace', path: 'password', value: '[redacted]' }) },
    });
  });

  it('a group PATCH is named by the group it left and counts its member changes', async () => {
    const sent = patch({ op: 'Replace', value: { displayName: 'Sales EU' } }, { op: 'Add', path: 'members', value: [{ value: bobId }] }, { op: 'Remove', path: `members[value eq "${janeId}"]` });
    const { status, event } = await audited('PATCH', `/Groups/${groupId}`, sent);
    expect(status).toBe(204);
    expect(event).toEqual({
      ...common(event),
      action: 'Group.Patch',
      resourceType: 'Group',
      resourceId: groupId,
      summary: 'PATCH group Sales EU: displayName → "Sales EU"; members +1; members −1',
      outcome: { status: 204, success: true },
      details: { method: 'PATCH', path: `/scim/v2/Groups/${groupId}`, request: sent },
    });
  });

  it('a failed PATCH still says what it asked for', async () => {
    const { event } = await audited('PATCH', `/Users/${janeId}`, patch({ op: 'replace', path: 'title', value: 'Boss' }), { headers: { 'if-match': 'W/"1"' } });
    expect(event).toMatchObject({ action: 'User.Patch', summary: `PATCH user ${janeId}: title → "Boss"`, outcome: { status: 412, success: false } });
  });

  it.each([
    ['GET', '/Users/{jane}', 'User.Read', 'User', 'jane', 'GET user {jane}'],
    ['GET', `/Users?filter=${encodeURIComponent('userName eq "jane.doe@contoso.example"')}&count=1`, 'User.List', 'User', undefined, 'GET users filter userName eq "jane.doe@contoso.example", count 1'],
    ['GET', '/Groups/{group}?excludedAttributes=members', 'Group.Read', 'Group', 'group', 'GET group {group}'],
    ['GET', '/Groups?startIndex=1&count=10', 'Group.List', 'Group', undefined, 'GET groups startIndex 1, count 10'],
    ['GET', '/Users/not-an-issued-id', 'User.Read', 'User', 'not-an-issued-id', 'GET user not-an-issued-id', 404],
    ['GET', '/users/{bob}', 'User.Read', 'User', 'bob', 'GET user {bob}'],
    ['GET', '/ServiceProviderConfig', 'Discovery.Read', undefined, undefined, 'GET /scim/v2/ServiceProviderConfig'],
    ['GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User', 'Discovery.Read', undefined, undefined, 'GET /scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User'],
    ['GET', '/ResourceTypes', 'Discovery.Read', undefined, undefined, 'GET /scim/v2/ResourceTypes'],
    ['GET', '/Users/{jane}/extra', 'Scim.Request', undefined, undefined, 'GET /scim/v2/Users/{jane}/extra', 404],
    ['GET', '/Nothing', 'Scim.Request', undefined, undefined, 'GET /scim/v2/Nothing', 404],
  ])('%s %s is %s', async (method, template, action, resourceType, resourceKey, summaryTemplate, status = 200) => {
    const ids: Record<string, string> = { jane: janeId, bob: bobId, group: groupId };
    const fill = (text: string) => text.replace(/\{(\w+)\}/g, (_, key: string) => ids[key]!);
    const { event } = await audited(method, fill(template));
    const resourceId = resourceKey && (ids[resourceKey] ?? resourceKey);
    expect(event).toMatchObject({ action, summary: fill(summaryTemplate), outcome: { status }, details: { method, path: `/scim/v2${fill(template)}` } });
    expect(event.resourceType).toBe(resourceType);
    expect(event.resourceId).toBe(resourceId);
    expect(event.subjectUser).toEqual(resourceType === 'User' && resourceId ? { directoryId: resourceId } : undefined);
  });

  it.each([
    ['POST', '/Users/.search', { schemas: [SEARCH], filter: 'userName sw "jane"', startIndex: 1 }, 'User.List', 'POST users filter userName sw "jane", startIndex 1', 200],
    ['POST', '/.search', { schemas: [SEARCH], filter: 'displayName sw "S"' }, 'Scim.Request', 'POST /scim/v2/.search', 200],
    ['POST', '/Bulk', { schemas: [] }, 'Scim.Request', 'POST /scim/v2/Bulk', 501],
  ])('%s %s keeps the body as sent and is %s', async (method, path, body, action, summary, status) => {
    const { event } = await audited(method, path, body);
    expect(event).toMatchObject({ action, summary, outcome: { status }, details: { method, path: `/scim/v2${path}`, request: body } });
  });

  it('a body refused while being read is audited as the operation of the route it was sent to', async () => {
    const invalid = await audited('POST', '/Users', undefined, { raw: '{"userName":' });
    expect(invalid.event).toMatchObject({
      action: 'User.Create',
      resourceType: 'User',
      summary: 'POST user',
      outcome: { status: 400, scimType: 'invalidSyntax', detail: 'The request body is not valid JSON' },
      details: { errorCode: 'request.invalid_json' },
    });
    const deep = await audited('PATCH', `/Users/${janeId}`, undefined, { raw: `{"schemas":["${PATCH_SCHEMA}"],"Operations":${'['.repeat(100)}${']'.repeat(100)}}` });
    expect(deep.event).toMatchObject({
      action: 'User.Patch',
      resourceId: janeId,
      subjectUser: { directoryId: janeId },
      summary: `PATCH user ${janeId}`,
      outcome: { status: 400, scimType: 'invalidSyntax', detail: `The request body nests arrays and objects deeper than the limit of ${MAX_JSON_DEPTH} levels` },
      details: { errorCode: 'request.too_deep' },
    });
    const encoded = await audited('POST', '/Groups', undefined, { raw: '{}', headers: { 'content-encoding': 'gzip' } });
    expect(encoded.event).toMatchObject({ action: 'Group.Create', resourceType: 'Group', outcome: { status: 415 } });
    for (const { event } of [invalid, deep, encoded]) expect(event.details).not.toHaveProperty('request');
  });

  it('a body over 16 kB is kept as its size only; the summary still describes it', async () => {
    const sent = entraUser('big.one@contoso.example', { title: 'x'.repeat(20_000) });
    const { event } = await audited('POST', '/Users', sent);
    expect(event).toMatchObject({ summary: 'POST user big.one@contoso.example: displayName "big one"; active true', details: { request: { truncated: true, bytes: Buffer.byteLength(JSON.stringify(sent)) } } });
  });

  it('a replace and a delete name their resource', async () => {
    const replaced = await audited('PUT', `/Groups/${groupId}`, entraGroup('Sales World', [bobId]));
    expect(replaced.event).toMatchObject({ action: 'Group.Replace', resourceId: groupId, summary: 'PUT group Sales World: displayName "Sales World"; members 1', outcome: { status: 200 } });
    const deleted = await audited('DELETE', `/Users/${bobId}`);
    expect(deleted.event).toMatchObject({ action: 'User.Delete', resourceId: bobId, subjectUser: { directoryId: bobId }, summary: `DELETE user ${bobId}`, outcome: { status: 204, success: true } });
  });
});
