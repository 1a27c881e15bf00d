/** Who holds a lease, since when and until when, in the database's clock (ISO-8601). */
export interface LeaseHolder {
  holder: string;
  acquiredAt: string;
  expiresAt: string;
}

/**
 * A named lease with expiry, for one-instance-at-a-time work (SYNC-3). Single-document atomic.
 * Expiry is decided by the database's clock, never by an instance's, so instances whose clocks
 * disagree still agree on who holds a lease.
 */
export interface LeaseCollection {
  /** True when `holder` now holds the lease (free, expired, or already its own), until database now + ttlMs. */
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Extends `holder`'s lease to database now + ttlMs; false when it is no longer `holder`'s (it expired and was taken). */
  renew(name: string, holder: string, ttlMs: number): Promise<boolean>;
  release(name: string, holder: string): Promise<void>;
  /** The live holder of the lease, or null when it is free or expired. */
  current(name: string): Promise<LeaseHolder | null>;
}
