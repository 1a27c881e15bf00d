import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { AppError } from '../kernel/app-error.js';
import type { Logger } from '../log/logger.js';
import { withLogContext } from '../log/log-context.js';
import type { LeaseCollection, LeaseHolder } from './lease-port.js';

/** The outcome of a lease-guarded run: its value, or who held the lease instead. */
export type Exclusive<T> = { ran: true; value: T } | { ran: false; heldBy: LeaseHolder | null };

export interface JobRunnerDeps {
  leases: LeaseCollection;
  logger: Logger;
}

export interface JobRunnerEvents {
  /** A run started under `lease`. */
  ran: [lease: string];
  /** A run of `lease` was refused because another holder has it. */
  refused: [lease: string, heldBy: LeaseHolder | null];
}

/**
 * The one lease-guarded runner for every background and on-demand job (batched reconcile, the
 * recordings and audit purges, on-demand reconcile). Rules:
 * - a run holds a lease named after what it works on, with a holder id of its own (so a second run
 *   in the same instance is refused like one in another instance);
 * - the lease is renewed every third of its time while the run lasts, so a long run keeps it and
 *   only a dead instance's lease expires; expiry is decided in the database's clock;
 * - a lease whose renewal finds it taken (the instance stalled past the expiry) aborts the run's
 *   signal; the lease is released when the run ends, however it ends;
 * - `stop()` stops every schedule and waits for the runs in flight (the shutdown drain).
 */
export function createJobRunner({ leases, logger }: JobRunnerDeps) {
  const instanceId = randomUUID();
  const events = new EventEmitter<JobRunnerEvents>();
  const inFlight = new Set<Promise<unknown>>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  function track<T>(run: Promise<T>): Promise<T> {
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run)).catch(() => undefined);
    return run;
  }

  function keepRenewed(lease: string, holder: string, ttlMs: number, lost: AbortController): NodeJS.Timeout {
    const renew = async () => {
      if (await leases.renew(lease, holder, ttlMs)) return;
      logger.warn('job lease lost while running; the run is told to stop', { event: 'job.lease_lost', lease });
      lost.abort(new Error(`lease ${lease} was lost`));
    };
    return setInterval(() => void renew().catch((error: unknown) => logger.warn('job lease renewal failed', { event: 'job.renew_failed', lease, error: (error as Error).message })), ttlMs / 3).unref();
  }

  /** Runs `work` only while holding `lease` (renewed as it runs); refused when another holder has it. */
  async function exclusively<T>(lease: string, ttlMs: number, work: (lost: AbortSignal) => Promise<T>): Promise<Exclusive<T>> {
    if (stopped) throw new AppError('service.stopping', 'This instance is shutting down; retry, another instance will answer', { status: 503 });
    const holder = `${instanceId}:${randomUUID()}`;
    if (!(await leases.acquire(lease, holder, ttlMs))) {
      const heldBy = await leases.current(lease);
      events.emit('refused', lease, heldBy);
      return { ran: false, heldBy };
    }
    events.emit('ran', lease);
    const lost = new AbortController();
    const renewal = keepRenewed(lease, holder, ttlMs, lost);
    const value = await track(
      (async () => {
        try {
          return await work(lost.signal);
        } finally {
          clearInterval(renewal);
          await leases.release(lease, holder).catch((error: unknown) => logger.warn('job lease release failed; it expires instead', { event: 'job.release_failed', lease, error: (error as Error).message }));
        }
      })(),
    );
    return { ran: true, value };
  }

  /**
   * Calls `tick` now (unless `delayFirst`) and then every `intervalMs` after the previous tick
   * ended, so ticks never overlap; a failing tick is logged and the schedule goes on.
   */
  function schedule(name: string, intervalMs: number, tick: () => Promise<unknown>, { delayFirst = false } = {}): void {
    const next = (delay: number) => {
      if (stopped) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        // Each tick's log lines carry the job and a run id.
        void track(withLogContext({ job: name, runId: randomUUID() }, tick))
          .catch((error: unknown) => logger.error('scheduled job failed', { event: 'job.failed', job: name, error: (error as Error).message }))
          .finally(() => next(intervalMs));
      }, delay).unref();
      timers.add(timer);
    };
    next(delayFirst ? intervalMs : 0);
  }

  return {
    instanceId,
    events,
    exclusively,
    schedule,
    /** Stops every schedule, refuses new runs and waits for the runs in flight to end. */
    async stop(): Promise<void> {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;
