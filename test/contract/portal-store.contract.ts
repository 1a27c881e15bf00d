import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CredentialIndex, type RegistrationCollection, type RegistrationRecord } from '../../src/registrations/registrations-port.js';
import { type LeaseCollection } from '../../src/jobs/lease-port.js';
import { type RetentionCollection, type SeatCounterCollection, type VoiceUserCollection, type VoiceUserRecord } from '../../src/portal/portal-port.js';
import { type ConsoleSessionCollection, type LoginFailureCollection } from '../../src/console/console-state-port.js';
import { coveringEveryMethod, type MethodsOf } from './port-coverage.js';
import type { Store } from '../../src/persistence/persistence.js';

const PORT_METHODS = {
  registrations: { insert: true, get: true, findByName: true, list: true, replace: true, delete: true } satisfies MethodsOf<RegistrationCollection>,
  credentials: { bind: true, unbind: true, lookup: true, lookupFirst: true, unbindAll: true } satisfies MethodsOf<CredentialIndex>,
  voiceUsers: {
    list: true, get: true, findByDirectoryUsers: true, findByPrimaryEmails: true, insert: true, replace: true, delete: true, deleteAll: true, countHolding: true,
  } satisfies MethodsOf<VoiceUserCollection>,
  retention: { add: true, due: true, remove: true, list: true, latestForEach: true } satisfies MethodsOf<RetentionCollection>,
  leases: { acquire: true, renew: true, release: true, current: true } satisfies MethodsOf<LeaseCollection>,
  seatCounters: { take: true, giveBack: true, used: true, correct: true, forget: true } satisfies MethodsOf<SeatCounterCollection>,
  consoleSessions: { insert: true, get: true, touch: true, delete: true, deleteExpired: true } satisfies MethodsOf<ConsoleSessionCollection>,
  loginFailures: { add: true, since: true, clear: true, deleteExpired: true } satisfies MethodsOf<LoginFailureCollection>,
};

/** The ports this contract covers, as the adapters serve them. */
export type PortalCollections = Pick<Store, 'registrations' | 'credentials' | 'voiceUsers' | 'retention' | 'leases' | 'seatCounters' | 'consoleSessions' | 'loginFailures' | 'close'>;

export function registration(name: string): RegistrationRecord {
  const now = new Date().toISOString();
  return { id: randomUUID(), name, status: 'active', settings: { portalAccountId: name }, certificates: [], tokens: [], version: 1, created: now, lastModified: now };
}

export function voiceUser(registrationId: string, userName: string, extra: Partial<VoiceUserRecord> = {}): VoiceUserRecord {
  const now = new Date().toISOString();
  return {
    registrationId,
    id: randomUUID(),
    userName,
    firstName: 'First',
    lastName: 'Last',
    primaryEmail: `${userName}@contoso.example`,
    additionalEmails: [],
    locationId: 'loc-1',
    licenses: [],
    status: 'active',
    origin: 'provisioned',
    createdAt: now,
    updatedAt: now,
    version: 1,
    ...extra,
  };
}

