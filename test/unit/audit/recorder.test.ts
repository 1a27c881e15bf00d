import { describe, expect, it, vi } from 'vitest';
import type { AuditEvent, AuditEventInput } from '../../../src/audit/audit-event.js';
import type { AuditLog } from '../../../src/audit/audit-log.js';
import { createAuditRecorder, type AuditRecorderOptions } from '../../../src/audit/recorder.js';
import type { Logger } from '../../../src/log/logger.js';

/** An in-memory log whose appends can be made to fail or to hang until released. */
function fakeLog() {
  const batches: AuditEvent[][] = [];
  let failuresLeft = 0;
  let gate: Promise<void> | undefined;
  const log: AuditLog = {
    async append(events) {
      await gate;
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('database unreachable');
      }
      batches.push([...events]);
    },
    search: async () => ({ events: [] }),
    get: async () => null,
    purgeOlderThan: async () => 0,
  };
  return {
    log,
    batches,
    written: () => batches.flat().map((event) => event.summary),
    failNext: (count: number) => void (failuresLeft = count),
    hold() {
      let open!: () => void;
      gate = new Promise((resolve) => (open = resolve));
      return () => {
        gate = undefined;
        open();
      };
    },
  };
}

const quietLogger = () => ({ warn: vi.fn(), error: vi.fn() }) as unknown as Logger & { warn: ReturnType<typeof vi.fn>; error: ReturnType<typeof vi.fn> };

function input(n: number, extra: Partial<AuditEventInput> = {}): AuditEventInput {
  return { correlationId: `c${n}`, actor: { kind: 'system', subject: 'test' }, action: 'User.Create', summary: `event ${n}`, outcome: { status: 201, success: true }, ...extra };
}

function recorderWith(log: AuditLog, options: Partial<AuditRecorderOptions> = {}) {
  const logger = quietLogger();
  return { logger, recorder: createAuditRecorder({ log, logger, batchSize: 2, flushIntervalMs: 10_000, maxQueue: 100, retryDelayMs: 1, ...options }) };
}

const range = (count: number) => Array.from({ length: count }, (_, i) => i);

describe('audit recorder', () => {
  it('AUD-1: writes in batches of at most batchSize, in the order recorded', async () => {
    const store = fakeLog();
    const { recorder } = recorderWith(store.log, { batchSize: 2 });
    range(5).forEach((n) => void recorder.record(input(n)));
    await recorder.flush();
    expect(store.batches.map((batch) => batch.length)).toEqual([2, 2, 1]);
    expect(store.written()).toEqual(range(5).map((n) => `event ${n}`));
  });

  it('AUD-1: a lone event is written by the timer without anyone flushing', async () => {
    const store = fakeLog();
    const { recorder } = recorderWith(store.log, { batchSize: 100, flushIntervalMs: 5 });
    await recorder.record(input(1));
    await vi.waitFor(() => expect(store.written()).toEqual(['event 1']));
  });

  it('AUD-1: no event is lost or duplicated while the log fails and then recovers', async () => {
    const store = fakeLog();
    const { recorder, logger } = recorderWith(store.log, { batchSize: 3 });
    store.failNext(4);
    range(10).forEach((n) => void recorder.record(input(n)));
    await recorder.flush();
    expect(store.written()).toEqual(range(10).map((n) => `event ${n}`));
    expect(logger.warn).toHaveBeenCalledTimes(4);
    expect(recorder.pending).toBe(0);
  });

  it('AUD-1: a full queue makes record wait (back-pressure) instead of dropping', async () => {
    const store = fakeLog();
    const release = store.hold();
    const { recorder } = recorderWith(store.log, { batchSize: 2, maxQueue: 3 });
    const settled: number[] = [];
    const records = range(5).map((n) => recorder.record(input(n)).then(() => settled.push(n)));
    // The first batch's append is held, so nothing can free the queue: the first two (room left) settle, the rest wait.
    await Promise.all(records.slice(0, 2));
    expect(settled).toEqual([0, 1]);
    expect(recorder.full).toBe(true);
    expect(recorder.pending).toBe(5);
    release();
    await Promise.all(records);
    await recorder.flush();
    expect(settled.sort()).toEqual(range(5));
    expect(store.written()).toEqual(range(5).map((n) => `event ${n}`));
  });

  it('AUD-1: close flushes what is queued, then refuses new events', async () => {
    const store = fakeLog();
    const { recorder } = recorderWith(store.log, { batchSize: 100 });
    range(3).forEach((n) => void recorder.record(input(n)));
    await recorder.close();
    expect(store.written()).toEqual(['event 0', 'event 1', 'event 2']);
    await expect(recorder.record(input(4))).rejects.toThrow(/closed/);
  });

  it('AUD-1: a store still down at shutdown gets the queued events written to the operational log instead', async () => {
    const store = fakeLog();
    const { recorder, logger } = recorderWith(store.log, { shutdownTimeoutMs: 50, maxRetryDelayMs: 10 });
    store.failNext(Number.MAX_SAFE_INTEGER);
    range(3).forEach((n) => void recorder.record(input(n)));
    await recorder.close();
    expect(store.written()).toEqual([]);
    const [, fields] = logger.error.mock.calls[0]!;
    expect((fields as { unsavedAuditEvents: AuditEvent[] }).unsavedAuditEvents.map((event) => event.summary)).toEqual(['event 0', 'event 1', 'event 2']);
    expect(recorder.pending).toBe(0);
    expect(recorder.dropped).toBe(3);
  });

  it('AUD-1: the shutdown drain bounds the wait for a store that is down by the time it has left', async () => {
    const store = fakeLog();
    const { recorder, logger } = recorderWith(store.log, { shutdownTimeoutMs: 600_000, maxRetryDelayMs: 10 });
    store.failNext(Number.MAX_SAFE_INTEGER);
    void recorder.record(input(1));
    await recorder.close(50);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(recorder.dropped).toBe(1);
  });

  it('AUD-3: secrets in details are redacted before the event is queued', async () => {
    const store = fakeLog();
    const { recorder } = recorderWith(store.log);
    await recorder.record(input(1, { details: { request: { userName: 'jane', password: 'Hunter2!', nested: [{ clientSecret: 's3cr3t' }] } } }));
    await recorder.flush();
    const written = JSON.stringify(store.batches);
    expect(written).not.toMatch(/Hunter2!|s3cr3t/);
    expect(store.batches[0]![0]!.details).toEqual({ request: { userName: 'jane', password: '[redacted]', nested: [{ clientSecret: '[redacted]' }] } });
  });

  it('fills in a time-ordered id and an ISO UTC time', async () => {
    const store = fakeLog();
    const { recorder } = recorderWith(store.log);
    range(3).forEach((n) => void recorder.record(input(n)));
    await recorder.flush();
    const ids = store.batches.flat().map((event) => event.id);
    expect([...ids].sort()).toEqual(ids);
    expect(store.batches[0]![0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
