import { countedLicenses, noLicenseLeft, type LicensePolicy, type LicenseUsage } from '../domain/licenses.js';
import { AppError, isAppError } from '../kernel/app-error.js';
import type { SeatStore } from './portal-port.js';
import { createKeyedLock } from '../kernel/keyed-lock.js';

/**
 * A counter unchanged for this long has no write in flight that took a seat from it (every
 * write ends, or is given up, well within it), so a recount then is exact.
 */
export const QUIET_BEFORE_RECOUNT_MS = 120_000;

/**
 * SYNC-5 at write time, exact across every instance on the database: a voice user gains a counted
 * licence only by taking a seat from the registration's counter for that licence, a conditional
 * update the database decides (`used < seats`). The seat is taken before the voice user is
 * written; a write refused for certain (a clash, a version conflict) gives it back. A voice user
 * losing a licence gives the seat back in the store itself (see VoiceUserCollection).
 *
 * Drift and its repair: a crash (or an outage whose outcome is unknown) between taking a seat and
 * writing the voice user leaves the counter one too high, never too low. When a take is refused,
 * a counter quiet for QUIET_BEFORE_RECOUNT_MS is recounted from the voice users and corrected by
 * a compare-and-set on its version; so a leaked seat is never refused for longer than that.
 */
export function createLicenseSeats(store: SeatStore) {
  const withLock = createKeyedLock();
  const countHolders = (registrationId: string, license: string) => () => store.voiceUsers.countHolding(registrationId, license);

  /** Seats in use of the counted licences among `licenses` (a plan's preview): the counters, O(1) each. */
  async function inUse(registrationId: string, policy: LicensePolicy, licenses: readonly string[]): Promise<LicenseUsage> {
    const counted = countedLicenses(policy, licenses);
    const used = async (license: string) => (await store.seatCounters.used(registrationId, license))?.used ?? (await countHolders(registrationId, license)());
    return Object.fromEntries(await Promise.all(counted.map(async (license) => [license, await used(license)] as const)));
  }

  /**
   * The database decides between instances; within this process takes of one counter queue up
   * first, so concurrent rows of a run do not lose compare-and-set rounds to each other (each
   * lost round costs round trips on MongoDB).
   */
  async function take(registrationId: string, policy: LicensePolicy, license: string): Promise<boolean> {
    const attempt = () => store.seatCounters.take(registrationId, license, policy.seats[license]!, countHolders(registrationId, license));
    return withLock(`${registrationId}\u0000${license}`, async () => (await attempt()) || ((await recountIfDrifted(registrationId, license)) && (await attempt())));
  }

  /** True when the counter was too high and has been corrected. */
  async function recountIfDrifted(registrationId: string, license: string): Promise<boolean> {
    const counter = await store.seatCounters.used(registrationId, license);
    if (!counter || counter.readAt - counter.changedAt < QUIET_BEFORE_RECOUNT_MS) return false;
    const holders = await countHolders(registrationId, license)();
    return holders < counter.used && (await store.seatCounters.correct(registrationId, license, counter, holders));
  }

  async function giveBack(registrationId: string, licenses: readonly string[]): Promise<void> {
    for (const license of licenses) await store.seatCounters.giveBack(registrationId, license);
  }

  async function reserve(registrationId: string, policy: LicensePolicy, licenses: readonly string[]): Promise<void> {
    const taken: string[] = [];
    for (const license of licenses) {
      if (!(await take(registrationId, policy, license))) {
        await giveBack(registrationId, taken);
        throw new AppError('voice_user.no_license_left', noLicenseLeft(policy, license), { status: 409, data: { license } });
      }
      taken.push(license);
    }
  }

  /** Runs `write`, which gives a voice user the licences in `gaining`, if every counted one has a seat. */
  async function withFreeSeats<T>(registrationId: string, policy: LicensePolicy, gaining: readonly string[], write: () => Promise<T>): Promise<T> {
    const counted = countedLicenses(policy, gaining);
    if (counted.length === 0) return write();
    await reserve(registrationId, policy, counted);
    try {
      return await write();
    } catch (error) {
      // Only a write surely not applied gives its seats back; after an unknown outcome the recount does.
      if (isAppError(error, 'store') && !isAppError(error, 'store.unavailable')) await giveBack(registrationId, counted);
      throw error;
    }
  }

  return { inUse, withFreeSeats };
}

export type LicenseSeats = ReturnType<typeof createLicenseSeats>;
