import { countedLicenses, exhaustedLicense, noLicenseLeft, type LicensePolicy, type LicenseUsage } from '../domain/licenses.js';
import type { Store } from '../store/store.js';
import { createKeyedLock } from './keyed-lock.js';

export class NoLicenseLeftError extends Error {
  constructor(readonly license: string, message: string) {
    super(message);
    this.name = 'NoLicenseLeftError';
  }
}

/** How long a seat count read from the database is trusted before it is read again. */
const RECOUNT_AFTER_MS = 1000;

interface Ledger {
  usage: LicenseUsage;
  readAt: number;
}

/**
 * SYNC-5 at write time: a voice user gains a counted licence only while a seat is free. The check
 * and the write run under one lock per registration, so two writers in this process never take
 * the last seat twice. Counting holders is O(n) in any database (an index range is walked), so
 * the count is read at most once a second per registration and kept current in between by the
 * seats this process gives; a refusal is always confirmed by a fresh count, so a seat freed
 * meanwhile is never refused.
 */
export function createLicenseSeats(store: Store, clock: () => number = Date.now) {
  const withLock = createKeyedLock();
  const ledgers = new Map<string, Ledger>();

  async function count(registrationId: string, licenses: string[]): Promise<LicenseUsage> {
    return Object.fromEntries(await Promise.all(licenses.map(async (license) => [license, await store.voiceUsers.countHolding(registrationId, license)] as const)));
  }

  async function ledgerOf(registrationId: string, licenses: string[], fresh: boolean): Promise<Ledger> {
    const known = ledgers.get(registrationId);
    const current = known && !fresh && clock() - known.readAt < RECOUNT_AFTER_MS ? known : { usage: {}, readAt: clock() };
    const missing = licenses.filter((license) => current.usage[license] === undefined);
    Object.assign(current.usage, await count(registrationId, missing));
    ledgers.set(registrationId, current);
    return current;
  }

  /** Seats in use of the counted licences among `licenses` (a dry run's preview; at most a second old). */
  async function inUse(registrationId: string, policy: LicensePolicy, licenses: readonly string[]): Promise<LicenseUsage> {
    const counted = countedLicenses(policy, licenses);
    if (counted.length === 0) return {};
    const { usage } = await withLock(registrationId, () => ledgerOf(registrationId, counted, false));
    return Object.fromEntries(counted.map((license) => [license, usage[license]!]));
  }

  /** Runs `write`, which gives a voice user the licences in `gaining`, if every counted one has a seat. */
  async function withFreeSeats<T>(registrationId: string, policy: LicensePolicy, gaining: readonly string[], write: () => Promise<T>): Promise<T> {
    const counted = countedLicenses(policy, gaining);
    if (counted.length === 0) return write();
    return withLock(registrationId, async () => {
      let ledger = await ledgerOf(registrationId, counted, false);
      if (exhaustedLicense(policy, ledger.usage, counted)) ledger = await ledgerOf(registrationId, counted, true);
      const exhausted = exhaustedLicense(policy, ledger.usage, counted);
      if (exhausted) throw new NoLicenseLeftError(exhausted, noLicenseLeft(policy, exhausted));
      const written = await write();
      for (const license of counted) ledger.usage[license]! += 1;
      return written;
    });
  }

  return { inUse, withFreeSeats };
}

export type LicenseSeats = ReturnType<typeof createLicenseSeats>;
