import type { JobRunner } from '../jobs/job-runner.js';
import { isAppError } from '../kernel/app-error.js';
import type { Logger } from '../log/logger.js';

export interface BatchedRegistration {
  id: string;
  intervalMs: number;
}

export interface BatchSchedulerDeps {
  jobs: JobRunner;
  /** The registrations in batched mode right now (re-read on every tick, so changes apply without restart). */
  batchedRegistrations(): Promise<BatchedRegistration[]>;
  /** A reconcile under the registration's run lease (see jobs/reconcile-runs.ts). */
  reconcile(registrationId: string): Promise<void>;
  logger: Logger;
  tickMs: number;
}

const slotLeaseName = (registrationId: string) => `batch-slot:${registrationId}`;

/**
 * SYNC-3 with several instances on one database, both leases through the job runner: the period
 * *slot* of a registration (whoever claims it owns this interval's run; see `claimPeriod`) and the
 * *run* lease every writing reconcile takes, batched or on demand (renewed while the run lasts; a
 * killed holder's lease expires and another takes over).
 */
export function createBatchScheduler({ jobs, batchedRegistrations, reconcile, logger, tickMs }: BatchSchedulerDeps) {
  async function runIfDue(registration: BatchedRegistration): Promise<void> {
    if (!(await jobs.claimPeriod(slotLeaseName(registration.id), registration.intervalMs))) return;
    try {
      await reconcile(registration.id);
    } catch (error) {
      if (isAppError(error, 'reconcile.already_running')) logger.info('batched reconciliation skipped: a run is in progress', { event: 'reconcile.batch_skipped', registrationId: registration.id });
      else logger.error('batched reconciliation failed', { registrationId: registration.id, error: (error as Error).message });
    }
  }

  return {
    start(): void {
      jobs.schedule('batch-scheduler', tickMs, async () => {
        for (const registration of await batchedRegistrations()) await runIfDue(registration);
      }, { delayFirst: true });
    },
  };
}
