import type { LoginFailureCollection } from './console-state-port.js';
import { hashOf } from './sessions.js';

export interface LoginThrottleOptions {
  failures: LoginFailureCollection;
  maxFailures: number;
  windowMs: number;
  now?: () => number;
}

/**
 * Counts failed logins per account + address; past `maxFailures` in `windowMs`, attempts are
 * refused unchecked. The failures are kept in the store (one entry each), so attempts spread over
 * several instances are counted together.
 */
export function createLoginThrottle({ failures, maxFailures, windowMs, now = Date.now }: LoginThrottleOptions) {
  return {
    /** Milliseconds until the next attempt is allowed; 0 when it is allowed now. */
    async retryAfterMs(key: string): Promise<number> {
      const at = now();
      const times = await failures.since(hashOf(key), at - windowMs + 1);
      return times.length >= maxFailures ? windowMs - (at - times[times.length - maxFailures]!) : 0;
    },
    async fail(key: string): Promise<void> {
      const at = now();
      await failures.deleteExpired(at);
      await failures.add(hashOf(key), at, at + windowMs);
    },
    async succeed(key: string): Promise<void> {
      await failures.clear(hashOf(key));
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
