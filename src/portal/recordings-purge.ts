import type { JobRunner } from '../jobs/job-runner.js';
import type { PortalStore, RetentionRecord } from './portal-port.js';

const HOUR_MS = 3_600_000;
const PURGE_LEASE = 'recordings-purge';
/** Renewed while a purge lasts; a killed instance's purge is resumed by another this long after. */
const PURGE_LEASE_MS = 5 * 60_000;

export interface RecordingsPurgeDeps {
  store: Pick<PortalStore, 'retention'>;
  jobs: JobRunner;
  /** Told of each purge, after it happened (the audit trail). */
  onPurged: (record: RetentionRecord) => void;
  intervalMs?: number;
}

/**
 * DEL-4: a deleted voice user's voicemails and recordings are kept while its retention record
 * exists; the portal reads that collection. Once the registration's retention period has ended
 * the record is removed, which is the purge, and audited. One instance at a time (the job
 * runner's lease), so each purge is audited once.
 */
export function createRecordingsPurge({ store, jobs, onPurged, intervalMs = HOUR_MS }: RecordingsPurgeDeps) {
  /** Purges what is due at `now`; 0 when another instance is purging. */
  async function purgeDue(now = new Date()): Promise<number> {
    const run = await jobs.exclusively(PURGE_LEASE, PURGE_LEASE_MS, async () => {
      const due = await store.retention.due(now.toISOString());
      for (const record of due) {
        await store.retention.remove(record.id);
        onPurged(record);
      }
      return due.length;
    });
    return run.ran ? run.value : 0;
  }

  return {
    purgeDue,
    start(): void {
      jobs.schedule(PURGE_LEASE, intervalMs, () => purgeDue());
    },
  };
}

export type RecordingsPurge = ReturnType<typeof createRecordingsPurge>;