/** The same contract for the registry and voice-portal collections of every store. */
export function describePortalStoreContract(name: string, open: () => Promise<PortalCollections>) {
  describe(`${name}: registrations, credentials, voice users, retention, leases`, () => {
    let store: PortalCollections;
    const openCovered = coveringEveryMethod(open, PORT_METHODS);
    beforeAll(async () => {
      store = await openCovered();
    });
    afterAll(() => store.close());

    it('registration names are unique case-insensitively; replace is optimistic', async () => {
      const record = await store.registrations.insert(registration('Contoso'));
      await expect(store.registrations.insert(registration('CONTOSO'))).rejects.toMatchObject({ code: 'store.conflict' });
      expect((await store.registrations.findByName('contoso'))?.id).toBe(record.id);
      const renamed = await store.registrations.replace({ ...record, name: 'Contoso Ltd' }, 1);
      expect(renamed.version).toBe(2);
      await expect(store.registrations.replace({ ...record, name: 'Stale' }, 1)).rejects.toMatchObject({ code: 'store.version_conflict' });
      const other = await store.registrations.insert(registration('Adatum'));
      expect((await store.registrations.list()).map((r) => r.name)).toEqual(['Adatum', 'Contoso Ltd']);
      expect(await store.registrations.delete(record.id)).toBe(true);
      expect(await store.registrations.get(record.id)).toBeNull();
      expect(await store.registrations.delete(record.id)).toBe(false);
      expect((await store.registrations.list()).map((r) => r.id)).toEqual([other.id]);
      expect(await store.registrations.delete(other.id)).toBe(true);
    });

    it('REG-2: a credential resolves to exactly one registration and cannot be bound to two', async () => {
      await store.credentials.bind('certificate-sha256:AA', 'reg-a');
      await store.credentials.bind('certificate-sha256:AA', 'reg-a');
      await expect(store.credentials.bind('certificate-sha256:AA', 'reg-b')).rejects.toMatchObject({ code: 'store.conflict' });
      expect(await store.credentials.lookup('certificate-sha256:AA')).toBe('reg-a');
      // A certificate's keys are looked up together; the first bound one decides, whatever order the store finds them in.
      await store.credentials.bind('certificate-names:BB', 'reg-b');
      expect(await store.credentials.lookupFirst(['certificate-sha256:none', 'certificate-names:BB', 'certificate-sha256:AA'])).toBe('reg-b');
      expect(await store.credentials.lookupFirst(['certificate-sha256:AA', 'certificate-names:BB'])).toBe('reg-a');
      expect(await store.credentials.lookupFirst(['certificate-sha256:none', 'certificate-dn:none'])).toBeNull();
      expect(await store.credentials.lookupFirst([])).toBeNull();
      await store.credentials.unbind('certificate-names:BB');
      await store.credentials.bind('token:1', 'reg-a');
      await store.credentials.unbindAll('reg-a');
      expect(await store.credentials.lookup('certificate-sha256:AA')).toBeNull();
      expect(await store.credentials.lookup('token:1')).toBeNull();
    });

    it('REG-2: credentials unbind one key at a time', async () => {
      await store.credentials.bind('token:one', 'reg-unbind');
      await store.credentials.bind('token:two', 'reg-unbind');
      await store.credentials.unbind('token:one');
      expect(await store.credentials.lookup('token:one')).toBeNull();
      expect(await store.credentials.lookup('token:two')).toBe('reg-unbind');
    });

    it('voice users: unique user name, email, extension and DID per registration; absent ones never clash', async () => {
      const first = await store.voiceUsers.insert(voiceUser('reg-1', 'jane', { extension: '1001', did: '+15550001' }));
      await store.voiceUsers.insert(voiceUser('reg-1', 'john'));
      await store.voiceUsers.insert(voiceUser('reg-1', 'jill'));
      await store.voiceUsers.insert(voiceUser('reg-2', 'jane', { extension: '1001' }));
      await expect(store.voiceUsers.insert(voiceUser('reg-1', 'JANE', { primaryEmail: 'another@contoso.example' }))).rejects.toMatchObject({ code: 'store.conflict', data: { field: 'userName' } });
      await expect(store.voiceUsers.insert(voiceUser('reg-1', 'other', { extension: '1001' }))).rejects.toMatchObject({ code: 'store.conflict', data: { field: 'extension' } });
      await expect(store.voiceUsers.insert(voiceUser('reg-1', 'other2', { did: '+15550001' }))).rejects.toMatchObject({ code: 'store.conflict', data: { field: 'did' } });
      expect((await store.voiceUsers.list('reg-1')).map((u) => u.userName).sort()).toEqual(['jane', 'jill', 'john']);
      const updated = await store.voiceUsers.replace({ ...first, extension: '1002' }, 1);
      expect(updated.version).toBe(2);
      await expect(store.voiceUsers.replace({ ...first, extension: '1003' }, 1)).rejects.toMatchObject({ code: 'store.version_conflict' });
      expect((await store.voiceUsers.get('reg-1', first.id))?.extension).toBe('1002');
      expect(await store.voiceUsers.get('reg-2', first.id)).toBeNull();
      expect(await store.voiceUsers.delete('reg-2', first.id)).toBe(false);
      expect(await store.voiceUsers.get('reg-1', first.id)).not.toBeNull();
    });

    it('voice users are found by their directory user and deleted per registration', async () => {
      const linked = await store.voiceUsers.insert(voiceUser('reg-3', 'linked', { directoryUserId: 'dir-1' }));
      const other = await store.voiceUsers.insert(voiceUser('reg-3', 'other', { directoryUserId: 'dir-2' }));
      await store.voiceUsers.insert(voiceUser('reg-3', 'handmade', { origin: 'portal' }));
      expect((await store.voiceUsers.findByDirectoryUsers('reg-3', ['dir-1', 'dir-2', 'dir-9'])).map((v) => v.id).sort()).toEqual([linked.id, other.id].sort());
      expect(await store.voiceUsers.findByDirectoryUsers('reg-1', ['dir-1'])).toEqual([]);
      expect(await store.voiceUsers.findByDirectoryUsers('reg-3', [])).toEqual([]);
      const byEmail = await store.voiceUsers.findByPrimaryEmails('reg-3', ['LINKED@contoso.example', 'other@CONTOSO.example', 'nobody@contoso.example']);
      expect(byEmail.map((v) => v.id).sort()).toEqual([linked.id, other.id].sort());
      expect(await store.voiceUsers.findByPrimaryEmails('reg-1', ['linked@contoso.example'])).toEqual([]);
      expect(await store.voiceUsers.findByPrimaryEmails('reg-3', [])).toEqual([]);
      expect(await store.voiceUsers.deleteAll('reg-3')).toBe(3);
      expect(await store.voiceUsers.list('reg-3')).toEqual([]);
    });

    it('SYNC-5: licence seats in use are counted per registration and follow insert, replace and delete', async () => {
      const first = await store.voiceUsers.insert(voiceUser('reg-4', 'seat1', { licenses: ['voice-standard', 'voicemail'] }));
      await store.voiceUsers.insert(voiceUser('reg-4', 'seat2', { licenses: ['voice-standard'] }));
      await store.voiceUsers.insert(voiceUser('reg-5', 'elsewhere', { licenses: ['voice-standard'] }));
      expect(await store.voiceUsers.countHolding('reg-4', 'voice-standard')).toBe(2);
      expect(await store.voiceUsers.countHolding('reg-4', 'voicemail')).toBe(1);
      await store.voiceUsers.replace({ ...first, licenses: ['voicemail'] }, first.version);
      expect(await store.voiceUsers.countHolding('reg-4', 'voice-standard')).toBe(1);
      await store.voiceUsers.delete('reg-4', first.id);
      expect(await store.voiceUsers.countHolding('reg-4', 'voicemail')).toBe(0);
      await store.voiceUsers.deleteAll('reg-4');
      expect(await store.voiceUsers.countHolding('reg-4', 'voice-standard')).toBe(0);
      expect(await store.voiceUsers.countHolding('reg-5', 'voice-standard')).toBe(1);
    });

    it('DEL-4: retention records are kept until due, idempotently', async () => {
      const record = { id: 'ret-1', registrationId: 'reg-1', voiceUserId: 'v1', userName: 'gone', deletedAt: '2026-01-01T00:00:00.000Z', purgeAfter: '2026-07-01T00:00:00.000Z' };
      await store.retention.add(record);
      await store.retention.add(record);
      expect(await store.retention.due('2026-06-30T00:00:00.000Z')).toEqual([]);
      expect(await store.retention.due('2026-07-01T00:00:00.000Z')).toEqual([record]);
      await store.retention.remove('ret-1');
      expect(await store.retention.list('reg-1')).toEqual([]);
    });

    it('DEL-5: the newest retention record of each directory user is found in one call (a move cut short is resumed from it)', async () => {
      const moved = { id: 'ret-m', registrationId: 'reg-6', voiceUserId: 'v-m', userName: 'mover', deletedAt: '2026-02-01T00:00:00.000Z', purgeAfter: '2027-02-01T00:00:00.000Z', directoryUserId: 'dir-m', licenses: ['voice-pro'], movedTo: 'loc-lon' };
      const removed = { ...moved, id: 'ret-r', voiceUserId: 'v-r', deletedAt: '2026-03-01T00:00:00.000Z', movedTo: undefined };
      const another = { ...moved, id: 'ret-n', voiceUserId: 'v-n', userName: 'another', directoryUserId: 'dir-n', deletedAt: '2026-01-01T00:00:00.000Z' };
      await store.retention.add(moved);
      expect(await store.retention.latestForEach('reg-6', ['dir-m'])).toEqual([moved]);
      const { movedTo: _movedTo, ...removedRecord } = removed;
      await store.retention.add(removedRecord);
      await store.retention.add(another);
      const byUser = (records: { directoryUserId?: string }[]) => [...records].sort((a, b) => a.directoryUserId!.localeCompare(b.directoryUserId!));
      expect(byUser(await store.retention.latestForEach('reg-6', ['dir-m', 'dir-n', 'dir-x']))).toEqual([removedRecord, another]);
      expect(await store.retention.latestForEach('reg-7', ['dir-m', 'dir-n'])).toEqual([]);
      expect(await store.retention.latestForEach('reg-6', ['dir-x'])).toEqual([]);
      expect(await store.retention.latestForEach('reg-6', [])).toEqual([]);
    });

    it('SYNC-3: a lease is held by one holder until released or expired', async () => {
      expect(await store.leases.acquire('reconcile:reg-1', 'instance-a', 60_000)).toBe(true);
      expect(await store.leases.acquire('reconcile:reg-1', 'instance-b', 60_000)).toBe(false);
      expect(await store.leases.acquire('reconcile:reg-1', 'instance-a', 60_000)).toBe(true);
      await store.leases.release('reconcile:reg-1', 'instance-a');
      // Already expired when written, as a killed holder's lease is once its time has passed.
      expect(await store.leases.acquire('reconcile:reg-1', 'instance-b', -1)).toBe(true);
      expect(await store.leases.acquire('reconcile:reg-1', 'instance-a', 60_000)).toBe(true);
    });

    it('SYNC-3: a lease is renewed by its holder only, names who holds it since when, and is taken over once a killed holder’s expiry passes', async () => {
      expect(await store.leases.acquire('job:renew', 'instance-a', 60_000)).toBe(true);
      const held = await store.leases.current('job:renew');
      expect(held).toMatchObject({ holder: 'instance-a' });
      expect(Date.parse(held!.expiresAt) - Date.parse(held!.acquiredAt)).toBeGreaterThanOrEqual(59_000);
      expect(await store.leases.renew('job:renew', 'instance-a', 120_000)).toBe(true);
      expect((await store.leases.current('job:renew'))?.acquiredAt).toBe(held!.acquiredAt);
      expect(await store.leases.renew('job:renew', 'instance-b', 120_000)).toBe(false);
      // A holder killed mid-run leaves a lease that has already expired in the database's clock.
      expect(await store.leases.acquire('job:killed', 'killed-instance', -1)).toBe(true);
      expect(await store.leases.current('job:killed')).toBeNull();
      expect(await store.leases.acquire('job:killed', 'instance-b', 60_000)).toBe(true);
      expect(await store.leases.renew('job:killed', 'killed-instance', 60_000)).toBe(false);
      expect((await store.leases.current('job:killed'))?.holder).toBe('instance-b');
    });

    it('SYNC-5: 16 concurrent takes of a licence with 5 seats left → exactly 5 win; seats given back are taken again', async () => {
      const seats = 7;
      const takes = await Promise.all(Array.from({ length: 16 }, () => store.seatCounters.take('reg-seats', 'voice-pro', seats, async () => 2)));
      expect(takes.filter(Boolean)).toHaveLength(5);
      expect((await store.seatCounters.used('reg-seats', 'voice-pro'))?.used).toBe(seats);
      await store.seatCounters.giveBack('reg-seats', 'voice-pro');
      expect(await store.seatCounters.take('reg-seats', 'voice-pro', seats, async () => 0)).toBe(true);
      expect(await store.seatCounters.take('reg-seats', 'voice-pro', seats, async () => 0)).toBe(false);
      expect(await store.seatCounters.used('reg-other', 'voice-pro')).toBeUndefined();
    });

    it('SYNC-5: a voice user that loses a counted licence (replace, delete) gives its seat back; REG-4 forgets the counters', async () => {
      const [a, b] = [voiceUser('reg-give', 'give-a', { licenses: ['voice-pro', 'voicemail'] }), voiceUser('reg-give', 'give-b', { licenses: ['voice-pro'] })];
      for (const record of [a, b]) {
        expect(await store.seatCounters.take('reg-give', 'voice-pro', 2, async () => 0)).toBe(true);
        await store.voiceUsers.insert(record);
      }
      expect((await store.seatCounters.used('reg-give', 'voice-pro'))?.used).toBe(2);
      await store.voiceUsers.replace({ ...a, licenses: ['voicemail'] }, a.version);
      expect((await store.seatCounters.used('reg-give', 'voice-pro'))?.used).toBe(1);
      expect(await store.seatCounters.used('reg-give', 'voicemail')).toBeUndefined();
      await store.voiceUsers.delete('reg-give', b.id);
      expect((await store.seatCounters.used('reg-give', 'voice-pro'))?.used).toBe(0);
      await store.voiceUsers.delete('reg-give', b.id);
      expect((await store.seatCounters.used('reg-give', 'voice-pro'))?.used).toBe(0);
      await store.voiceUsers.deleteAll('reg-give');
      expect(await store.seatCounters.used('reg-give', 'voice-pro')).toBeUndefined();
    });

    it('AUD-2: console sessions are kept by token hash with their expiry; expired ones are swept', async () => {
      const session = { tokenHash: 'hash-1', account: 'alice', csrfToken: 'csrf', createdAt: 1_000, lastSeen: 1_000, expiresAt: 5_000 };
      await store.consoleSessions.insert(session);
      await store.consoleSessions.insert({ ...session, tokenHash: 'hash-2', expiresAt: 2_000 });
      expect(await store.consoleSessions.get('hash-1')).toEqual(session);
      await store.consoleSessions.touch('hash-1', 3_000, 7_000);
      expect(await store.consoleSessions.get('hash-1')).toEqual({ ...session, lastSeen: 3_000, expiresAt: 7_000 });
      expect(await store.consoleSessions.deleteExpired(6_000)).toBe(1);
      expect(await store.consoleSessions.get('hash-2')).toBeNull();
      await store.consoleSessions.delete('hash-1');
      expect(await store.consoleSessions.get('hash-1')).toBeNull();
    });

    it('AUD-2: failed sign-ins are kept one entry each (concurrent failures all count) and swept once expired', async () => {
      await Promise.all([100, 200, 300, 400].map((at) => store.loginFailures.add('key-1', at, at + 1_000)));
      await store.loginFailures.add('key-2', 100, 1_100);
      expect(await store.loginFailures.since('key-1', 200)).toEqual([200, 300, 400]);
      expect(await store.loginFailures.deleteExpired(1_250)).toBe(3);
      expect(await store.loginFailures.since('key-1', 0)).toEqual([300, 400]);
      await store.loginFailures.clear('key-1');
      expect(await store.loginFailures.since('key-1', 0)).toEqual([]);
    });

    it('SYNC-5: a recount corrects a counter only if nobody changed it since it was read; REG-4 forgets the counters', async () => {
      await store.seatCounters.take('reg-recount', 'voice-pro', 10, async () => 4);
      const seen = (await store.seatCounters.used('reg-recount', 'voice-pro'))!;
      expect(seen.used).toBe(5);
      await store.seatCounters.take('reg-recount', 'voice-pro', 10, async () => 0);
      expect(await store.seatCounters.correct('reg-recount', 'voice-pro', seen, 1)).toBe(false);
      const now = (await store.seatCounters.used('reg-recount', 'voice-pro'))!;
      expect(await store.seatCounters.correct('reg-recount', 'voice-pro', now, 1)).toBe(true);
      expect((await store.seatCounters.used('reg-recount', 'voice-pro'))?.used).toBe(1);
      await store.seatCounters.take('reg-recount', 'voicemail', 10, async () => 0);
      await store.seatCounters.take('reg-recount-other', 'voice-pro', 10, async () => 0);
      await store.seatCounters.forget('reg-recount', ['voicemail']);
      expect(await store.seatCounters.used('reg-recount', 'voicemail')).toBeUndefined();
      expect((await store.seatCounters.used('reg-recount', 'voice-pro'))?.used).toBe(1);
      await store.seatCounters.forget('reg-recount');
      expect(await store.seatCounters.used('reg-recount', 'voice-pro')).toBeUndefined();
      expect((await store.seatCounters.used('reg-recount-other', 'voice-pro'))?.used).toBe(1);
    });
  });
}
