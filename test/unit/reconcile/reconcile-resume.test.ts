import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmbeddedStore } from '../../support/embedded-store.js';
import { storeUnavailable } from '../../../src/kernel/store-errors.js';
import { type Store } from '../../../src/persistence/persistence.js';
import { type UserRecord } from '../../../src/directory/directory-port.js';
import { type VoiceUserCollection } from '../../../src/portal/portal-port.js';
import { createReconcileService } from '../../../src/reconcile/reconcile-service.js';
import { createLicenseSeats } from '../../../src/portal/license-seats.js';

const SETTINGS = {
  accountDomains: ['contoso.example'],
  scope: { kind: 'all-assigned' as const },
  locationSource: 'addresses[type eq "work"].locality',
  locationMap: { Seattle: 'loc-sea', London: 'loc-lon' },
  recordingRetention: '1-year' as const,
  licensing: { seats: {}, assignOnCreate: ['voice-standard'] },
};

/** The real store, except that writing a new voice user fails once: the database went away mid-move. */
function failingOnNextInsert(store: Store): Store {
  const voiceUsers: VoiceUserCollection = Object.create(store.voiceUsers);
  voiceUsers.insert = async () => {
    throw storeUnavailable('the database went away');
  };
  return { ...store, voiceUsers } as Store;
}

describe('SYNC-4 a DEL-5 move cut short between its delete and its create (embedded store)', () => {
  const embeddedStore = useEmbeddedStore('resume');
  let store: Store;
  beforeEach(() => {
    store = embeddedStore();
  });

  it('SYNC-4 the next run recreates the user in the new location with the licences it held (DEL-5)', async () => {
    const registrationId = randomUUID();
    const registrations = { settingsOf: async () => SETTINGS };
    const now = new Date().toISOString();
    const user: UserRecord = { id: randomUUID(), registrationId, userName: 'mover@contoso.example', version: 1, created: now, lastModified: now, resource: { userName: 'mover@contoso.example', addresses: [{ type: 'work', locality: 'Seattle' }] } };
    await store.users.insert(user);
    const reconcile = createReconcileService({ store, registrations, seats: createLicenseSeats(store) });
    await reconcile.reconcileRegistration(registrationId, { trigger: 'on-demand', dryRun: false });
    const [seattle] = await store.voiceUsers.list(registrationId);
    await store.voiceUsers.replace({ ...seattle!, licenses: ['voice-standard', 'voice-pro', 'call-recording'] }, seattle!.version);
    await store.users.replace({ ...user, resource: { ...user.resource, addresses: [{ type: 'work', locality: 'London' }] } }, user.version);

    const cutShort = createReconcileService({ store: failingOnNextInsert(store), registrations, seats: createLicenseSeats(store) });
    await expect(cutShort.reconcileRegistration(registrationId, { trigger: 'on-demand', dryRun: false })).rejects.toMatchObject({ code: 'store.unavailable' });
    expect(await store.voiceUsers.list(registrationId)).toEqual([]);

    const report = await reconcile.reconcileRegistration(registrationId, { trigger: 'on-demand', dryRun: false });
    expect(report.counts).toMatchObject({ create: 1, error: 0 });
    expect(await store.voiceUsers.list(registrationId)).toEqual([
      expect.objectContaining({ directoryUserId: user.id, locationId: 'loc-lon', licenses: ['voice-standard', 'voice-pro', 'call-recording'] }),
    ]);
  });

  it('DEL-5 a newcomer, or a user deleted since, gets only the licences given to newcomers', async () => {
    const registrationId = randomUUID();
    const now = new Date().toISOString();
    const userName = 'newcomer@contoso.example';
    const user: UserRecord = { id: randomUUID(), registrationId, userName, version: 1, created: now, lastModified: now, resource: { userName, addresses: [{ type: 'work', locality: 'London' }] } };
    await store.users.insert(user);
    await store.retention.add({ id: randomUUID(), registrationId, voiceUserId: 'old', userName: 'newcomer', deletedAt: '2026-01-01T00:00:00.000Z', purgeAfter: '2027-01-01T00:00:00.000Z', directoryUserId: user.id, licenses: ['voice-pro'], movedTo: 'loc-lon' });
    await store.retention.add({ id: randomUUID(), registrationId, voiceUserId: 'later', userName: 'newcomer', deletedAt: '2026-02-01T00:00:00.000Z', purgeAfter: '2027-02-01T00:00:00.000Z', directoryUserId: user.id, licenses: ['voice-pro'] });
    await createReconcileService({ store, registrations: { settingsOf: async () => SETTINGS }, seats: createLicenseSeats(store) }).reconcileRegistration(registrationId, { trigger: 'on-demand', dryRun: false });
    expect((await store.voiceUsers.list(registrationId))[0]!.licenses).toEqual(['voice-standard']);
  });
});
