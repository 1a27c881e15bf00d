import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { entraGroup, entraUser, patch } from './scim-fixtures.js';

describe.each(STORE_KINDS)('Groups over mTLS (%s store)', (kind) => {
  let service: TestService;
  let client: RegisteredClient;
  const userIds: string[] = [];
  beforeAll(async () => {
    service = await startTestService(kind);
    client = await service.registration('contoso');
    for (let n = 0; n < 6; n++) userIds.push((await client.scim.post('/Users', entraUser(`member.${n}@contoso.example`))).body.id);
  });
  afterAll(() => service.stop());

  const createGroup = async (name: string, members: string[] = []) => {
    const response = await client.scim.post('/Groups', entraGroup(name, members));
    expect(response.status, response.text).toBe(201);
    return response.body;
  };
  const memberIds = async (groupId: string) =>
    ((await client.scim.get(`/Groups/${groupId}`)).body.members ?? []).map((m: { value: string }) => m.value).sort();

  it('creates a group with the Microsoft group schema and members', async () => {
    const group = await createGroup('Sales', userIds.slice(0, 2));
    expect(group.members.map((m: { value: string }) => m.value).sort()).toEqual(userIds.slice(0, 2).sort());
    expect(group.meta.resourceType).toBe('Group');
  });

  it('finds a group by displayName with excludedAttributes=members, without members', async () => {
    await createGroup('Support Team', userIds.slice(0, 3));
    const response = await client.scim.get(`/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Support Team"')}`);
    expect(response.body.totalResults).toBe(1);
    expect(response.body.Resources[0].members).toBeUndefined();
    const single = await client.scim.get(`/Groups/${response.body.Resources[0].id}?excludedAttributes=members`);
    expect(single.body.members).toBeUndefined();
    expect(single.body.displayName).toBe('Support Team');
  });

  it('adds several members in one op; adding an existing member is a no-op', async () => {
    const group = await createGroup('Adders', [userIds[0]!]);
    const response = await client.scim.patch(`/Groups/${group.id}`, patch({ op: 'Add', path: 'members', value: userIds.slice(0, 4).map((value) => ({ value })) }));
    expect(response.status).toBe(204);
    expect(await memberIds(group.id)).toEqual(userIds.slice(0, 4).sort());
  });

  it('removes only the members named in a value array, or by members[value eq]', async () => {
    const group = await createGroup('Removers', userIds.slice(0, 5));
    await client.scim.patch(`/Groups/${group.id}`, patch({ op: 'Remove', path: 'members', value: [{ value: userIds[1] }, { value: userIds[2] }] }));
    expect(await memberIds(group.id)).toEqual([userIds[0], userIds[3], userIds[4]].sort());
    await client.scim.patch(`/Groups/${group.id}`, patch({ op: 'remove', path: `members[value eq "${userIds[3]}"]` }));
    expect(await memberIds(group.id)).toEqual([userIds[0], userIds[4]].sort());
    await client.scim.patch(`/Groups/${group.id}`, patch({ op: 'remove', path: 'members' }));
    expect(await memberIds(group.id)).toEqual([]);
  });

  it('renames a group with PATCH and returns it when attributes are asked for', async () => {
    const group = await createGroup('Old Name', [userIds[0]!]);
    const response = await client.scim.patch(`/Groups/${group.id}?attributes=displayName`, patch({ op: 'Replace', path: 'displayName', value: 'New Name' }));
    expect(response.status).toBe(200);
    expect(response.body.displayName).toBe('New Name');
    expect(await memberIds(group.id)).toEqual([userIds[0]]);
  });

  it('PUT sets exactly the given members', async () => {
    const group = await createGroup('Replaced', userIds.slice(0, 3));
    const response = await client.scim.put(`/Groups/${group.id}`, entraGroup('Replaced', userIds.slice(2, 5)));
    expect(response.status).toBe(200);
    expect(await memberIds(group.id)).toEqual(userIds.slice(2, 5).sort());
  });

  it('concurrent member additions to one group are all kept', async () => {
    const group = await createGroup('Concurrent');
    await Promise.all(userIds.map((value) => client.scim.patch(`/Groups/${group.id}`, patch({ op: 'Add', path: 'members', value: [{ value }] }))));
    expect(await memberIds(group.id)).toEqual([...userIds].sort());
  });

  it('refuses members that are not users of the registration, changing nothing', async () => {
    const group = await createGroup('Strict', [userIds[0]!]);
    const response = await client.scim.patch(
      `/Groups/${group.id}`,
      patch({ op: 'Replace', path: 'displayName', value: 'Should Not Stick' }, { op: 'Add', path: 'members', value: [{ value: 'no-such-user' }] }),
    );
    expect(response.status).toBe(400);
    expect(response.body.scimType).toBe('invalidValue');
    expect((await client.scim.get(`/Groups/${group.id}`)).body.displayName).toBe('Strict');
  });

  it('deleting a user removes its memberships', async () => {
    const extra = (await client.scim.post('/Users', entraUser('leaver@contoso.example'))).body.id;
    const group = await createGroup('Leavers', [extra, userIds[0]!]);
    await client.scim.delete(`/Users/${extra}`);
    expect(await memberIds(group.id)).toEqual([userIds[0]]);
  });

  it('deletes a group', async () => {
    const group = await createGroup('Temporary', [userIds[0]!]);
    expect((await client.scim.delete(`/Groups/${group.id}`)).status).toBe(204);
    expect((await client.scim.get(`/Groups/${group.id}`)).status).toBe(404);
  });

  it('POST /.search at the root searches Users then Groups as one paged list (RFC 7644 §3.4.3)', async () => {
    const search = (body: object) => client.scim.post('/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], ...body });
    const everything = (await search({ count: 1000 })).body;
    const users = (await client.scim.get('/Users?count=0')).body.totalResults;
    const groups = (await client.scim.get('/Groups?count=0')).body.totalResults;
    expect(everything.totalResults).toBe(users + groups);
    expect(everything.Resources.map((r: { meta: { resourceType: string } }) => r.meta.resourceType)).toEqual([...Array(users).fill('User'), ...Array(groups).fill('Group')]);

    const straddling = (await search({ startIndex: users, count: 2, excludedAttributes: ['members'] })).body;
    expect(straddling).toMatchObject({ startIndex: users, itemsPerPage: 2, totalResults: users + groups });
    expect(straddling.Resources.map((r: { id: string }) => r.id)).toEqual(everything.Resources.slice(users - 1, users + 1).map((r: { id: string }) => r.id));

    const onlyUsers = (await search({ filter: 'userName sw "member.1"' })).body;
    expect(onlyUsers.Resources.map((r: { userName: string }) => r.userName)).toEqual(['member.1@contoso.example']);
    const refused = await search({ sortBy: 'userName' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ scimType: 'invalidValue', detail: expect.stringContaining('/Users/.search') });
    expect((await search({ filter: 'userName eq' })).body).toMatchObject({ status: 400, scimType: 'invalidFilter' });
  });
});
