import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { STORE_KINDS, startTestService, type StoreKind, type TestService } from '../support/test-service.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import type { UserRecord } from '../../src/directory/directory-port.js';

const SETTINGS = {
  accountDomains: ['crashy.example'],
  locationMap: { Seattle: 'loc-sea' },
  syncMode: { kind: 'on-demand' },
  licensing: { seats: { 'voice-standard': 100_000 }, assignOnCreate: ['voice-standard'] },
};
/** Enough rows that a run is still going when the test kills it (SQLite applies a row in well under 1 ms). */
const NEW_USERS: Record<StoreKind, number> = { sqlite: 3000, mongodb: 300 };
const LEAVERS = 40;
/** Renewed every second while the run lasts; the killed run's lease is free at most this long after. */
const RUN_LEASE_MS = 3000;

function directoryUser(registrationId: string, name: string): UserRecord {
  const now = new Date().toISOString();
  const userName = `${name}@crashy.example`;
  return { id: randomUUID(), registrationId, userName, version: 1, created: now, lastModified: now, resource: { userName, active: true, addresses: [{ type: 'work', locality: 'Seattle' }] } };
}

/** The administrator's `reconcile` command, against the server process. */
function reconcileFromCli(service: TestService, running: ServiceProcess, registration: string) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const cli = spawn(process.execPath, ['bin/scim-voice-portal.js', 'reconcile', '--registration', registration], {
      env: { ...process.env, ADMIN_URL: running.adminUrl, ADMIN_TOKEN: service.adminToken, ADMIN_CA_FILE: path.join(service.dir, 'ca.pem') },
    });
    let stderr = '';
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    cli.on('exit', (code) => resolve({ code, stderr }));
  });
}

const waitUntil = (condition: () => Promise<boolean>) => vi.waitUntil(condition, { timeout: 60_000, interval: 5 });

describe.each(STORE_KINDS)('SYNC-4 a reconcile cut short by a crash finishes cleanly when run again (%s store)', (kind) => {
  let service: TestService;
  let serviceProcess: ServiceProcess | undefined;
  beforeAll(async () => {
    service = await startTestService(kind);
  });
  afterAll(async () => {
    serviceProcess?.child.kill('SIGKILL');
    await service.stop();
  });

  it('SYNC-4 the server process is killed (SIGKILL) mid-run; the CLI says so, and the next run does only what is left, with no duplicates', async () => {
    const registration = await service.registration('crashy', SETTINGS);
    const { store } = service;
    const leavers = await Promise.all(Array.from({ length: LEAVERS }, (_, i) => store.users.insert(directoryUser(registration.id, `leaver${i}`))));
    expect((await service.admin.post('/registrations/crashy/reconcile', {})).body.counts.create).toBe(LEAVERS);
    await Promise.all(leavers.map((user) => store.users.delete(registration.id, user.id)));
    const joiners = NEW_USERS[kind];
    for (let i = 0; i < joiners; i += 500) {
      await Promise.all(Array.from({ length: Math.min(500, joiners - i) }, (_, j) => store.users.insert(directoryUser(registration.id, `joiner${i + j}`))));
    }

    // A short run lease, so the killed run's lease expires soon and the rerun may take it over.
    serviceProcess = await startServiceProcess(service, { RUN_LEASE_MS: String(RUN_LEASE_MS) });
    const cli = reconcileFromCli(service, serviceProcess, 'crashy');
    // Deletions run first, so more seats held than the leavers had means creates are under way.
    await waitUntil(async () => (await store.voiceUsers.countHolding(registration.id, 'voice-standard')) >= LEAVERS + joiners * 0.1);
    serviceProcess.child.kill('SIGKILL');
    expect(await serviceProcess.exited).toBe('SIGKILL');
    expect((await store.leases.current(`reconcile:${registration.id}`))?.holder).toBeDefined();
    const told = await cli;
    expect(told.code).toBe(1);
    expect(told.stderr).toMatch(/Reconcile stopped part-way: .*Run it again: a run does only what is left \(SYNC-4\)/);

    // SYNC-3: the killed run holds the registration until its lease expires; then a rerun takes over. The
    // database may still apply writes the killed process had sent; a lease outlives them, so read after it.
    await waitUntil(async () => (await store.leases.current(`reconcile:${registration.id}`)) === null);
    const afterCrash = await store.voiceUsers.list(registration.id);
    const createdBeforeCrash = afterCrash.filter((v) => v.userName.startsWith('joiner')).length;
    expect(afterCrash.some((v) => v.userName.startsWith('leaver'))).toBe(false);
    expect(createdBeforeCrash).toBeGreaterThan(0);
    expect(createdBeforeCrash).toBeLessThan(joiners);

    const rerun = (await service.admin.post('/registrations/crashy/reconcile', {})).body;
    expect(rerun.errors).toEqual([]);
    expect(rerun.counts).toMatchObject({ create: joiners - createdBeforeCrash, delete: 0, update: 0 });

    const final = await store.voiceUsers.list(registration.id);
    expect(final).toHaveLength(joiners);
    expect(new Set(final.map((v) => v.directoryUserId)).size).toBe(joiners);
    expect(final.every((v) => v.licenses.join() === 'voice-standard')).toBe(true);
    expect(await store.voiceUsers.countHolding(registration.id, 'voice-standard')).toBe(joiners);
    expect((await store.retention.list(registration.id)).filter((r) => r.userName.startsWith('leaver'))).toHaveLength(LEAVERS);
    expect((await service.admin.post('/registrations/crashy/reconcile', {})).body.counts).toMatchObject({ create: 0, update: 0, delete: 0, error: 0 });
  }, 90_000);
});
