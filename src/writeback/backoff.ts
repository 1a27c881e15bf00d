export interface BackoffPolicy {
  /** Delay after the first failure; doubles with each further one. */
  baseMs: number;
  maxMs: number;
}

/**
 * How long to wait before the next attempt after `failures` consecutive failures: exponential with
 * "equal jitter" (between half and all of the step), so instances and registrations that failed
 * together do not retry together. Graph's Retry-After, when given, is honoured: never earlier,
 * plus up to 10% so throttled callers spread out.
 */
export function retryDelayMs(failures: number, policy: BackoffPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.ceil(retryAfterMs * (1 + random() * 0.1));
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  return Math.ceil(step / 2 + (random() * step) / 2);
}

/** `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from `now`. */
export function parseRetryAfter(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
