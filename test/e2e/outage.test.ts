import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { startOwnMongoServer, type MongoServer } from '../support/mongo-server.js';
import { entraUser } from './scim-fixtures.js';
import { createHttpsClient } from '../support/https-client.js';

/** A real outage: the database is stopped while the service runs. */
describe('A database outage answers 503 with Retry-After, never 404 or a half-applied change', () => {
  let database: MongoServer;
  let service: TestService;
  let client: RegisteredClient;
  let userId: string;

  beforeAll(async () => {
    database = await startOwnMongoServer();
    service = await startTestService('mongodb', {}, () => `${database.uri}outage`);
    client = await service.registration('contoso');
    userId = (await client.scim.post('/Users', entraUser('steady@contoso.example'))).body.id;
    await database.stop();
  }, 120_000);
  afterAll(() => service.stop());

  it.each([
    ['GET /Users/{id}', () => client.scim.get(`/Users/${userId}`)],
    ['GET /Users?filter', () => client.scim.get(`/Users?filter=${encodeURIComponent('userName eq "steady@contoso.example"')}`)],
    ['POST /Users', () => client.scim.post('/Users', entraUser('new@contoso.example'))],
    ['DELETE /Users/{id}', () => client.scim.delete(`/Users/${userId}`)],
  ])('%s', async (_name, call) => {
    const response = await call();
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBeDefined();
    expect(response.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: 503 });
  });

  it('/readyz answers 503 naming the database on both listeners, /healthz stays 200 (the process is alive)', async () => {
    for (const base of [service.scimUrl.replace('/scim/v2', ''), service.adminUrl]) {
      const probe = createHttpsClient(base, { ca: service.ca.certificatePem });
      const ready = await probe.get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'not ready', checks: { draining: 'ok', tls: 'ok', store: 'database unreachable' } });
      expect((await probe.get('/healthz')).status).toBe(200);
      probe.close();
    }
  });
});

describe('SYNC-4 a database lost in the middle of a Reconcile', () => {
  let database: MongoServer;
  let service: TestService;

  beforeAll(async () => {
    database = await startOwnMongoServer();
    service = await startTestService('mongodb', {}, () => `${database.uri}midrun`);
  }, 120_000);
  afterAll(async () => {
    await service.stop();
    await database.stop();
  });

  it('SYNC-4 ends the progress stream with an error line a person understands, never a silent cut', async () => {
    const registration = await service.registration('midrun', {
      syncMode: { kind: 'on-demand' },
      locationMap: { Seattle: 'loc-sea' },
      licensing: { seats: {}, assignOnCreate: ['voice-standard'] },
    });
    const now = new Date().toISOString();
    await Promise.all(Array.from({ length: 3000 }, (_, i) => {
      const userName = `user${i}@midrun.example`;
      return service.store.users.insert({ id: randomUUID(), registrationId: registration.id, userName, version: 1, created: now, lastModified: now, resource: { userName, active: true, addresses: [{ type: 'work', locality: 'Seattle' }] } });
    }));
    const answer = service.admin.post('/registrations/midrun/reconcile?progress=true', {});
    while ((await service.store.voiceUsers.countHolding(registration.id, 'voice-standard')) < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    await database.stop();
    const lines = (await answer).text.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.at(-1)).toEqual({ error: { code: 'store.unavailable', message: 'The database is unavailable; retry later', correlationId: expect.any(String) } });
  });
});
