import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { startFakeGraph, waitFor, type FakeGraph } from '../support/fake-graph.js';
import { entraUser, patch } from './scim-fixtures.js';

interface Outbox {
  pending: number;
  oldestAgeSeconds?: number;
  attempts?: number;
  lastError?: string;
  entries: { userName: string; fields: string[]; attempts: number }[];
}

describe.each(STORE_KINDS)('TWO-1 two-way write-back to Microsoft Graph through the outbox (%s store)', (kind) => {
  let fake: FakeGraph;
  let service: TestService;
  let twoWay: RegisteredClient;
  let writeBack: Awaited<ReturnType<FakeGraph['customerApp']>>['writeBack'];
  let privateKeyPem: string;

  const outbox = async (registration = 'twoway'): Promise<Outbox> => (await service.admin.get(`/registrations/${registration}/outbox`)).body;
  const appliedTo = (entraId: string) => fake.applied().filter((request) => request.userId === entraId);
  const editVoiceUser = async (registration: string, voiceUserId: string, change: Record<string, string>) => {
    const edited = await service.admin.patch(`/registrations/${registration}/voice-users/${voiceUserId}`, change);
    expect(edited.status, edited.text).toBe(200);
  };
  /** A user pushed by Entra (object id as externalId) and the voice user just-in-time made for it. */
  const provision = async (client: RegisteredClient, localPart: string) => {
    const objectId = randomUUID();
    const created = await client.scim.post('/Users', entraUser(`${localPart}@${client.name}.example`, { externalId: objectId, addresses: [{ type: 'work', locality: 'Seattle' }] }));
    expect(created.status, created.text).toBe(201);
    const voiceUsers: { id: string; directoryUserId?: string }[] = (await service.admin.get(`/registrations/${client.name}/voice-users`)).body;
    return { objectId, voiceUserId: voiceUsers.find((voice) => voice.directoryUserId === created.body.id)!.id };
  };
  const drained = () => waitFor('the outbox to be empty', async () => (await outbox()).pending === 0);
  const auditEvents = async (action: string) => {
    await service.service.audit.recorder.flush();
    return (await service.admin.get(`/audit/events?registration=twoway&action=${action}&limit=200`)).body.events as { summary: string; outcome: { status: number } }[];
  };

  beforeAll(async () => {
    fake = await startFakeGraph();
    const app = await fake.customerApp();
    writeBack = app.writeBack;
    privateKeyPem = app.certificate.privateKeyPem;
    service = await startTestService(kind, fake.serviceEnv());
    twoWay = await service.registration('twoway', { syncDirection: 'two-way', writeBack, locationMap: { Seattle: 'loc-sea' } });
  });
  afterAll(async () => {
    await service.stop();
    await fake.close();
  });

  it('TWO-1/REG-3: a portal edit of the extension reaches Entra as exactly one PATCH with the right body, signed in with the app certificate', async () => {
    const jane = await provision(twoWay, 'jane');
    await editVoiceUser('twoway', jane.voiceUserId, { extension: '4001' });
    await waitFor('the PATCH of jane', () => appliedTo(jane.objectId).length > 0);
    await drained();
    expect(appliedTo(jane.objectId).map((request) => request.body)).toEqual([{ onPremisesExtensionAttributes: { extensionAttribute1: '4001' } }]);
    expect(fake.tokenRequests.filter((request) => request.issued)).toEqual([{ tenantId: writeBack.tenantId, clientId: writeBack.clientId, issued: true }]);

    await editVoiceUser('twoway', jane.voiceUserId, { did: '+14255550100' });
    await waitFor('the DID PATCH of jane', () => appliedTo(jane.objectId).length > 1);
    await drained();
    expect(appliedTo(jane.objectId).map((request) => request.body)).toEqual([{ onPremisesExtensionAttributes: { extensionAttribute1: '4001' } }, { businessPhones: ['+14255550100'] }]);
    // The access token is cached until shortly before it expires: one sign-in for both.
    expect(fake.tokenRequests).toHaveLength(1);
    expect((await auditEvents('Outbox.Delivered')).map((event) => event.summary)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^wrote extension of jane back to Entra user [0-9a-f-]{36}/), expect.stringMatching(/^wrote DID of jane back/)]),
    );
  });

  it('TWO-1: while Graph is down every change is kept; once it is back each user gets one PATCH with the newest values, in the order they changed', async () => {
    const ann = await provision(twoWay, 'ann');
    const bob = await provision(twoWay, 'bob');
    const before = fake.requests.length;
    await fake.down();
    try {
      await editVoiceUser('twoway', ann.voiceUserId, { extension: '5001' });
      await editVoiceUser('twoway', bob.voiceUserId, { extension: '5002' });
      await editVoiceUser('twoway', ann.voiceUserId, { extension: '5003' });
      await editVoiceUser('twoway', ann.voiceUserId, { did: '+14255550111' });
      const held = await waitFor('two failed attempts while Graph is down', async () => {
        const current = await outbox();
        return (current.attempts ?? 0) >= 2 && current;
      });
      expect(held).toMatchObject({ pending: 4, lastError: expect.stringMatching(/unreachable \(ECONNREFUSED\)/) });
      expect(held.entries.map((entry) => entry.userName)).toEqual(['ann', 'bob', 'ann', 'ann']);
    } finally {
      await fake.up();
    }
    await drained();
    const delivered = fake.applied().filter((request) => fake.requests.indexOf(request) >= before);
    expect(delivered.map((request) => [request.userId, request.body])).toEqual([
      [ann.objectId, { onPremisesExtensionAttributes: { extensionAttribute1: '5003' }, businessPhones: ['+14255550111'] }],
      [bob.objectId, { onPremisesExtensionAttributes: { extensionAttribute1: '5002' } }],
    ]);
    expect((await auditEvents('Outbox.Retry')).length).toBeGreaterThanOrEqual(2);
  });

  it('TWO-1: a 429 with Retry-After is honoured; a 503 and a request Graph never answers are retried; each attempt is audited', async () => {
    const carl = await provision(twoWay, 'carl');
    fake.misbehave({ kind: 'status', status: 429, retryAfterSeconds: 1 }, { kind: 'hang' }, { kind: 'status', status: 503 });
    await editVoiceUser('twoway', carl.voiceUserId, { extension: '6001' });
    await waitFor('the PATCH of carl to be applied', () => appliedTo(carl.objectId).length > 0);
    await drained();
    const attempts = fake.requests.filter((request) => request.userId === carl.objectId);
    expect(attempts.map((request) => request.answered)).toEqual([429, undefined, 503, 204]);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(appliedTo(carl.objectId)).toHaveLength(1);
    const retries = (await auditEvents('Outbox.Retry')).filter((event) => event.summary.includes(' carl '));
    expect(retries.map((event) => event.outcome.status).sort()).toEqual([429, 503, 503]);
    expect(retries.map((event) => event.summary).join('\n')).toMatch(/did not answer within 500 ms/);
  });

  it('TWO-1/DEL-6: a hand-made portal user linked to a new directory user has its extension written back', async () => {
    const handMade = await service.admin.post('/registrations/twoway/voice-users', {
      userName: 'dora', firstName: 'Dora', lastName: 'Explorer', primaryEmail: 'dora@twoway.example', locationId: 'loc-sea', extension: '7001',
    });
    expect(handMade.status, handMade.text).toBe(201);
    const dora = await provision(twoWay, 'dora');
    expect(dora.voiceUserId).toBe(handMade.body.id);
    await waitFor('the PATCH of dora', () => appliedTo(dora.objectId).length > 0);
    expect(appliedTo(dora.objectId).map((request) => request.body)).toEqual([{ onPremisesExtensionAttributes: { extensionAttribute1: '7001' } }]);
  });

  it('TWO-1: a change Graph refuses for that user (on-premises mastered, 400) is dropped and audited as failed; the next change still goes', async () => {
    const hal = await provision(twoWay, 'hal');
    fake.misbehave({ kind: 'status', status: 400 });
    await editVoiceUser('twoway', hal.voiceUserId, { extension: '6101' });
    await waitFor('the refused PATCH of hal', () => fake.requests.some((request) => request.userId === hal.objectId && request.answered === 400));
    await drained();
    const failed = (await auditEvents('Outbox.Failed')).find((event) => event.summary.includes(' hal '));
    expect(failed?.summary).toMatch(/^extension of hal not written back to Entra: Microsoft Graph refused the change \(HTTP 400 Request_BadRequest: Unable to update the specified properties for on-premises mastered/);
    await editVoiceUser('twoway', hal.voiceUserId, { extension: '6102' });
    await waitFor('the next PATCH of hal', () => appliedTo(hal.objectId).length > 0);
    expect(appliedTo(hal.objectId).map((request) => request.body)).toEqual([{ onPremisesExtensionAttributes: { extensionAttribute1: '6102' } }]);
  });

  it('REG-3: a certificate Entra does not know for the app is refused at sign-in; the change waits with the reason, and goes once the right certificate is configured', async () => {
    const rightApp = await fake.customerApp();
    const wrongCertificate = (await fake.customerApp()).writeBack;
    const client = await service.registration('rotating', {
      syncDirection: 'two-way',
      writeBack: { ...rightApp.writeBack, certificateFile: wrongCertificate.certificateFile, privateKeyFile: wrongCertificate.privateKeyFile },
      locationMap: { Seattle: 'loc-sea' },
    });
    const ivy = await provision(client, 'ivy');
    await editVoiceUser('rotating', ivy.voiceUserId, { did: '+14255550133' });
    const waiting = await waitFor('a refused sign-in', async () => {
      const current = await outbox('rotating');
      return current.attempts && current;
    });
    expect(waiting).toMatchObject({ pending: 1, lastError: expect.stringMatching(/token endpoint refused the app's certificate sign-in \(invalid_client: AADSTS700027: x5t#S256 names no certificate registered on the app\)/) });
    expect(fake.requests.filter((request) => request.userId === ivy.objectId)).toEqual([]);
    const fixed = await service.admin.patch('/registrations/rotating', { writeBack: { certificateFile: rightApp.writeBack.certificateFile, privateKeyFile: rightApp.writeBack.privateKeyFile } });
    expect(fixed.status, fixed.text).toBe(200);
    await waitFor('the PATCH of ivy', () => appliedTo(ivy.objectId).length > 0);
    expect(appliedTo(ivy.objectId).map((request) => request.body)).toEqual([{ businessPhones: ['+14255550133'] }]);
  });

  it('TWO-1: an edit refused when it is written (no licence seat left) leaves nothing to write back', async () => {
    expect((await service.admin.patch('/registrations/twoway', { licensing: { seats: { 'voice-premium': 0 } } })).status).toBe(200);
    const kim = await provision(twoWay, 'kim');
    const refused = await service.admin.patch(`/registrations/twoway/voice-users/${kim.voiceUserId}`, { extension: '6201', licenses: ['voice-premium'] });
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body.code).toBe('voice_user.no_license_left');
    expect((await outbox()).pending).toBe(0);
    await editVoiceUser('twoway', kim.voiceUserId, { did: '+14255550144' });
    await waitFor('the PATCH of kim', () => appliedTo(kim.objectId).length > 0);
    expect(appliedTo(kim.objectId).map((request) => request.body)).toEqual([{ businessPhones: ['+14255550144'] }]);
  });

  it('MAP-8: a registration switched back to one-way drops what was still pending, and says so in the audit log', async () => {
    const client = await service.registration('switching', { syncDirection: 'two-way', writeBack, locationMap: { Seattle: 'loc-sea' } });
    const max = await provision(client, 'max');
    await fake.down();
    try {
      await editVoiceUser('switching', max.voiceUserId, { extension: '6301' });
      await waitFor('a failed attempt', async () => ((await outbox('switching')).attempts ?? 0) > 0);
      expect((await service.admin.patch('/registrations/switching', { syncDirection: 'one-way' })).status).toBe(200);
      await waitFor('the backlog to be dropped', async () => (await outbox('switching')).pending === 0);
    } finally {
      await fake.up();
    }
    await service.service.audit.recorder.flush();
    const events = (await service.admin.get('/audit/events?registration=switching&action=Outbox.Failed')).body.events as { summary: string }[];
    expect(events.map((event) => event.summary)).toEqual(['1 pending write-back change dropped: the registration is one-way now (MAP-8)']);
    expect(fake.requests.filter((request) => request.userId === max.objectId)).toEqual([]);
  });

  it('TWO-1/DEL-5: a move to a location whose numbers the DID does not fit clears the DID in Entra; the extension it kept is not sent again', async () => {
    const client = await service.registration('movers', {
      syncDirection: 'two-way', writeBack, locationMap: { Seattle: 'loc-sea', London: 'loc-lon' }, locationNumbers: { 'loc-sea': ['+1206'], 'loc-lon': ['+44'] },
    });
    const nia = await provision(client, 'nia');
    await editVoiceUser('movers', nia.voiceUserId, { extension: '3001', did: '+12065550100' });
    await waitFor('the PATCH of nia', () => appliedTo(nia.objectId).length > 0);
    const directoryId = (await service.store.voiceUsers.get(client.id, nia.voiceUserId))!.directoryUserId!;
    const moved = await client.scim.patch(`/Users/${directoryId}`, patch({ op: 'replace', path: 'addresses[type eq "work"].locality', value: 'London' }));
    expect(moved.status, moved.text).toBe(204);
    await waitFor('the PATCH after the move', () => appliedTo(nia.objectId).length > 1);
    expect(appliedTo(nia.objectId).map((request) => request.body)).toEqual([
      { onPremisesExtensionAttributes: { extensionAttribute1: '3001' }, businessPhones: ['+12065550100'] },
      { businessPhones: [] },
    ]);
  });

  it('MAP-8: a one-way registration records nothing and never calls Graph, even with write-back settings', async () => {
    const oneWay = await service.registration('oneway', { syncDirection: 'one-way', writeBack, locationMap: { Seattle: 'loc-sea' } });
    const erin = await provision(oneWay, 'erin');
    await editVoiceUser('oneway', erin.voiceUserId, { extension: '8001', did: '+14255550122' });
    expect((await outbox('oneway')).pending).toBe(0);
    // A later two-way change is delivered: the drain has run past the one-way edit.
    const fay = await provision(twoWay, 'fay');
    await editVoiceUser('twoway', fay.voiceUserId, { extension: '8002' });
    await waitFor('the PATCH of fay', () => appliedTo(fay.objectId).length > 0);
    expect(fake.requests.filter((request) => request.userId === erin.objectId)).toEqual([]);
  });

  it('TWO-1/REG-3: two-way needs write-back settings; the key stays in its file, never in the database or the admin API', async () => {
    const missing = await service.admin.post('/registrations', { name: 'incomplete', portalAccountId: 'p', accountDomains: ['incomplete.example'], syncDirection: 'two-way' });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/writeBack: is required for two-way sync/);
    const badTarget = await service.admin.patch('/registrations/twoway', { writeBack: { didAttribute: 'telephoneNumber' } });
    expect(badTarget.status).toBe(400);
    expect(badTarget.body.message).toMatch(/writeBack\.didAttribute: must be businessPhones, mobilePhone/);
    const retargeted = await service.admin.patch('/registrations/twoway', { writeBack: { didAttribute: 'mobilePhone' } });
    expect(retargeted.status, retargeted.text).toBe(200);
    expect(retargeted.body.settings.writeBack).toEqual({ ...writeBack, extensionAttribute: 'onPremisesExtensionAttributes.extensionAttribute1', didAttribute: 'mobilePhone' });

    const keyBody = privateKeyPem.split('\n')[1]!;
    const stored = JSON.stringify(await service.store.registrations.get(twoWay.id));
    for (const seen of [stored, retargeted.text, (await service.admin.get('/registrations/twoway')).text, readFileSync(service.logFile, 'utf8')]) {
      expect(seen).not.toContain('PRIVATE KEY');
      expect(seen).not.toContain(keyBody);
    }
  });
});
