import { AppError } from '../kernel/app-error.js';
import type { ReconcileService } from '../reconcile/reconcile-service.js';
import type { JobRunner } from './job-runner.js';

/** The run lease of a registration: one reconcile at a time, batched or on demand, on any instance. */
export const reconcileLeaseName = (registrationId: string) => `reconcile:${registrationId}`;

function alreadyRunning(registrationName: string, startedAt?: string): AppError {
  const since = startedAt ? ` (started ${startedAt})` : '';
  return new AppError('reconcile.already_running', `a reconcile of ${registrationName} is already running${since}; wait for it to finish, then start another`, { status: 409 });
}

export interface ExclusiveReconcileDeps {
  reconcile: ReconcileService;
  jobs: JobRunner;
  /** Renewed every third of it while a run lasts: a killed instance's run is taken over this long after. */
  leaseMs: number;
  /** For the message: the registration's name. */
  nameOf(registrationId: string): Promise<string>;
}

/**
 * SYNC-3 for every trigger: a reconcile that writes (batched, or on demand from the admin API,
 * the CLI or the console) runs under the registration's run lease, so two never overlap on one
 * database; the second is refused with `reconcile.already_running` (409). A dry run writes nothing and
 * takes no lease.
 */
export function exclusiveReconcile({ reconcile, jobs, leaseMs, nameOf }: ExclusiveReconcileDeps): ReconcileService {
  const reconcileRegistration: ReconcileService['reconcileRegistration'] = async (registrationId, options) => {
    if (options.dryRun) return reconcile.reconcileRegistration(registrationId, options);
    const run = await jobs.exclusively(reconcileLeaseName(registrationId), leaseMs, () => reconcile.reconcileRegistration(registrationId, options));
    if (run.ran) return run.value;
    throw alreadyRunning(await nameOf(registrationId), run.heldBy?.acquiredAt);
  };
  return { ...reconcile, reconcileRegistration };
}
