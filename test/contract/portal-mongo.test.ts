import { describe, expect, it } from 'vitest';
import { openMongoStore } from '../../src/store/mongo/mongo-store.js';
import { mongoUriForTest } from '../support/mongo-uri.js';
import { describePortalStoreContract } from './portal-store.contract.js';

describePortalStoreContract('MongoDB', () => openMongoStore(mongoUriForTest()));

describe('MongoDB seat counters', () => {
  it('SYNC-5: a claim left on a seat counter by a writer killed between its claim and its write is taken over once the counter has been still for 5 s', async () => {
    const store = await openMongoStore(mongoUriForTest());
    try {
      expect(await store.seatCounters.take('reg-killed', 'voice-pro', 3, async () => 0)).toBe(true);
      const db = store.connection.db!;
      const counter = (await db.collection('seat_counters').findOne({ _id: 'reg-killed:voice-pro' as never }))!;
      // What the killed writer left: its claim on the next version, and a counter unchanged since.
      await db.collection('version_claims').insertOne({ _id: `seat_counters/reg-killed:voice-pro/${counter.incarnation}/${counter.version + 1}` as never });
      await db.collection('seat_counters').updateOne({ _id: 'reg-killed:voice-pro' as never }, { $set: { changedAt: new Date(Date.now() - 6000) } });
      expect(await store.seatCounters.take('reg-killed', 'voice-pro', 3, async () => 0)).toBe(true);
      expect((await store.seatCounters.used('reg-killed', 'voice-pro'))?.used).toBe(2);
    } finally {
      await store.close();
    }
  });
});
