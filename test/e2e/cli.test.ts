import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/test-service.js';
import { entraUser } from './scim-fixtures.js';

const run = promisify(execFile);

describe('The command-line tool drives the admin API', () => {
  let service: TestService;
  const cli = (...args: string[]) =>
    run(process.execPath, ['bin/scim-voice-portal.js', ...args], {
      env: { ...process.env, ADMIN_URL: service.adminUrl, ADMIN_TOKEN: service.adminToken, ADMIN_CA_FILE: path.join(service.dir, 'ca.pem') },
    });
  beforeAll(async () => {
    service = await startTestService('sqlite');
  });
  afterAll(() => service.stop());

  it('REG-1 creates a registration, binds a certificate (printing what was bound) and lists it', async () => {
    const created = JSON.parse((await cli('registrations', 'create', '--name', 'northwind', '--portal-account', 'NW-1', '--domains', 'northwind.example', '--sync-mode', 'on-demand', '--location', 'Seattle=loc-sea')).stdout);
    expect(created).toMatchObject({ name: 'northwind', settings: { accountDomains: ['northwind.example'], syncMode: { kind: 'on-demand' }, locationMap: { Seattle: 'loc-sea' } } });
    const bound = JSON.parse((await cli('registrations', 'add-cert', 'northwind', 'certs.example/fabrikam-client.pem')).stdout);
    expect(bound.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const listed = JSON.parse((await cli('registrations', 'list')).stdout);
    expect(listed.map((r: { name: string }) => r.name)).toContain('northwind');
  });

  it('REG-1 update changes only the settings it is given (SYNC-5 seats one at a time)', async () => {
    await cli('registrations', 'create', '--name', 'tailspin', '--portal-account', 'TS-1', '--domains', 'tailspin.example', '--sync-mode', 'on-demand', '--location', 'Oslo=loc-osl');
    await cli('registrations', 'update', 'tailspin', '--seats', 'voice-standard=25', '--assign-licenses', 'voice-standard,voicemail');
    const updated = JSON.parse((await cli('registrations', 'update', 'tailspin', '--seats', 'voice-standard=30')).stdout);
    expect(updated.settings).toMatchObject({
      syncMode: { kind: 'on-demand' },
      locationMap: { Oslo: 'loc-osl' },
      licensing: { seats: { 'voice-standard': 30 }, assignOnCreate: ['voice-standard', 'voicemail'] },
    });
  });

  it('REG-1 input is validated with a clear message', async () => {
    await expect(cli('registrations', 'create', '--name', 'bad', '--portal-account', 'X', '--domains', 'not a domain')).rejects.toMatchObject({
      stderr: expect.stringContaining('accountDomains.0: is not a valid domain name'),
    });
    await expect(cli('registrations', 'create', '--name', 'bad', '--portal-account', 'X', '--domains', 'x.example', '--sync-mode', 'sometimes')).rejects.toMatchObject({
      stderr: expect.stringContaining('syncMode'),
    });
  });

  it('SYNC-2 reconcile --dry-run prints the plan and changes nothing; reconcile applies it', async () => {
    const client = await service.registration('cli-reconcile', { syncMode: { kind: 'on-demand' }, locationMap: { Seattle: 'loc-sea' } });
    await client.scim.post('/Users', entraUser('pat@cli-reconcile.example', { addresses: [{ type: 'work', locality: 'Seattle' }] }));
    const plan = JSON.parse((await cli('reconcile', '--registration', 'cli-reconcile', '--dry-run')).stdout);
    expect(plan).toMatchObject({ dryRun: true, counts: { create: 1 } });
    expect(await service.store.voiceUsers.list(client.id)).toEqual([]);
    const applied = JSON.parse((await cli('reconcile', '--registration', 'cli-reconcile')).stdout);
    expect(applied.counts.create).toBe(1);
    expect((await service.store.voiceUsers.list(client.id)).map((v) => v.userName)).toEqual(['pat']);
  });
});
