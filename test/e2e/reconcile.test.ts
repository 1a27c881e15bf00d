import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { ENTERPRISE_SCHEMA as ENTERPRISE, USER_SCHEMA, entraGroup, entraUser, patch } from './scim-fixtures.js';
import type { LeaseHolder } from '../../src/jobs/lease-port.js';

const MAILBOX = 'urn:ietf:params:scim:schemas:extension:voiceportal:2.0:Mailbox';
const VOICE_EXTENSION = 'urn:ietf:params:scim:schemas:extension:voiceportal:2.0:User';

const VOICE_SETTINGS = {
  accountDomains: ['contoso.example'],
  locationMap: { Seattle: 'loc-sea', London: 'loc-lon' },
  recordingRetention: '6-months',
};

function employee(upn: string, city = 'Seattle', extra: Record<string, unknown> = {}) {
  return entraUser(upn, { addresses: [{ type: 'work', locality: city }], ...extra });
}

interface VoiceUser {
  id: string;
  userName: string;
  firstName: string;
  locationId: string;
  status: string;
  origin: string;
  licenses: string[];
  extension?: string;
  did?: string;
  directoryUserId?: string;
}

describe.each(STORE_KINDS)('Voice portal reconciliation over HTTPS (%s store)', (kind) => {
  let service: TestService;
  let jit: RegisteredClient;
  const voiceUsers = async (registration: string): Promise<VoiceUser[]> => (await service.admin.get(`/registrations/${registration}/voice-users`)).body;
  const voiceUserOf = async (registration: string, userName: string) => (await voiceUsers(registration)).find((v) => v.userName === userName);

  beforeAll(async () => {
    service = await startTestService(kind);
    jit = await service.registration('contoso', { ...VOICE_SETTINGS, syncMode: { kind: 'just-in-time' } });
  });
  afterAll(() => service.stop());

  it('SYNC-1 just in time: a created user is in the voice portal before the SCIM response', async () => {
    const created = await jit.scim.post('/Users', employee('ada.lovelace@contoso.example', 'Seattle', { name: { givenName: 'Ada', familyName: 'Lovelace' } }));
    expect(created.status).toBe(201);
    expect(await voiceUserOf('contoso', 'ada.lovelace')).toMatchObject({ firstName: 'Ada', locationId: 'loc-sea', status: 'active', origin: 'provisioned', directoryUserId: created.body.id });
  });

  it('DEL-3 Replace active "False" deactivates the voice user and keeps its licences', async () => {
    const user = (await jit.scim.post('/Users', employee('grace.hopper@contoso.example'))).body;
    const voice = (await voiceUserOf('contoso', 'grace.hopper'))!;
    expect((await service.admin.patch(`/registrations/contoso/voice-users/${voice.id}`, { licenses: ['voice-pro'], extension: '2001' })).status).toBe(200);
    await jit.scim.patch(`/Users/${user.id}`, patch({ op: 'Replace', path: 'active', value: 'False' }));
    expect(await voiceUserOf('contoso', 'grace.hopper')).toMatchObject({ id: voice.id, status: 'deactivated', licenses: ['voice-pro'], extension: '2001' });
  });

  it('MAP-7 the portal refuses edits of Azure AD-mastered fields and names Azure AD; MAP-8 extension stays the portal’s', async () => {
    const user = (await jit.scim.post('/Users', employee('alan.turing@contoso.example'))).body;
    const voice = (await voiceUserOf('contoso', 'alan.turing'))!;
    const refused = await service.admin.patch(`/registrations/contoso/voice-users/${voice.id}`, { firstName: 'Al' });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/Azure AD/);
    await service.admin.patch(`/registrations/contoso/voice-users/${voice.id}`, { extension: '3001', did: '+1 (555) 300-0001' });
    const pushed = await jit.scim.patch(`/Users/${user.id}`, patch(
      { op: 'Replace', path: 'name.givenName', value: 'Alan M' },
      { op: 'Replace', path: `${VOICE_EXTENSION}:extension`, value: '9999' },
      { op: 'Replace', path: 'phoneNumbers[type eq "work"].value', value: '+1 555 999 9999' },
    ));
    expect(pushed.status, pushed.text).toBe(204);
    expect(await voiceUserOf('contoso', 'alan.turing')).toMatchObject({ firstName: 'Alan M', extension: '3001', did: '+1 (555) 300-0001' });
    const shown = (await jit.scim.get(`/Users/${user.id}`)).body;
    expect(shown[VOICE_EXTENSION]).toEqual({ extension: '3001', did: '+1 (555) 300-0001', locationId: 'loc-sea', licenses: [] });
    expect(shown.schemas).toContain(VOICE_EXTENSION);
    const listed = (await jit.scim.get(`/Users?filter=${encodeURIComponent('userName eq "alan.turing@contoso.example"')}&attributes=${VOICE_EXTENSION}:extension`)).body;
    expect(listed.Resources[0][VOICE_EXTENSION]).toEqual({ extension: '3001' });
  });

  it('MAP-7 the portal edits extension, DID and licences of a synced user with smtp: aliases, and refuses a user-name edit instead of letting Reconcile revert it', async () => {
    const user = (await jit.scim.post('/Users', employee('exchange.user@contoso.example', 'Seattle', {
      schemas: [USER_SCHEMA, ENTERPRISE, MAILBOX],
      [MAILBOX]: { proxyAddresses: 'SMTP:exchange.user@contoso.example;smtp:eu@contoso.example' },
    }))).body;
    const voice = (await voiceUserOf('contoso', 'exchange.user'))!;
    const edited = await service.admin.patch(`/registrations/contoso/voice-users/${voice.id}`, { extension: '5001', did: '+1 206 555 5001', licenses: ['voice-pro'] });
    expect(edited.status, edited.text).toBe(200);
    expect(edited.body).toMatchObject({ extension: '5001', additionalEmails: ['eu@contoso.example'] });
    const renamed = await service.admin.patch(`/registrations/contoso/voice-users/${voice.id}`, { userName: 'someone.else' });
    expect(renamed.status).toBe(409);
    expect(renamed.body.message).toContain('userName of exchange.user is mastered by Azure AD (MAP-7)');
    expect(user.id).toBeDefined();
  });

  it('DEL-5 a location change deletes the voice user and recreates it in the new location, carrying extension and DID', async () => {
    const user = (await jit.scim.post('/Users', employee('mover@contoso.example', 'Seattle'))).body;
    const before = (await voiceUserOf('contoso', 'mover'))!;
    await service.admin.patch(`/registrations/contoso/voice-users/${before.id}`, { extension: '6001', did: '+44 20 7946 0600' });
    await jit.scim.patch(`/Users/${user.id}`, patch({ op: 'Replace', path: 'addresses[type eq "work"].locality', value: 'London' }));
    const after = (await voiceUserOf('contoso', 'mover'))!;
    expect(after).toMatchObject({ locationId: 'loc-lon', extension: '6001', did: '+44 20 7946 0600' });
    expect(after.id).not.toBe(before.id);
  });

  it('DEL-5 a DID the new location does not allow stays behind, and the audit event says so', async () => {
    await service.admin.patch('/registrations/contoso', { locationNumbers: { 'loc-lon': ['+4420'] } });
    try {
      const user = (await jit.scim.post('/Users', employee('traveller@contoso.example', 'Seattle'))).body;
      const before = (await voiceUserOf('contoso', 'traveller'))!;
      await service.admin.patch(`/registrations/contoso/voice-users/${before.id}`, { extension: '6002', did: '+1 206 555 0602' });
      await jit.scim.patch(`/Users/${user.id}`, patch({ op: 'Replace', path: 'addresses[type eq "work"].locality', value: 'London' }));
      const after = (await voiceUserOf('contoso', 'traveller'))!;
      expect(after).toMatchObject({ locationId: 'loc-lon', extension: '6002' });
      expect(after.did).toBeUndefined();
      await service.service.audit.recorder.flush();
      const events = (await service.admin.get(`/audit/events?registration=contoso&action=VoiceUser.Create&limit=5`)).body.events;
      expect(JSON.stringify(events)).toContain('DID +1 206 555 0602 of traveller is not a number of location loc-lon');
    } finally {
      await service.admin.patch('/registrations/contoso', { locationNumbers: { 'loc-lon': null } });
    }
  });

  it('DEL-1 a user deleted in Azure AD is deleted from the voice portal; DEL-4 its recordings are kept for the retention period, then purged and audited', async () => {
    const user = (await jit.scim.post('/Users', employee('leaver@contoso.example'))).body;
    const voice = (await voiceUserOf('contoso', 'leaver'))!;
    expect((await jit.scim.delete(`/Users/${user.id}`)).status).toBe(204);
    expect(await voiceUserOf('contoso', 'leaver')).toBeUndefined();
    const retained = (await service.store.retention.list(jit.id)).find((r) => r.voiceUserId === voice.id)!;
    expect(new Date(retained.purgeAfter).getTime() - new Date(retained.deletedAt).getTime()).toBeGreaterThan(180 * 86_400_000);

    await service.service.audit.recorder.flush();
    const deletion = (await service.admin.get('/audit/events?registration=contoso&action=VoiceUser.Delete&limit=50')).body;
    expect(JSON.stringify(deletion)).toContain(`voicemails and recordings kept until ${retained.purgeAfter.slice(0, 10)} (DEL-4)`);
    await service.service.recordings.purgeDue(new Date());
    expect(await service.store.retention.list(jit.id)).toContainEqual(retained);
    await service.service.recordings.purgeDue(new Date(new Date(retained.purgeAfter).getTime() + 1000));
    expect(await service.store.retention.list(jit.id)).not.toContainEqual(retained);
    await service.service.audit.recorder.flush();
    const purged = (await service.admin.get('/audit/events?registration=contoso&action=VoiceUser.RecordingsPurged&limit=50')).body;
    expect(JSON.stringify(purged)).toMatch(/voicemails and recordings of leaver purged/);
  });

  it('DEL-6 a new directory user whose email matches a hand-made portal user is linked, not duplicated', async () => {
    const handMade = await service.admin.post('/registrations/contoso/voice-users', {
      userName: 'kjohnson', firstName: 'K', lastName: 'Johnson', primaryEmail: 'katherine.johnson@contoso.example', locationId: 'loc-sea', extension: '4001',
    });
    expect(handMade.status, handMade.text).toBe(201);
    const user = (await jit.scim.post('/Users', employee('katherine.johnson@contoso.example'))).body;
    const linked = (await voiceUsers('contoso')).filter((v) => v.id === handMade.body.id || v.directoryUserId === user.id);
    expect(linked).toEqual([expect.objectContaining({ id: handMade.body.id, directoryUserId: user.id, origin: 'provisioned', userName: 'katherine.johnson', extension: '4001' })]);
  });

  it('ELIG-4 a guest is accepted into the directory but gets no voice user; SYNC-5 the error is audited with its rule', async () => {
    const guest = await jit.scim.post('/Users', employee('guest_fabrikam.com#EXT#@contoso.example'));
    expect(guest.status).toBe(201);
    expect((await voiceUsers('contoso')).some((v) => v.userName.includes('#EXT#'))).toBe(false);
    await service.service.audit.recorder.flush();
    const events = await service.admin.get(`/audit/events?registration=contoso&action=VoiceUser.Error&limit=50`);
    expect(JSON.stringify(events.body)).toContain('ELIG-1');
  });

  it('MAP-1..6, ELIG-1..3 and DATA-1 over HTTPS: what Entra pushes becomes exactly these voice users, and each refusal names its rule', async () => {
    const mapping = await service.registration('mapping', {
      accountDomains: ['mapping.example', '*.mapping.example'],
      syncMode: { kind: 'on-demand' },
      locationSource: `${ENTERPRISE}:department`,
      locationMap: { 'Sales Seattle': 'loc-sea', Paris: 'loc-par-1', ' paris ': 'loc-par-2' },
    });
    const inDepartment = (department: string, extra: Record<string, unknown> = {}) => ({ [ENTERPRISE]: { department }, ...extra });
    const pushed = [
      entraUser('ada.lovelace@mapping.example', inDepartment('sales   seattle', {
        schemas: [USER_SCHEMA, ENTERPRISE, MAILBOX],
        [MAILBOX]: { proxyAddresses: 'smtp:ada@mapping.example;SMTP:countess@mapping.example' },
      })),
      entraUser('mononym@mapping.example', inDepartment('Sales Seattle', { name: { givenName: '' }, displayName: 'Grace Brewster Hopper', emails: [] })),
      entraUser('guest_other.com#EXT#@mapping.example', inDepartment('Sales Seattle')),
      entraUser('tenant@mapping.onmicrosoft.com', inDepartment('Sales Seattle')),
      entraUser('outsider@elsewhere.example', inDepartment('Sales Seattle')),
      entraUser('lost@mapping.example', inDepartment('Atlantis')),
      entraUser('torn@mapping.example', inDepartment('Paris')),
      entraUser('twin@mapping.example', inDepartment('Sales Seattle')),
      entraUser('twin@sales.mapping.example', inDepartment('Sales Seattle')),
    ];
    for (const body of pushed) expect((await mapping.scim.post('/Users', body)).status).toBe(201);

    const report = (await service.admin.post('/registrations/mapping/reconcile', {})).body;
    expect(report.errors.map((e: { rule: string; userName: string }) => `${e.rule} ${e.userName}`).sort()).toEqual([
      'ELIG-1 guest_other.com#EXT#@mapping.example',
      'ELIG-2 tenant@mapping.onmicrosoft.com',
      'ELIG-3 outsider@elsewhere.example',
      'MAP-3 twin',
      'MAP-3 twin',
      'MAP-6 lost@mapping.example',
      'MAP-6 torn@mapping.example',
    ]);
    expect(report.errors.find((e: { userName: string }) => e.userName === 'torn@mapping.example').message).toMatch(/ambiguous.*loc-par-1, loc-par-2/);
    const created = (await service.store.voiceUsers.list(mapping.id)).sort((a, b) => a.userName.localeCompare(b.userName));
    expect(created.map(({ registrationId: _r, id: _i, directoryUserId: _d, createdAt: _c, updatedAt: _u, ...fields }) => fields)).toEqual([
      { userName: 'ada.lovelace', firstName: 'ada', lastName: 'lovelace', primaryEmail: 'countess@mapping.example', additionalEmails: ['ada@mapping.example'], locationId: 'loc-sea', status: 'active', licenses: [], origin: 'provisioned', version: 1 },
      { userName: 'mononym', firstName: 'Grace', lastName: 'Brewster Hopper', primaryEmail: 'mononym@mapping.example', additionalEmails: [], locationId: 'loc-sea', status: 'active', licenses: [], origin: 'provisioned', version: 1 },
    ]);
  });

  it('SYNC-2 on demand: SCIM changes wait for Reconcile; the dry run shows the plan and changes nothing', async () => {
    const onDemand = await service.registration('ondemand', { ...VOICE_SETTINGS, accountDomains: ['ondemand.example'], syncMode: { kind: 'on-demand' } });
    await onDemand.scim.post('/Users', employee('first@ondemand.example'));
    await onDemand.scim.post('/Users', employee('nowhere@ondemand.example', 'Atlantis'));
    expect(await voiceUsers('ondemand')).toEqual([]);
    const dryRun = await service.admin.post('/registrations/ondemand/reconcile?dryRun=true', {});
    expect(dryRun.body).toMatchObject({ dryRun: true, counts: { create: 1, error: 1 } });
    expect(dryRun.body.errors[0]).toMatchObject({ rule: 'MAP-6', message: expect.stringContaining('Atlantis') });
    expect(await voiceUsers('ondemand')).toEqual([]);
    const applied = await service.admin.post('/registrations/ondemand/reconcile', {});
    expect(applied.body.counts).toMatchObject({ create: 1, error: 1 });
    expect((await voiceUsers('ondemand')).map((v) => v.userName)).toEqual(['first']);
    const again = await service.admin.post('/registrations/ondemand/reconcile', {});
    expect(again.body.counts).toMatchObject({ create: 0, update: 0, delete: 0 });
  });

  it('DEL-2 user who leaves every synced group is deleted at the next reconciliation', async () => {
    const scoped = await service.registration('scoped', { ...VOICE_SETTINGS, accountDomains: ['scoped.example'], syncMode: { kind: 'on-demand' }, scope: { kind: 'groups', groups: [{ displayName: 'Voice Users' }] } });
    const inGroup = (await scoped.scim.post('/Users', employee('member@scoped.example'))).body;
    await scoped.scim.post('/Users', employee('outsider@scoped.example'));
    const group = (await scoped.scim.post('/Groups', entraGroup('Voice Users', [inGroup.id]))).body;
    await service.admin.post('/registrations/scoped/reconcile', {});
    expect((await voiceUsers('scoped')).map((v) => v.userName)).toEqual(['member']);
    await scoped.scim.patch(`/Groups/${group.id}`, patch({ op: 'Remove', path: 'members', value: [{ value: inGroup.id }] }));
    const report = await service.admin.post('/registrations/scoped/reconcile', {});
    expect(report.body.plan).toEqual([expect.objectContaining({ kind: 'delete', rule: 'DEL-2', reason: 'left-every-synced-group' })]);
    expect(await voiceUsers('scoped')).toEqual([]);
  });

  it('SYNC-5 no licence left: the user is kept in the directory and reported; a freed seat is taken at the next Reconcile', async () => {
    const licensed = await service.registration('licensed', {
      ...VOICE_SETTINGS,
      accountDomains: ['licensed.example'],
      licensing: { seats: { 'voice-standard': 2 }, assignOnCreate: ['voice-standard'] },
    });
    const [first] = await Promise.all(['one', 'two', 'three'].map(async (name) => (await licensed.scim.post('/Users', employee(`${name}@licensed.example`))).body));
    const provisioned = await voiceUsers('licensed');
    expect(provisioned.map((v) => v.licenses)).toEqual([['voice-standard'], ['voice-standard']]);
    const dryRun = await service.admin.post('/registrations/licensed/reconcile?dryRun=true', {});
    expect(dryRun.body.errors).toEqual([expect.objectContaining({ rule: 'SYNC-5', message: expect.stringMatching(/was not created: no "voice-standard" licence left \(all 2 seats are in use\)/) })]);
    await service.service.audit.recorder.flush();
    const audited = await service.admin.get('/audit/events?registration=licensed&action=VoiceUser.Error&limit=50');
    expect(JSON.stringify(audited.body)).toContain('no \\"voice-standard\\" licence left');

    const handMade = await service.admin.post('/registrations/licensed/voice-users', {
      userName: 'reception', firstName: 'Front', lastName: 'Desk', primaryEmail: 'reception@licensed.example', locationId: 'loc-sea', licenses: ['voice-standard'],
    });
    expect(handMade.status).toBe(409);
    expect(handMade.body).toMatchObject({ code: 'voice_user.no_license_left', message: expect.stringContaining('voice-standard') });

    const leaver = provisioned.find((v) => v.directoryUserId === first.id) ?? provisioned[0]!;
    await licensed.scim.delete(`/Users/${leaver.directoryUserId}`);
    const report = await service.admin.post('/registrations/licensed/reconcile', {});
    expect(report.body.counts).toMatchObject({ create: 1, error: 0 });
    expect((await voiceUsers('licensed')).map((v) => v.licenses)).toEqual([['voice-standard'], ['voice-standard']]);
  });

  it('REG-4 ending a registration removes every voice user provisioned through it (dry run first)', async () => {
    const ending = await service.registration('ending', { ...VOICE_SETTINGS, accountDomains: ['ending.example'] });
    await ending.scim.post('/Users', employee('one@ending.example'));
    await ending.scim.post('/Users', employee('two@ending.example'));
    expect((await voiceUsers('ending')).length).toBe(2);
    expect((await service.admin.delete('/registrations/ending?dryRun=true')).body).toMatchObject({ dryRun: true, users: 2, voiceUsers: 2 });
    expect((await voiceUsers('ending')).length).toBe(2);
    expect((await service.admin.delete('/registrations/ending')).body).toMatchObject({ voiceUsers: 2 });
    expect(await service.store.voiceUsers.list(ending.id)).toEqual([]);
  });
});

