import { randomUUID } from 'node:crypto';
import type { LeaseCollection } from '../store/store.js';
import type { Logger } from '../log/logger.js';

export interface BatchedRegistration {
  id: string;
  intervalMs: number;
}

export interface BatchSchedulerDeps {
  leases: LeaseCollection;
  /** The registrations in batched mode right now (re-read on every tick, so changes apply without restart). */
  batchedRegistrations(): Promise<BatchedRegistration[]>;
  reconcile(registrationId: string): Promise<void>;
  logger: Logger;
  tickMs: number;
  /** How long a run may hold the registration before another instance may take over (crash safety). */
  runLeaseMs: number;
}

export const runLeaseName = (registrationId: string) => `reconcile:${registrationId}`;
const slotLeaseName = (registrationId: string) => `batch-slot:${registrationId}`;

/**
 * SYNC-3 with several instances on one database. Two leases per registration, both single
 * documents: a *slot* lease held for the interval (whoever takes it owns this period's run;
 * it is taken with a fresh holder id, so it is only won once it has expired) and a *run*
 * lease held while reconciling (so a slow run is never overlapped; a crashed holder's lease
 * simply expires and another instance takes over).
 */
export function createBatchScheduler({ leases, batchedRegistrations, reconcile, logger, tickMs, runLeaseMs }: BatchSchedulerDeps) {
  const instanceId = randomUUID();
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> = Promise.resolve();

  async function tick(): Promise<void> {
    for (const registration of await batchedRegistrations()) {
      if (!(await leases.acquire(slotLeaseName(registration.id), `${instanceId}:${randomUUID()}`, registration.intervalMs))) continue;
      await runExclusively(leases, registration.id, instanceId, runLeaseMs, () => reconcile(registration.id)).catch((error: unknown) => {
        logger.error('batched reconciliation failed', { registrationId: registration.id, error: (error as Error).message });
      });
    }
  }

  return {
    instanceId,
    start(): void {
      timer = setInterval(() => {
        ticking = ticking.then(tick).catch((error: unknown) => {
          logger.error('batch scheduler tick failed', { error: (error as Error).message });
        });
      }, tickMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await ticking;
    },
  };
}

/** Runs `work` only if this holder gets the registration's run lease; returns false when another holds it. */
export async function runExclusively(leases: LeaseCollection, registrationId: string, holder: string, ttlMs: number, work: () => Promise<void>): Promise<boolean> {
  if (!(await leases.acquire(runLeaseName(registrationId), holder, ttlMs))) return false;
  try {
    await work();
    return true;
  } finally {
    await leases.release(runLeaseName(registrationId), holder);
  }
}
