import { countedLicenses, exhaustedLicense, noLicenseLeft, type LicensePolicy, type LicenseUsage } from '../domain/licenses.js';
import type { Store } from '../store/store.js';
import { createKeyedLock } from './keyed-lock.js';

export class NoLicenseLeftError extends Error {
  constructor(readonly license: string, message: string) {
    super(message);
    this.name = 'NoLicenseLeftError';
  }
}

/**
 * SYNC-5 at write time: a voice user gains a counted licence only while a seat is free. The
 * count and the write run under one lock per registration, so two writers in this process never
 * take the last seat twice; the plan's own count (a dry run's answer) may be stale by then.
 */
export function createLicenseSeats(store: Store) {
  const withLock = createKeyedLock();

  /** Seats in use of the counted licences among `licenses`. */
  async function inUse(registrationId: string, policy: LicensePolicy, licenses: readonly string[]): Promise<LicenseUsage> {
    const counted = countedLicenses(policy, licenses);
    return Object.fromEntries(await Promise.all(counted.map(async (license) => [license, await store.voiceUsers.countHolding(registrationId, license)] as const)));
  }

  /** Runs `write`, which gives a voice user the licences in `gaining`, if every counted one has a seat. */
  async function withFreeSeats<T>(registrationId: string, policy: LicensePolicy, gaining: readonly string[], write: () => Promise<T>): Promise<T> {
    if (countedLicenses(policy, gaining).length === 0) return write();
    return withLock(registrationId, async () => {
      const exhausted = exhaustedLicense(policy, await inUse(registrationId, policy, gaining), gaining);
      if (exhausted) throw new NoLicenseLeftError(exhausted, noLicenseLeft(policy, exhausted));
      return write();
    });
  }

  return { inUse, withFreeSeats };
}

export type LicenseSeats = ReturnType<typeof createLicenseSeats>;
