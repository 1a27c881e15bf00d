import { beforeEach, describe, expect, it } from 'vitest';
import { useEmbeddedStore } from '../../support/embedded-store.js';
import { storeUnavailable } from '../../../src/kernel/store-errors.js';
import { type Store } from '../../../src/persistence/persistence.js';
import type { SqliteStore } from '../../../src/persistence/sqlite/sqlite-store.js';
import { createLicenseSeats, QUIET_BEFORE_RECOUNT_MS } from '../../../src/portal/license-seats.js';
import type { LicensePolicy } from '../../../src/domain/licenses.js';
import { voiceUser } from '../../contract/portal-store.contract.js';

const POLICY: LicensePolicy = { seats: { 'voice-standard': 3 }, assignOnCreate: ['voice-standard'] };

describe('SYNC-5 licence seats at write time (embedded store)', () => {
  const embeddedStore = useEmbeddedStore('seats');
  let store: Store;
  beforeEach(() => {
    store = embeddedStore();
  });

  const give = (seats: ReturnType<typeof createLicenseSeats>, registrationId: string, name: string) =>
    seats.withFreeSeats(registrationId, POLICY, ['voice-standard'], () => store.voiceUsers.insert(voiceUser(registrationId, name, { licenses: ['voice-standard'] })));

  it('SYNC-5 concurrent writers never take the last seat twice', async () => {
    const seats = createLicenseSeats(store);
    const results = await Promise.allSettled(['a', 'b', 'c', 'd', 'e'].map((name) => give(seats, 'race', name)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)).toEqual([expect.objectContaining({ code: 'voice_user.no_license_left' }), expect.objectContaining({ code: 'voice_user.no_license_left' })]);
    expect(await store.voiceUsers.countHolding('race', 'voice-standard')).toBe(3);
  });

  it('SYNC-5 a seat freed by another path is found by a fresh count, never refused from the cached one', async () => {
    const seats = createLicenseSeats(store);
    const held = await Promise.all(['a', 'b', 'c'].map((name) => give(seats, 'freed', name)));
    await store.voiceUsers.delete('freed', held[0]!.id);
    await expect(give(seats, 'freed', 'd')).resolves.toMatchObject({ userName: 'd' });
    await expect(give(seats, 'freed', 'e')).rejects.toThrow('no "voice-standard" licence left (all 3 seats are in use)');
  });

  it('SYNC-5 a seat leaked by a write of unknown outcome is refused until the counter has been quiet, then recounted and given', async () => {
    const seats = createLicenseSeats(store);
    await expect(seats.withFreeSeats('leak', POLICY, ['voice-standard'], () => Promise.reject(storeUnavailable('cut off mid-write')))).rejects.toMatchObject({ code: 'store.unavailable' });
    await Promise.all(['a', 'b'].map((name) => give(seats, 'leak', name)));
    await expect(give(seats, 'leak', 'c')).rejects.toMatchObject({ code: 'voice_user.no_license_left' });
    // As a counter last changed before the quiet period looks (a crash long ago).
    (store as SqliteStore).db.prepare('UPDATE seat_counters SET changed_at = changed_at - ? WHERE registration_id = ?').run(QUIET_BEFORE_RECOUNT_MS + 1000, 'leak');
    await expect(give(seats, 'leak', 'c')).resolves.toMatchObject({ userName: 'c' });
    await expect(give(seats, 'leak', 'd')).rejects.toMatchObject({ code: 'voice_user.no_license_left' });
    expect(await store.voiceUsers.countHolding('leak', 'voice-standard')).toBe(3);
  });

  it('SYNC-5 a write refused for certain (a clash) gives its seat back at once', async () => {
    const seats = createLicenseSeats(store);
    await give(seats, 'clash', 'a');
    await expect(give(seats, 'clash', 'a')).rejects.toThrow();
    await Promise.all(['b', 'c'].map((name) => give(seats, 'clash', name)));
    expect(await seats.inUse('clash', POLICY, ['voice-standard'])).toEqual({ 'voice-standard': 3 });
  });

  it('SYNC-5 uncounted licences are given without counting', async () => {
    const seats = createLicenseSeats(store);
    const written = await seats.withFreeSeats('free', POLICY, ['voicemail'], async () => 'written');
    expect(written).toBe('written');
    expect(await seats.inUse('free', POLICY, ['voicemail'])).toEqual({});
  });
});
