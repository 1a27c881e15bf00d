import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/persistence/persistence.js';
import type { OutboxEntry, WriteBackOutbox } from '../../src/writeback/outbox.js';
import { newAuditEventId } from '../../src/audit/audit-event.js';
import { coveringEveryMethod, type MethodsOf } from './port-coverage.js';

const OUTBOX_METHODS = {
  add: true, registrationsWithPending: true, pending: true, pendingOf: true, remove: true, recordFailure: true, postpone: true, backlog: true, deleteAll: true,
} satisfies MethodsOf<WriteBackOutbox>;

function entry(registrationId: string, directoryUserId: string, extra: Partial<OutboxEntry> = {}): OutboxEntry {
  const now = new Date().toISOString();
  return {
    id: newAuditEventId(),
    registrationId,
    directoryUserId,
    voiceUserId: `voice-${directoryUserId}`,
    userName: directoryUserId,
    fields: ['extension'],
    landsAtVersion: 2,
    recordedAt: now,
    attempts: 0,
    nextAttemptAt: now,
    ...extra,
  };
}

/** TWO-1: the write-back outbox port, on the store as each adapter builds it. */
export function describeOutboxContract(name: string, open: () => Promise<Store>) {
  describe(`${name}: write-back outbox`, () => {
    let store: Store;
    const openCovered = coveringEveryMethod(open, { outbox: OUTBOX_METHODS });
    beforeAll(async () => {
      store = await openCovered();
    });
    afterAll(() => store.close());

    it('TWO-1 entries come back in the order they were recorded, per registration and per user; another registration sees none', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      const recorded = [entry(a, 'ann'), entry(a, 'bob', { fields: ['did'] }), entry(a, 'ann', { fields: ['extension', 'did'] }), entry(b, 'ann')];
      for (const item of recorded) await store.outbox.add(item);
      expect(await store.outbox.pending(a, 10)).toEqual(recorded.slice(0, 3));
      expect(await store.outbox.pending(a, 2)).toEqual(recorded.slice(0, 2));
      expect(await store.outbox.pendingOf(a, 'ann')).toEqual([recorded[0], recorded[2]]);
      expect(await store.outbox.pendingOf(b, 'bob')).toEqual([]);
      expect(await store.outbox.registrationsWithPending()).toEqual(expect.arrayContaining([a, b]));
      expect(await store.outbox.backlog(a)).toEqual({ pending: 3, oldest: recorded[0] });
      expect(await store.outbox.backlog(randomUUID())).toEqual({ pending: 0 });
    });

    it('TWO-1 a delivery removes only the entries it read: a change recorded meanwhile stays', async () => {
      const registrationId = randomUUID();
      const read = [entry(registrationId, 'cy'), entry(registrationId, 'cy')];
      for (const item of read) await store.outbox.add(item);
      const meanwhile = entry(registrationId, 'cy', { fields: ['did'] });
      await store.outbox.add(meanwhile);
      await store.outbox.remove(randomUUID(), read.map((item) => item.id));
      expect(await store.outbox.pendingOf(registrationId, 'cy')).toHaveLength(3);
      await store.outbox.remove(registrationId, read.map((item) => item.id));
      expect(await store.outbox.pendingOf(registrationId, 'cy')).toEqual([meanwhile]);
    });

    it('TWO-1 failures are counted per entry; postponing holds back every entry due earlier, never brings one forward', async () => {
      const registrationId = randomUUID();
      const later = new Date(Date.now() + 3_600_000).toISOString();
      const first = entry(registrationId, 'di');
      const far = entry(registrationId, 'ed', { nextAttemptAt: new Date(Date.now() + 7_200_000).toISOString() });
      for (const item of [first, far]) await store.outbox.add(item);
      await store.outbox.recordFailure(registrationId, [first.id], 'Microsoft Graph is unreachable (ECONNREFUSED)');
      await store.outbox.recordFailure(registrationId, [first.id], 'Microsoft Graph is unavailable or throttling (HTTP 429)');
      await store.outbox.postpone(registrationId, later);
      const [stored, untouched] = await store.outbox.pending(registrationId, 10);
      expect(stored).toEqual({ ...first, attempts: 2, lastError: 'Microsoft Graph is unavailable or throttling (HTTP 429)', nextAttemptAt: later });
      expect(untouched).toEqual(far);
      expect(await store.outbox.deleteAll(registrationId)).toBe(2);
      expect(await store.outbox.backlog(registrationId)).toEqual({ pending: 0 });
    });
  });
}
