import { randomUUID } from 'node:crypto';
import type { RetentionRecord, Store } from '../store/store.js';
import { withLogContext } from '../log/log-context.js';

const HOUR_MS = 3_600_000;

export interface RecordingsPurgeDeps {
  store: Store;
  /** Told of each purge, after it happened (the audit trail). */
  onPurged: (record: RetentionRecord) => void;
  onError: (error: unknown) => void;
  intervalMs?: number;
}

/**
 * DEL-4: a deleted voice user's voicemails and recordings are kept while its retention record
 * exists; the portal reads that collection. Once the registration's retention period has ended
 * the record is removed, which is the purge, and audited. One instance at a time (a lease), so
 * each purge is audited once.
 */
export function createRecordingsPurge({ store, onPurged, onError, intervalMs = HOUR_MS }: RecordingsPurgeDeps) {
  const holder = randomUUID();
  let timer: NodeJS.Timeout | undefined;

  async function purgeDue(now = new Date()): Promise<number> {
    if (!(await store.leases.acquire('recordings-purge', holder, intervalMs))) return 0;
    try {
      const due = await store.retention.due(now.toISOString());
      for (const record of due) {
        await store.retention.remove(record.id);
        onPurged(record);
      }
      return due.length;
    } finally {
      await store.leases.release('recordings-purge', holder);
    }
  }

  let running: Promise<void> = Promise.resolve();
  // Each run's log lines (and those of onPurged/onError) carry its run id.
  const runQuietly = () => {
    running = withLogContext({ job: 'recordings-purge', runId: randomUUID() }, () => purgeDue().then(() => undefined, onError));
  };

  return {
    purgeDue,
    start() {
      runQuietly();
      timer = setInterval(runQuietly, intervalMs).unref();
    },
    /** No new run starts; resolves once the run in progress (if any) has finished. */
    stop(): Promise<void> {
      clearInterval(timer);
      return running;
    },
  };
}

export type RecordingsPurge = ReturnType<typeof createRecordingsPurge>;
