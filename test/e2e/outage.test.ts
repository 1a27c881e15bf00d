import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { startMongoServer, type MongoServer } from '../support/mongo-server.js';
import { entraUser } from './scim-fixtures.js';

/** A real outage: a MongoDB-protocol server of its own, stopped while the service runs. */
describe('A database outage answers 503 with Retry-After, never 404 or a half-applied change', () => {
  let database: MongoServer;
  let service: TestService;
  let client: RegisteredClient;
  let userId: string;

  beforeAll(async () => {
    const saved = process.env.MONGODB_URI;
    delete process.env.MONGODB_URI;
    database = await startMongoServer();
    if (saved) process.env.MONGODB_URI = saved;
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
});
