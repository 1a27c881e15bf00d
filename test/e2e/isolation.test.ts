import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { entraGroup, entraUser, patch, USER_SCHEMA } from './scim-fixtures.js';

describe.each(STORE_KINDS)('REG-2 isolation: two registrations side by side on the whole SCIM surface (%s store)', (kind) => {
  let service: TestService;
  let contoso: RegisteredClient;
  let fabrikam: RegisteredClient;
  const ids = { contosoUser: '', fabrikamUser: '', contosoGroup: '', fabrikamGroup: '' };

  beforeAll(async () => {
    service = await startTestService(kind);
    contoso = await service.registration('contoso');
    fabrikam = await service.registration('fabrikam');
    // The same userName exists in both registrations.
    ids.contosoUser = (await contoso.scim.post('/Users', entraUser('same.name@shared.example'))).body.id;
    ids.fabrikamUser = (await fabrikam.scim.post('/Users', entraUser('same.name@shared.example'))).body.id;
    ids.contosoGroup = (await contoso.scim.post('/Groups', entraGroup('Everyone', [ids.contosoUser]))).body.id;
    ids.fabrikamGroup = (await fabrikam.scim.post('/Groups', entraGroup('Everyone', [ids.fabrikamUser]))).body.id;
  });
  afterAll(() => service.stop());

  it('REG-2: the same userName lives in both registrations as two users', () => {
    expect(ids.contosoUser).not.toBe(ids.fabrikamUser);
  });

  it('REG-2: lists, filters and .search show only the caller’s data', async () => {
    for (const [client, own] of [[contoso, ids.contosoUser], [fabrikam, ids.fabrikamUser]] as const) {
      const listed = await client.scim.get('/Users');
      expect(listed.body.Resources.map((r: { id: string }) => r.id)).toEqual([own]);
      const filtered = await client.scim.get(`/Users?filter=${encodeURIComponent('userName eq "same.name@shared.example"')}`);
      expect(filtered.body.totalResults).toBe(1);
      const searched = await client.scim.post('/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName pr' });
      expect(searched.status, searched.text).toBe(200);
      expect(searched.body.Resources.map((r: { id: string }) => r.id)).toEqual([own]);
      const groups = await client.scim.get(`/Groups?filter=${encodeURIComponent('displayName eq "Everyone"')}`);
      expect(groups.body.totalResults).toBe(1);
    }
  });

  it('REG-2: another registration’s ids answer 404 on every verb, and nothing changes', async () => {
    const foreignUser = `/Users/${ids.fabrikamUser}`;
    const foreignGroup = `/Groups/${ids.fabrikamGroup}`;
    const attempts = [
      contoso.scim.get(foreignUser),
      contoso.scim.put(foreignUser, { schemas: [USER_SCHEMA], userName: 'hijack@shared.example' }),
      contoso.scim.patch(foreignUser, patch({ op: 'replace', path: 'displayName', value: 'hijacked' })),
      contoso.scim.delete(foreignUser),
      contoso.scim.get(foreignGroup),
      contoso.scim.patch(foreignGroup, patch({ op: 'add', path: 'members', value: [{ value: ids.contosoUser }] })),
      contoso.scim.delete(foreignGroup),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(404);
      expect(JSON.stringify(response.body)).not.toContain('fabrikam');
    }
    const untouched = await fabrikam.scim.get(foreignUser);
    expect(untouched.body.displayName).toBe('same name');
    const group = await fabrikam.scim.get(foreignGroup);
    expect(group.body.members.map((m: { value: string }) => m.value)).toEqual([ids.fabrikamUser]);
  });

  /** An id of the same shape as `id` that no registration has. */
  const neverIssued = (id: string) => id.slice(0, -4) + [...id.slice(-4)].map((c) => (/\d/.test(c) ? String((Number(c) + 5) % 10) : c === 'a' ? 'b' : 'a')).join('');
  /** What a client can compare between two answers: all but the per-request id and date, and what the echoed id changes (length, Express's body ETag). */
  const visible = (response: { status: number; headers: Record<string, unknown>; text: string }, id: string) => {
    const { date: _date, 'x-request-id': _requestId, 'content-length': _length, etag: _etag, ...headers } = response.headers;
    return { status: response.status, headers, text: response.text.replaceAll(id, '<id>') };
  };

  it('REG-2: another registration’s id and an id that never existed get the same answer on every verb', async () => {
    for (const [type, foreign] of [['Users', ids.fabrikamUser], ['Groups', ids.fabrikamGroup]] as const) {
      const missing = neverIssued(foreign);
      const requests = [
        (id: string) => contoso.scim.get(`/${type}/${id}`),
        (id: string) => contoso.scim.put(`/${type}/${id}`, type === 'Users' ? { schemas: [USER_SCHEMA], userName: 'hijack@shared.example' } : entraGroup('Hijacked', [])),
        (id: string) => contoso.scim.patch(`/${type}/${id}`, patch({ op: 'replace', path: 'displayName', value: 'hijacked' })),
        (id: string) => contoso.scim.delete(`/${type}/${id}`),
      ];
      for (const send of requests) {
        const [forForeign, forMissing] = [await send(foreign), await send(missing)];
        expect(forForeign.status).toBe(404);
        expect(visible(forMissing, missing)).toEqual(visible(forForeign, foreign));
      }
    }
    const member = (value: string) => contoso.scim.patch(`/Groups/${ids.contosoGroup}`, patch({ op: 'add', path: 'members', value: [{ value }] }));
    const missingMember = neverIssued(ids.fabrikamUser);
    expect(visible(await member(missingMember), missingMember)).toEqual(visible(await member(ids.fabrikamUser), ids.fabrikamUser));
  });

  it('REG-2: a group cannot take a member from another registration', async () => {
    const response = await contoso.scim.patch(`/Groups/${ids.contosoGroup}`, patch({ op: 'add', path: 'members', value: [{ value: ids.fabrikamUser }] }));
    expect(response.status).toBe(400);
  });
});
