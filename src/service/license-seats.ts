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
  /** Holders as last counted in the database, plus the seats this process gave since. */
  usage: LicenseUsage;
  readAt: number;
}

/**
 * SYNC-5 at write time: a voice user gains a counted licence only while a seat is free. A seat is
 * reserved under a lock per registration and the write runs outside it, so writers in this
 * process never take the last seat twice yet several writes can be in flight. Counting holders is
 * O(n) in any database (an index range is walked), so the count is read at most once a second
 * per registration and kept current in between by the seats this process gives; a refusal is
 * always confirmed by a fresh count (plus the reservations in flight), so a freed seat is never
 * refused.
 */
export function createLicenseSeats(store: Store, clock: () => number = Date.now) {
  const withLock = createKeyedLock();
  const ledgers = new Map<string, Ledger>();
  const reserved = new Map<string, LicenseUsage>();

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

  function inFlight(registrationId: string): LicenseUsage {
    const pending = reserved.get(registrationId) ?? {};
    reserved.set(registrationId, pending);
    return pending;
  }

  function taken(ledger: Ledger, pending: LicenseUsage, licenses: string[]): LicenseUsage {
    return Object.fromEntries(licenses.map((license) => [license, ledger.usage[license]! + (pending[license] ?? 0)]));
  }

  /** Seats in use of the counted licences among `licenses` (a dry run's preview; at most a second old). */
  async function inUse(registrationId: string, policy: LicensePolicy, licenses: readonly string[]): Promise<LicenseUsage> {
    const counted = countedLicenses(policy, licenses);
    if (counted.length === 0) return {};
    return withLock(registrationId, async () => taken(await ledgerOf(registrationId, counted, false), inFlight(registrationId), counted));
  }

  async function reserve(registrationId: string, policy: LicensePolicy, licenses: string[]): Promise<void> {
    await withLock(registrationId, async () => {
      const pending = inFlight(registrationId);
      let ledger = await ledgerOf(registrationId, licenses, false);
      if (exhaustedLicense(policy, taken(ledger, pending, licenses), licenses)) ledger = await ledgerOf(registrationId, licenses, true);
      const exhausted = exhaustedLicense(policy, taken(ledger, pending, licenses), licenses);
      if (exhausted) throw new NoLicenseLeftError(exhausted, noLicenseLeft(policy, exhausted));
      for (const license of licenses) pending[license] = (pending[license] ?? 0) + 1;
    });
  }

  function settle(registrationId: string, licenses: string[], written: boolean): void {
    const pending = inFlight(registrationId);
    const ledger = ledgers.get(registrationId);
    for (const license of licenses) {
      pending[license]! -= 1;
      if (written && ledger?.usage[license] !== undefined) ledger.usage[license] += 1;
    }
  }

  /** Runs `write`, which gives a voice user the licences in `gaining`, if every counted one has a seat. */
  async function withFreeSeats<T>(registrationId: string, policy: LicensePolicy, gaining: readonly string[], write: () => Promise<T>): Promise<T> {
    const counted = countedLicenses(policy, gaining);
    if (counted.length === 0) return write();
    await reserve(registrationId, policy, counted);
    try {
      const written = await write();
      settle(registrationId, counted, true);
      return written;
    } catch (error) {
      settle(registrationId, counted, false);
      throw error;
    }
  }

  return { inUse, withFreeSeats };
}

export type LicenseSeats = ReturnType<typeof createLicenseSeats>;
