import { withoutUndefined, type AuditActor, type AuditEventInput } from './audit-event.js';
import type { AuditRecorder } from './recorder.js';

/**
 * Bounds of what refused (unauthenticated) requests may cost: anyone can send them, so
 * neither the audit store nor this process may grow with their number or their size.
 */
export const REFUSAL_LIMITS = {
  /** Counting window: refusals are counted per source address per window. */
  windowMs: 60_000,
  /** Refusals one address may have in a window before the next ones are answered 429 (MAX_REFUSALS_PER_MINUTE). */
  maxPerAddress: 30,
  /** Kinds of refusal (address + reason + certificate) stored in full per window; further kinds share one counter per reason. */
  maxSampledKeys: 100,
  /** Addresses counted per window; further addresses share one counter (and its limit). */
  maxTrackedAddresses: 10_000,
  /** Characters kept of each attacker-controlled text (path, subject, detail, header). */
  excerptChars: 128,
} as const;

/** Stands for every address or kind of refusal beyond the tracked ones in a window. */
const OVERFLOW = 'other addresses';

/** Where a refused request came from and what it asked for: its line and source, never its body or other headers. */
export interface RefusedRequestSource {
  correlationId: string;
  method: string;
  /** The path as sent, without the query. */
  path: string;
  /** The client's address (behind trusted proxies, the one they name). */
  address: string;
  userAgent?: string;
  /** Whether it carried an `Authorization` header (a bearer credential), which names the actor's kind. */
  hadAuthorization: boolean;
}

export interface RefusedRequest {
  /** Why it was refused, e.g. `certificate-not-bound`, `no-endpoint`. */
  reason: string;
  /** The status answered, unless `limitable` and the address is over its limit (then 429). */
  status: number;
  /** Credential refusals are answered 429 past the limit; other unauthenticated answers keep their status. */
  limitable?: boolean;
  detail?: string;
  subject?: string;
  fingerprint256?: string;
}

/** What the ledger knows about the refused request's address in the current window. */
export interface RefusalTally {
  /** Refusals from this address in the window, this one included. */
  fromAddress: number;
  /** Whether this address is over `maxPerAddress`: answer 429 rather than 401. */
  limited: boolean;
  /** Until the window ends (and the address's count starts again). */
  retryAfterMs: number;
  /** Whether this refusal was stored in full (the first of its kind in the window). */
  recorded: boolean;
}

export interface RefusalLedgerOptions {
  recorder: AuditRecorder;
  limits?: Partial<Record<keyof typeof REFUSAL_LIMITS, number>>;
  now?: () => number;
}

interface Sample {
  address: string;
  reason: string;
  /** Status of the first refusal counted here. */
  status: number;
  count: number;
  /** Whether the first refusal was stored in full (not for the overflow counters). */
  stored: boolean;
}

/**
 * Records refused requests without letting them fill the audit store (AUD-1 within bounds):
 * the first refusal of each kind (address + reason + certificate fingerprint) in a window is
 * stored as one `Auth.Refused` event with short excerpts of what the client sent; the following
 * ones are only counted, and when the window ends one event per kind says how many more there
 * were. Also counts refusals per address, so the caller can answer 429 to an address that keeps
 * being refused.
 * Counts live in this process: with several instances each keeps its own (documented).
 */
