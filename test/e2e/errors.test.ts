import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { ERROR_SCHEMA, entraUser, patch, USER_SCHEMA } from './scim-fixtures.js';

describe.each(STORE_KINDS)('Bad input gets a SCIM error and changes nothing (%s store)', (kind) => {
  let service: TestService;
  let client: RegisteredClient;
  let userId: string;
  beforeAll(async () => {
    service = await startTestService(kind, { MAX_BODY_BYTES: '4096' });
    client = await service.registration('contoso');
    userId = (await client.scim.post('/Users', entraUser('kept.user@contoso.example'))).body.id;
  });
  afterAll(() => service.stop());

  const expectError = (response: { status: number; body: any; headers: Record<string, unknown> }, status: number, scimType?: string) => {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toContain('application/scim+json');
    expect(response.body.schemas).toEqual([ERROR_SCHEMA]);
    expect(response.body.status).toBe(status);
    if (scimType) expect(response.body.scimType).toBe(scimType);
    expect(typeof response.body.detail).toBe('string');
    expect(response.body.detail.length).toBeGreaterThan(10);
  };

  it.each([
    ['malformed JSON', '{"schemas": [', 400, 'invalidSyntax'],
    ['a JSON array', '[]', 400, undefined],
    ['userName of the wrong type', JSON.stringify({ schemas: [USER_SCHEMA], userName: 42 }), 400, 'invalidValue'],
    ['a missing userName', JSON.stringify({ schemas: [USER_SCHEMA], displayName: 'No Name' }), 400, 'invalidValue'],
    ['active that is not a boolean', JSON.stringify({ schemas: [USER_SCHEMA], userName: 'x@contoso.example', active: 'maybe' }), 400, 'invalidValue'],
  ])('POST /Users with %s', async (_name, raw, status, scimType) => {
    expectError(await client.scim.send('POST', '/Users', undefined, { raw }), status, scimType);
  });

  it('an oversize body answers 413', async () => {
    const big = entraUser('big@contoso.example', { displayName: 'x'.repeat(10_000) });
    expectError(await client.scim.post('/Users', big), 413);
  });

  it.each([
    ['an incomplete filter', 'userName eq'],
    ['an unknown operator', 'userName xx "a"'],
    ['an attribute that cannot be searched', 'password eq "a"'],
    ['unbalanced parentheses', '(userName eq "a"'],
  ])('GET /Users with %s answers 400 invalidFilter', async (_name, filter) => {
    expectError(await client.scim.get(`/Users?filter=${encodeURIComponent(filter)}`), 400, 'invalidFilter');
  });

  it('a non-numeric startIndex answers 400', async () => {
    expectError(await client.scim.get('/Users?startIndex=abc'), 400, 'invalidValue');
  });

  it('unknown ids answer 404', async () => {
    expectError(await client.scim.get('/Users/does-not-exist'), 404);
    expectError(await client.scim.patch('/Groups/does-not-exist', patch({ op: 'add', path: 'displayName', value: 'x' })), 404);
    expectError(await client.scim.delete('/Users/does-not-exist'), 404);
  });

  it('a PATCH with one bad operation applies none of them', async () => {
    const response = await client.scim.patch(
      `/Users/${userId}`,
      patch({ op: 'replace', path: 'displayName', value: 'Half Applied' }, { op: 'remove' }),
    );
    expectError(response, 400, 'noTarget');
    expect((await client.scim.get(`/Users/${userId}`)).body.displayName).not.toBe('Half Applied');
  });

  it('a PATCH on a read-only attribute answers 400 mutability', async () => {
    expectError(await client.scim.patch(`/Users/${userId}`, patch({ op: 'replace', path: 'id', value: 'new-id' })), 400, 'mutability');
  });

  it('unknown attributes are ignored, not errors', async () => {
    const response = await client.scim.post('/Users', { ...entraUser('extra.attrs@contoso.example'), favouriteColour: 'green' });
    expect(response.status).toBe(201);
    expect(response.body.favouriteColour).toBeUndefined();
  });

  it('Bulk is switched off and says so', async () => {
    expectError(await client.scim.post('/Bulk', { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [] }), 501);
    const config = await client.scim.get('/ServiceProviderConfig');
    expect(config.body.bulk.supported).toBe(false);
  });
});
