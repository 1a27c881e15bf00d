import type { AuditLog } from './audit-log.js';
import type { Logger } from '../log/logger.js';
import type { JobRunner } from '../jobs/job-runner.js';
import { createAuditRecorder, type AuditRecorder } from './recorder.js';
import { createRefusalLedger, type RefusalLedger } from './refusal-ledger.js';

export interface AuditingDeps {
  /** The trail, on the service's store connection. */
  auditLog: AuditLog;
  logger: Logger;
  /** Events older than this are purged once a day (the only deletion). Default 365. */
  retentionDays?: number;
  /** Runs the daily purge, one instance at a time. */
  jobs: JobRunner;
  /** Refusals per source address per minute before the next are answered 429. */
  maxRefusalsPerMinute?: number;
}

export interface Auditing {
  recorder: AuditRecorder;
  /** Counts and (within bounds) records requests refused before authentication (the SCIM listener's audit uses it). */
  refusals: RefusalLedger;
  /** Flushes every queued event, waiting at most `timeoutMs` for an unreachable store (the store's connection stays open). */
  close(timeoutMs?: number): Promise<void>;
}

const DAY_MS = 86_400_000;
const AUDIT_PURGE_LEASE = 'audit-purge';
/** Renewed while the purge lasts. */
const AUDIT_PURGE_LEASE_MS = 5 * 60_000;

/** Everything the audit trail adds to the service, opened on the service's database. */
export function startAuditing({ auditLog, logger, retentionDays = 365, maxRefusalsPerMinute, jobs }: AuditingDeps): Auditing {
  const recorder = createAuditRecorder({ log: auditLog, logger });
  const refusals = createRefusalLedger({ recorder, limits: maxRefusalsPerMinute ? { maxPerAddress: maxRefusalsPerMinute } : {} });
  // AUD-1's only deletion, one instance at a time; a purge cut short is finished by the next.
  jobs.schedule(AUDIT_PURGE_LEASE, DAY_MS, async () => {
    const run = await jobs.exclusively(AUDIT_PURGE_LEASE, AUDIT_PURGE_LEASE_MS, () => auditLog.purgeOlderThan(new Date(Date.now() - retentionDays * DAY_MS)));
    if (run.ran && run.value > 0) logger.info('audit retention purge', { purged: run.value, retentionDays });
  });
  return {
    recorder,
    refusals,
    async close(timeoutMs?: number) {
      refusals.close();
      await recorder.close(timeoutMs);
    },
  };
}