export function createRefusalLedger({ recorder, limits: given = {}, now = Date.now }: RefusalLedgerOptions) {
  const limits = { ...REFUSAL_LIMITS, ...given };
  let windowStart = now();
  let byAddress = new Map<string, number>();
  let samples = new Map<string, Sample>();
  const timer = setInterval(() => rollOverIfDue(), limits.windowMs).unref();

  function rollOverIfDue(): void {
    const time = now();
    if (time - windowStart < limits.windowMs) return;
    recordRepeats(windowStart, time);
    windowStart = time;
    byAddress = new Map();
    samples = new Map();
  }

  function recordRepeats(from: number, to: number): void {
    for (const entry of samples.values()) {
      const repeated = entry.count - (entry.stored ? 1 : 0);
      if (repeated > 0) void recorder.record(repeatsEvent(entry, repeated, from, to));
    }
  }

  function countAddress(address: string): number {
    const key = byAddress.has(address) || byAddress.size < limits.maxTrackedAddresses ? address : OVERFLOW;
    const count = (byAddress.get(key) ?? 0) + 1;
    byAddress.set(key, count);
    return count;
  }

  /**
   * Counts the refusal under its address, reason and certificate; true when it is the first of
   * that kind in the window (store it in full). Kinds beyond `maxSampledKeys` are only counted, per reason.
   */
  function sample(address: string, refusal: RefusedRequest): boolean {
    const kind = `${address}\n${refusal.reason}\n${refusal.fingerprint256 ?? ''}`;
    const own = samples.get(kind);
    if (own) {
      own.count += 1;
      return false;
    }
    const stored = samples.size < limits.maxSampledKeys;
    const key = stored ? kind : `${OVERFLOW}\n${refusal.reason}`;
    const entry = samples.get(key) ?? { address: stored ? address : OVERFLOW, reason: refusal.reason, status: refusal.status, count: 0, stored };
    entry.count += 1;
    samples.set(key, entry);
    return stored;
  }

  return {
    /**
     * Counts a refused request and stores it (in excerpts) if it is the first of its kind in the
     * window. The tally says whether the address is over its limit.
     */
    note(source: RefusedRequestSource, refusal: RefusedRequest): RefusalTally {
      rollOverIfDue();
      const address = excerpt(source.address);
      const fromAddress = countAddress(address);
      const limited = fromAddress > limits.maxPerAddress;
      const answered = { ...refusal, status: limited && refusal.limitable ? 429 : refusal.status };
      const recorded = sample(address, answered);
      if (recorded) void recorder.record(refusalEvent(source, address, answered));
      return { fromAddress, limited, recorded, retryAfterMs: Math.max(1, windowStart + limits.windowMs - now()) };
    },
    /** Records the counts of the current window (at shutdown, before the recorder closes). */
    close(): void {
      clearInterval(timer);
      recordRepeats(windowStart, now());
      samples = new Map();
    },
  };
}

export type RefusalLedger = ReturnType<typeof createRefusalLedger>;

function refusalEvent(source: RefusedRequestSource, address: string, refusal: RefusedRequest): AuditEventInput {
  const path = excerpt(source.path);
  const detail = excerpt(refusal.detail ? `${refusal.reason}: ${refusal.detail}` : refusal.reason);
  return {
    correlationId: source.correlationId,
    actor: refusedActor(source, refusal),
    action: 'Auth.Refused',
    summary: `refused ${excerpt(source.method)} ${path} from ${address}: ${refusal.reason}`,
    outcome: { status: refusal.status, success: false, detail },
    details: withoutUndefined({ method: excerpt(source.method), path, address, reason: refusal.reason, userAgent: optionalExcerpt(source.userAgent) }),
  };
}

function repeatsEvent({ address, reason, status }: Sample, repeated: number, from: number, to: number): AuditEventInput {
  return {
    correlationId: `refusals-${from.toString(36)}`,
    actor: { kind: 'anonymous', subject: 'unknown' },
    action: 'Auth.Refused',
    summary: `${repeated} more refused request${repeated === 1 ? '' : 's'} from ${address} (${reason}) not stored one by one`,
    outcome: { status, success: false, detail: reason },
    details: { address, reason, repeated, windowStart: new Date(from).toISOString(), windowEnd: new Date(to).toISOString() },
  };
}

function refusedActor(source: RefusedRequestSource, refusal: RefusedRequest): AuditActor {
  if (refusal.subject || refusal.fingerprint256) {
    return withoutUndefined({ kind: 'client-certificate', subject: excerpt(refusal.subject ?? 'unknown'), fingerprint256: optionalExcerpt(refusal.fingerprint256) });
  }
  return { kind: source.hadAuthorization ? 'bearer-token' : 'anonymous', subject: 'unknown' };
}

/** At most `excerptChars` of a text an unauthenticated client chose, marked when cut. */
export function excerpt(text: string, chars: number = REFUSAL_LIMITS.excerptChars): string {
  return text.length <= chars ? text : `${text.slice(0, chars)}…(${text.length} chars)`;
}

function optionalExcerpt(text: string | undefined): string | undefined {
  return text === undefined ? undefined : excerpt(text);
}
