import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { entraGroup, entraUser, patch } from './scim-fixtures.js';

const run = promisify(execFile);
const worker = (upn: string, city = 'Seattle') => entraUser(upn, { addresses: [{ type: 'work', locality: city }] });

describe.each(STORE_KINDS)('What support sees: overview and users as they stand, over the admin API and the CLI (%s store)', (kind) => {
  let service: TestService;
  let client: RegisteredClient;
  const ids: Record<string, string> = {};
  const cli = (...args: string[]) =>
    run(process.execPath, ['bin/scim-voice-portal.js', ...args], { env: { ...process.env, ADMIN_URL: service.adminUrl, ADMIN_TOKEN: service.adminToken, ADMIN_CA_FILE: path.join(service.dir, 'ca.pem') } });

  beforeAll(async () => {
    service = await startTestService(kind);
    client = await service.registration('northwind', {
      accountDomains: ['northwind.example'],
      syncMode: { kind: 'on-demand' },
      scope: { kind: 'groups', groups: [{ displayName: 'Phones' }] },
      locationMap: { Seattle: 'loc-sea' },
      licensing: { seats: { 'voice-standard': 1 }, assignOnCreate: ['voice-standard'] },
    });
    for (const upn of ['amy@northwind.example', 'bob@northwind.example', 'jane@northwind.example', 'lou@elsewhere.example']) ids[upn] = (await client.scim.post('/Users', worker(upn))).body.id;
    ids['sam@northwind.example'] = (await client.scim.post('/Users', worker('sam@northwind.example', 'Atlantis'))).body.id;
    const members = ['amy@northwind.example', 'bob@northwind.example', 'lou@elsewhere.example', 'sam@northwind.example'].map((upn) => ids[upn]!);
    expect((await client.scim.post('/Groups', entraGroup('Phones', members))).status).toBe(201);
    expect((await service.admin.post('/registrations/northwind/reconcile', {})).body.counts.create).toBe(1);
    // A change not reconciled yet (on-demand): pending.
    await client.scim.patch(`/Users/${ids['amy@northwind.example']}`, patch({ op: 'Replace', path: 'active', value: 'False' }));
  });
  afterAll(() => service.stop());

  it('"Why isn\'t Jane in the portal?" is one search; "why can\'t Bob get a seat?" is his row', async () => {
    const jane = (await service.admin.get('/registrations/northwind/users?search=jane')).body;
    expect(jane.items).toEqual([expect.objectContaining({ userName: 'jane@northwind.example', status: 'not-provisioned', rule: 'DEL-2', reason: 'not a member of any synced group' })]);
    const bob = (await service.admin.get('/registrations/northwind/users?search=BOB')).body.items[0];
    expect(bob).toMatchObject({ status: 'not-provisioned', rule: 'SYNC-5', reason: expect.stringContaining('no "voice-standard" licence left (all 1 seats are in use)') });
    const amy = (await service.admin.get('/registrations/northwind/users?search=amy')).body.items[0];
    expect(amy).toMatchObject({ status: 'pending', rule: 'DEL-3', reason: expect.stringContaining('next Reconcile updates it'), voiceUser: { userName: 'amy', locationId: 'loc-sea', licenses: ['voice-standard'], status: 'active' } });
  });

  it('users filter by status and rule, page, and count every status', async () => {
    const notProvisioned = (await service.admin.get('/registrations/northwind/users?status=not-provisioned')).body;
    expect(notProvisioned.items.map((u: { userName: string; rule: string }) => `${u.rule} ${u.userName}`).sort()).toEqual(['DEL-2 jane@northwind.example', 'ELIG-3 lou@elsewhere.example', 'MAP-6 sam@northwind.example', 'SYNC-5 bob@northwind.example']);
    expect(notProvisioned.counts).toEqual({ provisioned: 0, deactivated: 0, 'not-provisioned': 4, pending: 1 });
    const page = (await service.admin.get('/registrations/northwind/users?limit=2&offset=2')).body;
    expect(page).toMatchObject({ total: 5, offset: 2 });
    expect(page.items).toHaveLength(2);
    expect((await service.admin.get('/registrations/northwind/users?status=sometimes')).status).toBe(400);
    const one = (await service.admin.get(`/registrations/northwind/users/${ids['sam@northwind.example']}`)).body;
    expect(one).toMatchObject({ row: { status: 'not-provisioned', rule: 'MAP-6' }, groups: [{ displayName: 'Phones' }], resource: { userName: 'sam@northwind.example' } });
    expect((await service.admin.get('/registrations/northwind/users/nobody')).status).toBe(404);
  });

  it('the overview puts seats used vs bought, users by status, last runs and a state line on one answer; the CLI prints the same', async () => {
    await service.service.audit.recorder.flush();
    const overview = (await service.admin.get('/registrations/northwind/overview')).body;
    expect(overview).toMatchObject({
      registration: { name: 'northwind' },
      seats: [{ license: 'voice-standard', used: 1, bought: 1 }],
      users: { provisioned: 0, 'not-provisioned': 4, pending: 1, deactivated: 0 },
      credentials: { tokens: [] },
      settings: { syncMode: { kind: 'on-demand' } },
    });
    expect(overview.credentials.certificates).toHaveLength(1);
    expect(overview.state).toBe('4 users not provisioned; no "voice-standard" seat left (1 of 1 in use); 1 users waiting for the next Reconcile');
    expect(overview.lastRuns[0]).toMatchObject({ outcome: 'completed with errors', summary: expect.stringContaining('1 create') });
    const shown = JSON.parse((await cli('registrations', 'show', 'northwind')).stdout);
    expect(shown.state).toBe(overview.state);
    const listed = JSON.parse((await cli('voice-users', 'list', '--registration', 'northwind', '--status', 'not-provisioned', '--rule', 'SYNC-5')).stdout);
    expect(listed.items.map((u: { userName: string }) => u.userName)).toEqual(['bob@northwind.example']);
  });
});
