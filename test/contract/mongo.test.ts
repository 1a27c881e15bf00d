import { randomUUID } from 'node:crypto';
import { openMongoStore, type MongoStore } from '../../src/persistence/mongo/mongo-store.js';
import { CLAIM_EXPIRY_MS } from '../../src/persistence/mongo/conditional-writes.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mongoUriForTest } from '../support/mongo-uri.js';
import { describeStoreContract } from './store.contract.js';

describeStoreContract('MongoDB (mongoose)', () => openMongoStore(mongoUriForTest()));
describeStoreContract('MongoDB (mongoose), version claims forced', () => openMongoStore(mongoUriForTest(), { writeMode: 'claimed' }));

describe('MongoDB outage', () => {
  it('an unreachable server is store.unavailable, not a driver error', async () => {
    await expect(openMongoStore('mongodb://127.0.0.1:1/none')).rejects.toMatchObject({ code: 'store.unavailable' });
  });
});

describe('MongoDB write mode', () => {
  it('atomic conditional updates are refused on a server that does not apply update filters atomically (FerretDB), chosen elsewhere', async () => {
    const detected = await openMongoStore(mongoUriForTest());
    await detected.close();
    const forced = openMongoStore(mongoUriForTest(), { writeMode: 'atomic' });
    if (detected.facts.server!.startsWith('FerretDB')) {
      expect(detected.facts).toMatchObject({ writeMode: 'claimed', writeModeReason: expect.stringContaining('does not apply an update') });
      await expect(forced).rejects.toMatchObject({ code: 'startup.write_mode_refused' });
    } else {
      expect(detected.facts.writeMode).toBe('atomic');
      await (await forced).close();
    }
  });
});

describe('MongoDB version claims: a claim left by a killed writer never locks a resource for good', () => {
  let store: MongoStore;
  const reg = `reg-${randomUUID()}`;
  beforeAll(async () => {
    store = await openMongoStore(mongoUriForTest(), { writeMode: 'claimed' });
  });
  afterAll(() => store.close());

  const insertUser = () => {
    const now = new Date().toISOString();
    const userName = `claimed-${randomUUID()}@contoso.com`;
    return store.users.insert({ id: randomUUID(), registrationId: reg, userName, version: 1, created: now, lastModified: now, resource: { userName } });
  };
  const leaveClaim = (userId: string, expiresAt: Date) => store.connection.db!.collection<{ _id: string; expiresAt: Date }>('version_claims').insertOne({ _id: `scim_users/${reg}/${userId}`, expiresAt });

  it('a live claim makes a concurrent writer re-read; an expired one is taken over by the next write', async () => {
    const record = await insertUser();
    await leaveClaim(record.id, new Date(Date.now() + CLAIM_EXPIRY_MS));
    await expect(store.users.replace({ ...record, resource: { ...record.resource, title: 'blocked' } }, 1)).rejects.toMatchObject({ code: 'store.version_conflict' });
    await store.connection.db!.collection('version_claims').deleteOne({ _id: `scim_users/${reg}/${record.id}` as never });
    await leaveClaim(record.id, new Date(Date.now() - 1));
    expect((await store.users.replace({ ...record, resource: { ...record.resource, title: 'taken over' } }, 1)).version).toBe(2);
    expect(await store.connection.db!.collection('version_claims').countDocuments({ _id: `scim_users/${reg}/${record.id}` as never })).toBe(0);
  });
});
