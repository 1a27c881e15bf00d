import { describe, expect, it } from 'vitest';
import { openMongoStore } from '../../src/persistence/mongo/mongo-store.js';
import { mongoUriForTest } from '../support/mongo-uri.js';
import { describePortalStoreContract } from './portal-store.contract.js';

describePortalStoreContract('MongoDB', () => openMongoStore(mongoUriForTest()));

describe('MongoDB seat counters', () => {
  it('SYNC-5: a claim left on a seat counter by a writer killed between its claim and its write is taken over once expired', async () => {
    const store = await openMongoStore(mongoUriForTest(), { writeMode: 'claimed' });
    try {
      expect(await store.seatCounters.take('reg-killed', 'voice-pro', 3, async () => 0)).toBe(true);
      // What the killed writer left: its claim on the counter, past its expiry.
      await store.connection.db!.collection('version_claims').insertOne({ _id: 'seat_counters/reg-killed:voice-pro' as never, expiresAt: new Date(Date.now() - 1000) });
      expect(await store.seatCounters.take('reg-killed', 'voice-pro', 3, async () => 0)).toBe(true);
      expect((await store.seatCounters.used('reg-killed', 'voice-pro'))?.used).toBe(2);
    } finally {
      await store.close();
    }
  });
});
