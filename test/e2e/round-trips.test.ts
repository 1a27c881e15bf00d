import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoStore } from '../../src/persistence/mongo/mongo-store.js';
import type { SqliteStore } from '../../src/persistence/sqlite/sqlite-store.js';
import { STORE_KINDS, startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { entraGroup, entraUser, patch } from './scim-fixtures.js';

/**
 * Database round trips per SCIM operation: MongoDB commands (driver command monitoring), SQLite
 * statements. The audit trail shares the store's connection but is written in batches after the
 * answer, so its writes are not counted against the request.
 */
describe.each(STORE_KINDS)('Round trips per SCIM operation (%s store, on-demand registration)', (kind) => {
  let service: TestService;
  let client: RegisteredClient;
  let countCalls: () => number;
  const userIds: string[] = [];
  const rows: Record<string, number> = {};

  beforeAll(async () => {
    service = await startTestService(kind);
    client = await service.registration('trips', { syncMode: { kind: 'on-demand' } });
    if (kind === 'mongodb') {
      let commands = 0;
      (service.store as MongoStore).connection.getClient().on('commandStarted', (event) => {
        if (event.command[event.commandName] !== 'audit_events') commands++;
      });
      countCalls = () => commands;
    } else {
      countCalls = () => (service.store as SqliteStore).statementsRun;
    }
    for (let n = 0; n < 90; n++) userIds.push((await client.scim.post('/Users', entraUser(`trip.${n}@contoso.example`))).body.id);
  });
  afterAll(() => {
    console.info(`round trips per operation (${kind}):`, JSON.stringify(rows));
    return service.stop();
  });

  const measure = async (name: string, operation: () => Promise<{ status: number; text: string }>, expectedStatus: number) => {
    const before = countCalls();
    const response = await operation();
    expect(response.status, response.text).toBe(expectedStatus);
    rows[name] = countCalls() - before;
    return rows[name]!;
  };

  it('GET, POST and PATCH of a user, and a group PATCH adding k members costs the same for k = 10 and k = 40', async () => {
    await measure('GET /Users/{id}', () => client.scim.get(`/Users/${userIds[0]}`), 200);
    await measure('POST /Users', () => client.scim.post('/Users', entraUser('trip.new@contoso.example')), 201);
    await measure('PATCH /Users/{id}', () => client.scim.patch(`/Users/${userIds[1]}`, patch({ op: 'replace', path: 'title', value: 'Engineer' })), 204);
    const group = (await client.scim.post('/Groups', entraGroup('Trips', []))).body;
    const addMembers = (ids: string[]) => () => client.scim.patch(`/Groups/${group.id}`, patch({ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }));
    const ten = await measure('PATCH /Groups/{id} +10 members', addMembers(userIds.slice(10, 20)), 204);
    const forty = await measure('PATCH /Groups/{id} +40 members', addMembers(userIds.slice(40, 80)), 204);
    // MongoDB: one insertMany and one existence check whatever k; SQLite runs one statement per member, in process.
    if (kind === 'mongodb') expect(forty).toBe(ten);
    else {
      expect(forty - ten).toBeGreaterThan(0);
      expect((forty - ten) % 30).toBe(0);
    }
  });
});
