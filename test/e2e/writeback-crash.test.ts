import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type TestService } from '../support/test-service.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { createHttpsClient } from '../support/https-client.js';
import { startFakeGraph, waitFor, type FakeGraph } from '../support/fake-graph.js';
import { entraUser } from './scim-fixtures.js';

describe.each(STORE_KINDS)('TWO-1 pending write-backs survive a killed service process (%s store)', (kind) => {
  let fake: FakeGraph;
  let service: TestService;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    fake = await startFakeGraph();
    // This in-process instance only sets the scene; the processes below do the draining.
    service = await startTestService(kind, { ...fake.serviceEnv(), WRITEBACK_DRAIN_MS: '3600000' });
  });
  afterAll(async () => {
    for (const running of processes) running.child.kill('SIGKILL');
    await service.stop();
    await fake.close();
  });

  const startProcess = async () => {
    const running = await startServiceProcess(service, fake.serviceEnv());
    processes.push(running);
    return { running, admin: createHttpsClient(`${running.adminUrl}/admin/v1`, { ca: service.ca.certificatePem, bearer: service.adminToken }) };
  };

  it('TWO-1: changes recorded while Graph is down, by a process then SIGKILLed, are delivered once by the next process', async () => {
    const { writeBack } = await fake.customerApp();
    const registration = await service.registration('crashy', { syncDirection: 'two-way', writeBack, locationMap: { Seattle: 'loc-sea' } });
    const objectId = randomUUID();
    const pushed = await registration.scim.post('/Users', entraUser('gus@crashy.example', { externalId: objectId, addresses: [{ type: 'work', locality: 'Seattle' }] }));
    expect(pushed.status, pushed.text).toBe(201);
    const [voiceUser] = await service.store.voiceUsers.findByDirectoryUsers(registration.id, [pushed.body.id]);

    await fake.down();
    const first = await startProcess();
    for (const change of [{ extension: '9001' }, { did: '+14255550199' }, { extension: '9002' }]) {
      const edited = await first.admin.patch(`/registrations/crashy/voice-users/${voiceUser!.id}`, change);
      expect(edited.status, edited.text).toBe(200);
    }
    await waitFor('the killed process to have tried Graph', async () => (await service.store.outbox.pending(registration.id, 10)).some((entry) => entry.attempts > 0));
    first.running.child.kill('SIGKILL');
    expect(await first.running.exited).toBe('SIGKILL');
    first.admin.close();

    await fake.up();
    expect(fake.applied()).toEqual([]);
    expect((await service.store.outbox.backlog(registration.id)).pending).toBe(3);
    const second = await startProcess();
    await waitFor('the backlog to be written back after the restart', async () => (await service.store.outbox.backlog(registration.id)).pending === 0, 30_000);
    expect(fake.applied().map((request) => [request.userId, request.body])).toEqual([[objectId, { onPremisesExtensionAttributes: { extensionAttribute1: '9002' }, businessPhones: ['+14255550199'] }]]);
    second.admin.close();
  });
});
