import { randomUUID } from 'node:crypto';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type StoreKind, type TestService } from '../support/test-service.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import type { UserRecord } from '../../src/store/store.js';

const SETTINGS = {
  accountDomains: ['crashy.example'],
  locationMap: { Seattle: 'loc-sea' },
  syncMode: { kind: 'on-demand' },
  licensing: { seats: { 'voice-standard': 100_000 }, assignOnCreate: ['voice-standard'] },
};
/** Enough rows that a run is still going when the test kills it (SQLite applies a row in well under 1 ms). */
const NEW_USERS: Record<StoreKind, number> = { sqlite: 3000, mongodb: 300 };
const LEAVERS = 40;

function directoryUser(registrationId: string, name: string): UserRecord {
  const now = new Date().toISOString();
  const userName = `${name}@crashy.example`;
  return { id: randomUUID(), registrationId, userName, version: 1, created: now, lastModified: now, resource: { userName, active: true, addresses: [{ type: 'work', locality: 'Seattle' }] } };
}

/** Starts Reconcile with progress on the process and kills it (SIGKILL) once `fraction` of the rows are done. */
function killMidRun(service: TestService, running: ServiceProcess, registration: string, fraction: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = https.request(`${running.adminUrl}/admin/v1/registrations/${registration}/reconcile?progress=true`, {
      method: 'POST',
      ca: service.ca.certificatePem,
      headers: { authorization: `Bearer ${service.adminToken}`, 'content-type': 'application/json' },
    });
    request.on('response', (response) => {
      let buffered = '';
      response.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          const progress = JSON.parse(line);
          if (progress.report) reject(new Error('the run finished before it could be killed; raise NEW_USERS'));
          else if (progress.done >= progress.total * fraction) {
            running.child.kill('SIGKILL');
            resolve(progress.done);
          }
        }
      });
      response.on('error', () => undefined);
    });
    request.on('error', () => undefined);
    request.end('{}');
  });
}

/** Writes the killed process had already sent are still applied by the database; wait for them. */
async function settled<T extends unknown[]>(read: () => Promise<T>): Promise<T> {
  let previous = await read();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const current = await read();
    if (current.length === previous.length) return current;
    previous = current;
  }
}

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

  it('SYNC-4 the server process is killed (SIGKILL) half-way; the next run does only what is left, with no duplicates', async () => {
    const registration = await service.registration('crashy', SETTINGS);
    const { store } = service;
    const leavers = await Promise.all(Array.from({ length: LEAVERS }, (_, i) => store.users.insert(directoryUser(registration.id, `leaver${i}`))));
    expect((await service.admin.post('/registrations/crashy/reconcile', {})).body.counts.create).toBe(LEAVERS);
    await Promise.all(leavers.map((user) => store.users.delete(registration.id, user.id)));
    const joiners = NEW_USERS[kind];
    for (let i = 0; i < joiners; i += 500) {
      await Promise.all(Array.from({ length: Math.min(500, joiners - i) }, (_, j) => store.users.insert(directoryUser(registration.id, `joiner${i + j}`))));
    }

    serviceProcess = await startServiceProcess(service);
    const doneWhenKilled = await killMidRun(service, serviceProcess, 'crashy', 0.3);
    expect(await serviceProcess.exited).toBe('SIGKILL');

    const afterCrash = await settled(() => store.voiceUsers.list(registration.id));
    const createdBeforeCrash = afterCrash.filter((v) => v.userName.startsWith('joiner')).length;
    expect(doneWhenKilled).toBeGreaterThan(LEAVERS);
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
  });
});
