import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type TestService } from '../support/test-service.js';
import { entraUser } from './scim-fixtures.js';

const run = promisify(execFile);

interface AuditEventShape {
  action: string;
  actor: { kind: string };
  summary: string;
  details?: { before?: Record<string, unknown>; after?: Record<string, unknown> };
}

describe.each(STORE_KINDS)('Registrations: every change audited, history kept after end of service (%s store)', (kind) => {
  let service: TestService;
  const events = async (query: string): Promise<AuditEventShape[]> => {
    await service.service.audit.recorder.flush();
    const found = await service.admin.get(`/audit/events?${query}`);
    expect(found.status, found.text).toBe(200);
    return found.body.events;
  };
  const cli = (...args: string[]) =>
    run(process.execPath, ['bin/scim-voice-portal.js', ...args], { env: { ...process.env, ADMIN_URL: service.adminUrl, ADMIN_TOKEN: service.adminToken, ADMIN_CA_FILE: path.join(service.dir, 'ca.pem') } });

  beforeAll(async () => {
    service = await startTestService(kind);
  });
  afterAll(() => service.stop());

  it('REG-1 creating, updating (before/after of each setting), binding and removing credentials write Registration.* events with the admin actor, never a secret', async () => {
    const client = await service.registration('audited', { locationMap: { Seattle: 'loc-sea' }, syncMode: { kind: 'on-demand' } });
    await service.admin.patch('/registrations/audited', { recordingRetention: '3-years', locationMap: { Oslo: 'loc-osl' } });
    const token = (await service.admin.post('/registrations/audited/tokens', { label: 'entra' })).body;
    await service.admin.delete(`/registrations/audited/tokens/${token.id}`);
    const trail = await events('registration=audited&action=Registration.*&limit=50');
    expect(trail.map((e) => e.action).reverse()).toEqual(['Registration.Create', 'Registration.AddCertificate', 'Registration.Update', 'Registration.AddToken', 'Registration.RevokeToken']);
    expect(trail.every((e) => e.actor.kind === 'admin')).toBe(true);
    const update = trail.find((e) => e.action === 'Registration.Update')!;
    expect(update.details).toEqual({
      name: 'audited',
      before: { recordingRetention: '1-year', locationMap: { Seattle: 'loc-sea' } },
      after: { recordingRetention: '3-years', locationMap: { Seattle: 'loc-sea', Oslo: 'loc-osl' } },
    });
    expect(trail.find((e) => e.action === 'Registration.AddCertificate')!.summary).toContain(client.certificate.fingerprint256 ?? 'SHA-256');
    expect(JSON.stringify(trail)).not.toContain(token.token.split('_').slice(2).join('_'));
  });

  it('REG-1 the CLI adds, changes and removes one location at a time, and refuses a location without its portal id', async () => {
    await service.registration('locations', { locationMap: { Seattle: 'loc-sea', Oslo: 'loc-osl' } });
    const updated = JSON.parse((await cli('registrations', 'update', 'locations', '--location', 'London=loc-lon', '--location', 'Oslo=loc-osl-2', '--remove-location', 'Seattle')).stdout);
    expect(updated.settings.locationMap).toEqual({ Oslo: 'loc-osl-2', London: 'loc-lon' });
    await expect(cli('registrations', 'update', 'locations', '--location', 'Seattle')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('--location takes name=portal-location-id') });
    expect((await service.admin.get('/registrations/locations')).body.settings.locationMap).toEqual({ Oslo: 'loc-osl-2', London: 'loc-lon' });
  });

  it('REG-1 location names are kept as the customer wrote them, dots and leading $ included', async () => {
    await service.registration('dotted', { locationMap: { Seattle: 'loc-sea' } });
    const updated = await service.admin.patch('/registrations/dotted', { locationMap: { 'St. Louis': 'loc-stl', '$Main.Office': 'loc-main' } });
    expect(updated.status, updated.text).toBe(200);
    expect((await service.admin.get('/registrations/dotted')).body.settings.locationMap).toEqual({ Seattle: 'loc-sea', 'St. Louis': 'loc-stl', '$Main.Office': 'loc-main' });
  });

  it('REG-4 after end of service no voice user remains (hand-made ones included), and the trail is still found by the registration name and id', async () => {
    const ending = await service.registration('farewell', { accountDomains: ['farewell.example'], locationMap: { Seattle: 'loc-sea' } });
    await ending.scim.post('/Users', entraUser('one@farewell.example', { addresses: [{ type: 'work', locality: 'Seattle' }] }));
    const handMade = await service.admin.post('/registrations/farewell/voice-users', { userName: 'desk', firstName: 'Front', lastName: 'Desk', primaryEmail: 'desk@farewell.example', locationId: 'loc-sea' });
    expect(handMade.status, handMade.text).toBe(201);
    expect((await service.admin.delete('/registrations/farewell')).body).toMatchObject({ voiceUsers: 2 });
    expect(await service.store.voiceUsers.list(ending.id)).toEqual([]);
    expect((await service.store.retention.list(ending.id)).map((r) => r.userName).sort()).toEqual(['desk', 'one']);
    const byName = await events('registration=farewell&limit=100');
    expect(byName.map((e) => e.action)).toEqual(expect.arrayContaining(['Registration.Delete', 'VoiceUser.Delete', 'User.Create', 'Registration.Create']));
    expect(await events(`registration=${ending.id}&action=Registration.Delete`)).toHaveLength(1);
  });

  it('DEL-4 support lists the recordings kept for deleted voice users with their purge dates, through the API and the CLI', async () => {
    const client = await service.registration('keeper', { accountDomains: ['keeper.example'], locationMap: { Seattle: 'loc-sea' }, recordingRetention: '2-years' });
    const user = (await client.scim.post('/Users', entraUser('gone@keeper.example', { addresses: [{ type: 'work', locality: 'Seattle' }] }))).body;
    expect((await client.scim.delete(`/Users/${user.id}`)).status).toBe(204);
    const listed = (await service.admin.get('/registrations/keeper/retention')).body;
    expect(listed).toEqual([expect.objectContaining({ userName: 'gone', purgeAfter: expect.any(String) })]);
    expect(new Date(listed[0].purgeAfter).getUTCFullYear() - new Date(listed[0].deletedAt).getUTCFullYear()).toBe(2);
    const fromCli = JSON.parse((await cli('voice-users', 'retention', '--registration', 'keeper')).stdout);
    expect(fromCli).toEqual(listed);
  });

  it('REG-3 no customer administrator credentials are asked for or stored: a registration has no such setting, and one sent is refused', async () => {
    const refused = await service.admin.post('/registrations', { name: 'creds', portalAccountId: 'X', accountDomains: ['creds.example'], adminUsername: 'admin@creds.example', adminPassword: 'Secret-1' });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/adminUsername|adminPassword|unrecognized/i);
    const stored = JSON.stringify(await service.store.registrations.list());
    expect(stored).not.toMatch(/password/i);
  });
});
