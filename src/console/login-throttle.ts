/** Past this many tracked account+address pairs, pairs with no recent failure are forgotten. */
const MAX_TRACKED_KEYS = 10_000;

export interface LoginThrottleOptions {
  maxFailures: number;
  windowMs: number;
  now?: () => number;
}

/** Counts failed logins per account + address; past `maxFailures` in `windowMs`, attempts are refused unchecked. */
export function createLoginThrottle({ maxFailures, windowMs, now = Date.now }: LoginThrottleOptions) {
  const failures = new Map<string, number[]>();
  const recent = (key: string, at: number) => (failures.get(key) ?? []).filter((time) => at - time < windowMs);
  const forgetQuiet = (at: number) => [...failures.keys()].filter((key) => recent(key, at).length === 0).forEach((key) => failures.delete(key));

  return {
    /** Milliseconds until the next attempt is allowed; 0 when it is allowed now. */
    retryAfterMs(key: string): number {
      const at = now();
      const times = recent(key, at);
      return times.length >= maxFailures ? windowMs - (at - times[times.length - maxFailures]!) : 0;
    },
    fail(key: string): void {
      const at = now();
      if (failures.size >= MAX_TRACKED_KEYS) forgetQuiet(at);
      failures.set(key, [...recent(key, at), at].slice(-maxFailures));
    },
    succeed(key: string): void {
      failures.delete(key);
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
