import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type TestService } from '../support/test-service.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { startSlowRequest } from '../support/slow-request.js';

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(STORE_KINDS)('SIGTERM drains the service (%s store)', (kind) => {
  let service: TestService;
  let running: ServiceProcess | undefined;
  beforeAll(async () => {
    service = await startTestService(kind);
  });
  afterAll(async () => {
    running?.child.kill('SIGKILL');
    await service.stop();
  });

  it('SYNC-1/AUD-1 a PATCH whose body is still arriving at SIGTERM completes with 204, is audited, its just-in-time reconcile reaches the portal, and the process exits 0', async () => {
    const registration = await service.registration('drain', { locationMap: { Seattle: 'loc-sea' }, syncMode: { kind: 'just-in-time' } });
    const created = await registration.scim.post('/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'jane@drain.example',
      name: { givenName: 'Jane', familyName: 'Doe' },
      addresses: [{ type: 'work', locality: 'Seattle' }],
      active: true,
    });
    expect(created.status, created.text).toBe(201);
    running = await startServiceProcess(service);
    const correlationId = `drain-${randomUUID()}`;
    const slow = await startSlowRequest(`${running.scimUrl}/Users/${created.body.id}`, {
      method: 'PATCH',
      body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'name.givenName', value: 'Drained' }] },
      ca: service.ca.certificatePem,
      cert: registration.certificate.certificatePem,
      key: registration.certificate.privateKeyPem,
      headers: { 'client-request-id': correlationId },
    });

    running.child.kill('SIGTERM');
    await waitFor(() => running!.output().includes('"draining'), 'the process to start draining');
    const answer = await slow.finish();
    expect(answer.status, answer.text).toBe(204);
    expect(await running.exited).toBe(0);
    const output = running.output();
    expect(output).toContain('"drained"');
    expect(output).not.toMatch(/audit recorder is closed|unsaved|UnhandledPromiseRejection/i);

    const trail = await service.admin.get(`/audit/events?registration=drain&action=User.Patch&limit=10`);
    expect(trail.body.events.find((event: { correlationId: string }) => event.correlationId === correlationId)).toMatchObject({ outcome: { status: 204, success: true } });
    const [voiceUser] = await service.store.voiceUsers.findByDirectoryUsers(registration.id, [created.body.id]);
    expect(voiceUser?.firstName).toBe('Drained');
  }, 60_000);
});
