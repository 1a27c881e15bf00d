import type { Logger } from '../log/logger.js';
import { completeAuditEvent, type AuditEvent, type AuditEventInput } from './audit-event.js';
import type { AuditLog } from './audit-log.js';
import { redactEvent } from './redact.js';

export interface AuditRecorderOptions {
  log: AuditLog;
  logger: Logger;
  /** Most events written by one `append`. */
  batchSize?: number;
  /** How long an event may wait for a batch to fill. */
  flushIntervalMs?: number;
  /** Events held in memory before `record` makes callers wait (back-pressure). */
  maxQueue?: number;
  /** First retry delay after a failed append; doubles up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** How long close() waits for an unreachable audit store before logging the unsaved events. */
  shutdownTimeoutMs?: number;
}

export interface AuditRecorder {
  /**
   * Queues the event (redacted, AUD-3) and returns at once; the promise settles immediately
   * while there is room, or once the queue has drained below `maxQueue` (await it to apply
   * back-pressure). The event is kept either way.
   */
  record(input: AuditEventInput): Promise<void>;
  /** Resolves when the queue has room: callers may wait on it before starting work. */
  whenRoom(): Promise<void>;
  /** Resolves once every event recorded so far is in the log (retrying failed appends). */
  flush(): Promise<void>;
  /**
   * Stops the timer and flushes; records after close are refused. `timeoutMs` (default
   * `shutdownTimeoutMs`) bounds the wait for an unreachable store: what is left of the shutdown.
   */
  close(timeoutMs?: number): Promise<void>;
  readonly pending: number;
  /** Events that never reached the audit store (logged instead when it stayed unreachable at shutdown). */
  readonly dropped: number;
  /** True while the queue is at `maxQueue`. */
  readonly full: boolean;
}

/**
 * Writes audit events off the request's critical path without losing any: a bounded in-process
 * queue flushed in batches by size or timer, failed batches retried with backoff and kept in
 * order, and back-pressure instead of dropping when the store falls behind.
 */
export function createAuditRecorder(options: AuditRecorderOptions): AuditRecorder {
  const { log, logger, batchSize = 200, flushIntervalMs = 250, maxQueue = 20_000, retryDelayMs = 100, maxRetryDelayMs = 30_000, shutdownTimeoutMs = 10_000 } = options;
  const queue: AuditEvent[] = [];
  let roomWaiters: (() => void)[] = [];
  let drainWaiters: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing = false;
  let failures = 0;
  let closed = false;
  let dropped = 0;

  const hasRoom = () => queue.length < maxQueue;

  function schedule(delayMs: number): void {
    if (timer || writing) return;
    timer = setTimeout(() => {
      timer = undefined;
      void writeBatches();
    }, delayMs);
    timer.unref();
  }

  async function writeBatches(): Promise<void> {
    if (writing) return;
    writing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, batchSize);
        await log.append(batch);
        queue.splice(0, batch.length);
        failures = 0;
        release();
      }
    } catch (error) {
      failures += 1;
      logger.warn('audit append failed; events kept for retry', { queued: queue.length, attempt: failures, error: (error as Error).message });
    } finally {
      writing = false;
    }
    if (queue.length > 0) schedule(Math.min(retryDelayMs * 2 ** (failures - 1), maxRetryDelayMs));
    else settleDrained();
  }

  function release(): void {
    if (!hasRoom()) return;
    const waiting = roomWaiters;
    roomWaiters = [];
    waiting.forEach((resolve) => resolve());
  }

  function settleDrained(): void {
    const waiting = drainWaiters;
    drainWaiters = [];
    waiting.forEach((resolve) => resolve());
  }

  function whenRoom(): Promise<void> {
    return hasRoom() ? Promise.resolve() : new Promise((resolve) => roomWaiters.push(resolve));
  }

  function flush(): Promise<void> {
    if (queue.length === 0 && !writing) return Promise.resolve();
    const drained = new Promise<void>((resolve) => drainWaiters.push(resolve));
    if (timer && failures === 0) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (!timer) void writeBatches();
    return drained;
  }

  return {
    record(input) {
      if (closed) return Promise.reject(new Error('The audit recorder is closed'));
      queue.push(redactEvent(completeAuditEvent(input)));
      if (queue.length >= batchSize && failures === 0) void writeBatches();
      else schedule(flushIntervalMs);
      return whenRoom();
    },
    whenRoom,
    flush,
    /**
     * Flushes; if the audit store stays unreachable past `shutdownTimeoutMs`, the events still
     * queued (already redacted) go to the operational log instead, so shutting down loses none.
     */
    async close(timeoutMs = shutdownTimeoutMs) {
      closed = true;
      let timeout: NodeJS.Timeout | undefined;
      const flushed = await Promise.race([flush().then(() => true), new Promise<boolean>((resolve) => (timeout = setTimeout(() => resolve(false), timeoutMs)))]);
      clearTimeout(timeout);
      if (flushed) return;
      clearTimeout(timer);
      dropped += queue.length;
      logger.error('audit store unreachable at shutdown; unsaved audit events follow', { unsavedAuditEvents: queue.splice(0) });
      release();
      settleDrained();
    },
    get pending() {
      return queue.length;
    },
    get dropped() {
      return dropped;
    },
    get full() {
      return !hasRoom();
    },
  };
}
