import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { ENTERPRISE_SCHEMA, entraUser, patch, USER_SCHEMA } from './scim-fixtures.js';

describe.each(STORE_KINDS)('Users over mTLS (%s store)', (kind) => {
  let service: TestService;
  let client: RegisteredClient;
  beforeAll(async () => {
    service = await startTestService(kind);
    client = await service.registration('contoso');
  });
  afterAll(() => service.stop());

  const create = async (upn: string, overrides = {}) => {
    const response = await client.scim.post('/Users', entraUser(upn, overrides));
    expect(response.status, response.text).toBe(201);
    return response.body;
  };

  it('creates a user with Location, ETag and meta, returning values exactly as sent and never the password', async () => {
    const response = await client.scim.post('/Users', { ...entraUser('ada.lovelace@contoso.example'), password: 'S3cret-P@ss' });
    expect(response.status).toBe(201);
    expect(response.headers['content-type']).toContain('application/scim+json');
    expect(response.headers.location).toBe(`${service.scimUrl}/Users/${response.body.id}`);
    expect(response.headers.etag).toBe(response.body.meta.version);
    expect(response.body).toMatchObject({ userName: 'ada.lovelace@contoso.example', phoneNumbers: [{ type: 'work', value: '55555555555' }], meta: { resourceType: 'User' } });
    expect(response.body[ENTERPRISE_SCHEMA]).toEqual({ employeeNumber: '1001', department: 'Sales' });
    expect(response.text).not.toContain('S3cret');
    const fetched = await client.scim.get(`/Users/${response.body.id}`);
    expect(fetched.body).toEqual(response.body);
  });

  it('Entra Test Connection: filter on a random userName answers 200 with an empty list', async () => {
    const response = await client.scim.get(`/Users?filter=${encodeURIComponent('userName eq "6f2c1c8e-0f55-4a8a-9d2e-1f1e0c5f3a11"')}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ totalResults: 0, itemsPerPage: 0, startIndex: 1, Resources: [] });
  });

  it('matches userName case-insensitively and refuses a second user with the same userName in any case (409 uniqueness)', async () => {
    const user = await create('Grace.Hopper@contoso.example');
    const found = await client.scim.get(`/Users?filter=${encodeURIComponent('userName eq "grace.hopper@CONTOSO.example"')}`);
    expect(found.body.Resources.map((r: { id: string }) => r.id)).toEqual([user.id]);
    const clash = await client.scim.post('/Users', entraUser('GRACE.HOPPER@contoso.example', { externalId: 'someone-else' }));
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({ status: 409, scimType: 'uniqueness' });
  });

  it('a retried create (as Entra sends after a timeout) is 409, and the lookup Entra does next finds the user', async () => {
    const first = await create('retry.me@contoso.example');
    const retried = await client.scim.post('/Users', entraUser('retry.me@contoso.example'));
    expect(retried.status).toBe(409);
    expect(retried.body.scimType).toBe('uniqueness');
    const lookup = await client.scim.get(`/Users?filter=${encodeURIComponent('userName eq "retry.me@contoso.example"')}`);
    expect(lookup.body.Resources.map((r: { id: string }) => r.id)).toEqual([first.id]);
  });

  it('replaces a user with PUT and bumps its version', async () => {
    const user = await create('put.user@contoso.example');
    const replaced = await client.scim.put(`/Users/${user.id}`, { schemas: [USER_SCHEMA], userName: 'put.user@contoso.example', displayName: 'Only Name', active: false });
    expect(replaced.status).toBe(200);
    expect(replaced.body.displayName).toBe('Only Name');
    expect(replaced.body.emails).toBeUndefined();
    expect(replaced.body.meta.version).not.toBe(user.meta.version);
  });

  it('applies Entra PATCH shapes: capitalised ops, "False" strings, filtered paths creating elements, merged addresses, manager', async () => {
    const user = await create('patch.me@contoso.example');
    const manager = await create('the.boss@contoso.example');
    const response = await client.scim.patch(
      `/Users/${user.id}`,
      patch(
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 (555) 0100' },
        { op: 'Add', path: 'addresses[type eq "work"].locality', value: 'Seattle' },
        { op: 'Add', path: 'addresses[type eq "work"].postalCode', value: '98101' },
        { op: 'Replace', path: 'name.familyName', value: 'Patched' },
        { op: 'Add', path: `${ENTERPRISE_SCHEMA}:manager`, value: manager.id },
        { op: 'Replace', path: `${ENTERPRISE_SCHEMA}:employeeNumber`, value: '2002' },
      ),
    );
    expect(response.status, response.text).toBe(204);
    const patched = (await client.scim.get(`/Users/${user.id}`)).body;
    expect(patched.active).toBe(false);
    expect(patched.phoneNumbers).toContainEqual({ type: 'mobile', value: '+1 (555) 0100' });
    expect(patched.addresses).toEqual([{ type: 'work', locality: 'Seattle', postalCode: '98101' }]);
    expect(patched.name.familyName).toBe('Patched');
    expect(patched[ENTERPRISE_SCHEMA]).toMatchObject({ employeeNumber: '2002', manager: { value: manager.id } });
    const cleared = await client.scim.patch(`/Users/${user.id}?excludedAttributes=emails`, patch({ op: 'Replace', path: `${ENTERPRISE_SCHEMA}:manager`, value: '' }));
    expect(cleared.body[ENTERPRISE_SCHEMA].manager).toBeUndefined();
    const disabled = await client.scim.get(`/Users?filter=${encodeURIComponent(`userName eq "patch.me@contoso.example"`)}`);
    expect(disabled.body.Resources[0].active).toBe(false);
  });

  it('accepts an empty Operations array as a no-op', async () => {
    const user = await create('noop@contoso.example');
    const response = await client.scim.patch(`/Users/${user.id}?attributes=userName`, patch());
    expect(response.status).toBe(200);
    expect(response.body.userName).toBe('noop@contoso.example');
  });

  it('honours If-Match (412 on mismatch) and If-None-Match (304 when unchanged)', async () => {
    const user = await create('etag.user@contoso.example');
    const stale = await client.scim.patch(`/Users/${user.id}`, patch({ op: 'replace', path: 'displayName', value: 'x' }), { headers: { 'If-Match': 'W/"999"' } });
    expect(stale.status).toBe(412);
    const current = await client.scim.patch(`/Users/${user.id}`, patch({ op: 'replace', path: 'displayName', value: 'y' }), { headers: { 'If-Match': user.meta.version } });
    expect(current.status).toBe(204);
    expect(current.headers.etag).not.toBe(user.meta.version);
    const notModified = await client.scim.get(`/Users/${user.id}`, { headers: { 'If-None-Match': current.headers.etag as string } });
    expect(notModified.status).toBe(304);
  });

  it('concurrent PATCHes on one user never lose each other’s changes', async () => {
    const user = await create('busy.user@contoso.example');
    const fields = ['title', 'nickName', 'displayName', 'userType', 'locale', 'timezone', 'profileUrl', 'preferredLanguage'];
    const responses = await Promise.all(fields.map((field) => client.scim.patch(`/Users/${user.id}`, patch({ op: 'replace', path: field, value: `${field}-set` }))));
    expect(responses.map((r) => r.status)).toEqual(fields.map(() => 204));
    const final = (await client.scim.get(`/Users/${user.id}`)).body;
    for (const field of fields) expect(final[field]).toBe(`${field}-set`);
  });

  it('pages with exact totalResults and itemsPerPage, sorted by userName', async () => {
    for (const n of [3, 1, 2]) await create(`page.${n}@paging.example`);
    const filter = encodeURIComponent('userName sw "page."');
    const page = await client.scim.get(`/Users?filter=${filter}&sortBy=userName&sortOrder=descending&startIndex=2&count=1`);
    expect(page.body).toMatchObject({ totalResults: 3, itemsPerPage: 1, startIndex: 2 });
    expect(page.body.Resources[0].userName).toBe('page.2@paging.example');
    const counted = await client.scim.get(`/Users?filter=${filter}&count=0`);
    expect(counted.body).toMatchObject({ totalResults: 3, itemsPerPage: 0, Resources: [] });
  });

  it('filters with and/or/not precedence and complex attribute filters', async () => {
    await create('fil.one@filters.example', { title: 'Engineer', emails: [{ type: 'work', value: 'one@x.example', primary: true }] });
    await create('fil.two@filters.example', { title: 'Manager', emails: [{ type: 'home', value: 'two@x.example' }] });
    await create('fil.three@filters.example', { title: 'Engineer', active: false });
    const ids = async (filter: string) =>
      ((await client.scim.get(`/Users?filter=${encodeURIComponent(filter)}&sortBy=userName`)).body.Resources ?? []).map((r: { userName: string }) => r.userName);
    expect(await ids('userName ew "@filters.example" and title eq "engineer" or userName eq "fil.two@filters.example"')).toEqual([
      'fil.one@filters.example',
      'fil.three@filters.example',
      'fil.two@filters.example',
    ]);
    expect(await ids('userName ew "@filters.example" and not (title eq "Engineer" or active eq false)')).toEqual(['fil.two@filters.example']);
    expect(await ids('emails[type eq "work" and value co "@x.example"]')).toEqual(['fil.one@filters.example']);
    expect(await ids('userName ew "@filters.example" and active eq false')).toEqual(['fil.three@filters.example']);
  });

  it('returns only requested attributes, and POST /Users/.search works like GET', async () => {
    await create('attrs.user@attrs.example');
    const listed = await client.scim.get(`/Users?filter=${encodeURIComponent('userName eq "attrs.user@attrs.example"')}&attributes=userName,emails`);
    expect(Object.keys(listed.body.Resources[0]).sort()).toEqual(['emails', 'id', 'meta', 'schemas', 'userName']);
    const searched = await client.scim.post('/Users/.search', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
      filter: 'userName eq "attrs.user@attrs.example"',
      excludedAttributes: ['emails', 'phoneNumbers'],
    });
    expect(searched.status).toBe(200);
    expect(searched.body.totalResults).toBe(1);
    expect(searched.body.Resources[0].emails).toBeUndefined();
    expect(searched.body.Resources[0].displayName).toBeDefined();
  });

  it('deletes a user: 204, then 404 as a SCIM error', async () => {
    const user = await create('gone.user@contoso.example');
    expect((await client.scim.delete(`/Users/${user.id}`)).status).toBe(204);
    const missing = await client.scim.get(`/Users/${user.id}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: 404 });
  });
});