describe.each(STORE_KINDS)('SYNC-3 batched reconciliation with two instances on one database (%s store)', (kind) => {
  let first: TestService;
  let second: TestService;
  beforeAll(async () => {
    first = await startTestService(kind, { BATCH_TICK_MS: '150' });
    second = await startTestService(kind, { BATCH_TICK_MS: '150', ...first.storeEnv });
  });
  afterAll(async () => {
    await second.stop();
    await first.stop();
  });

  it('SYNC-3 a registration is reconciled by one instance at a time; a crashed holder’s lease expires and another takes over', async () => {
    const batched = await first.registration('batched', { ...VOICE_SETTINGS, syncMode: { kind: 'on-demand' } });
    const lease = `reconcile:${batched.id}`;
    // A holder that "crashed" while reconciling: nobody may run while its lease lasts. Taken
    // before the registration is batched, so no scheduler run can hold it first.
    expect(await first.store.leases.acquire(lease, 'crashed-instance', 60_000)).toBe(true);
    for (const n of [1, 2, 3]) expect((await batched.scim.post('/Users', employee(`batch${n}@contoso.example`))).status).toBe(201);
    const refused = Promise.race([first, second].map((instance) => refusal(instance, lease)));
    expect((await first.admin.patch('/registrations/batched', { syncMode: { kind: 'batched', intervalMinutes: 0.005 } })).status).toBe(200);
    // A scheduler has ticked, found the registration due and been refused by the crashed run's lease.
    expect((await refused).holder).toBe('crashed-instance');
    expect(await first.store.voiceUsers.list(batched.id)).toEqual([]);
    // The crashed holder's time passes (its lease expires in the database's clock): the next due tick runs.
    const ran = Promise.race([first, second].map((instance) => runFinished(instance, lease)));
    expect(await first.store.leases.acquire(lease, 'crashed-instance', -1)).toBe(true);
    await ran;
    expect((await second.store.voiceUsers.list(batched.id)).map((v) => v.userName).sort()).toEqual(['batch1', 'batch2', 'batch3']);
    await Promise.all([first.service.audit.recorder.flush(), second.service.audit.recorder.flush()]);
    const runs = (await first.admin.get('/audit/events?registration=batched&action=Reconcile.Run&limit=100')).body;
    expect(JSON.stringify(runs)).not.toMatch(/"error":[1-9]/);
  });
});

/** The next time a run under `lease` ends on `instance` (fails after 10 s). */
function runFinished(instance: TestService, lease: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no run of ${lease} finished within 10 s`)), 10_000).unref();
    const listener = (finishedLease: string) => {
      if (finishedLease !== lease) return;
      clearTimeout(timer);
      instance.service.jobs.events.off('finished', listener);
      resolve();
    };
    instance.service.jobs.events.on('finished', listener);
  });
}

/** The next time `instance`'s job runner is refused `lease`, with who held it (fails after 10 s). */
function refusal(instance: TestService, lease: string): Promise<LeaseHolder> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no run of ${lease} was refused within 10 s`)), 10_000).unref();
    const listener = (refusedLease: string, heldBy: LeaseHolder | null) => {
      if (refusedLease !== lease || !heldBy) return;
      clearTimeout(timer);
      instance.service.jobs.events.off('refused', listener);
      resolve(heldBy);
    };
    instance.service.jobs.events.on('refused', listener);
  });
}
