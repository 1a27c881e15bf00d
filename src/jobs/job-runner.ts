import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { AppError } from '../kernel/app-error.js';
import type { Logger } from '../log/logger.js';
import { withLogContext } from '../log/log-context.js';
import type { LeaseCollection, LeaseHolder } from './lease-port.js';
import { systemClock, type Clock } from '../kernel/clock.js';

/** The outcome of a lease-guarded run: its value, or who held the lease instead. */
export type Exclusive<T> = { ran: true; value: T } | { ran: false; heldBy: LeaseHolder | null };

export interface JobRunnerDeps {
  leases: LeaseCollection;
  logger: Logger;
  /** When schedules tick and leases are renewed (a test moves its own). */
  clock?: Clock;
}

export interface JobRunnerEvents {
  /** A run started under `lease`. */
  ran: [lease: string];
  /** A run of `lease` was refused because another holder has it. */
  refused: [lease: string, heldBy: LeaseHolder | null];
  /** A run under `lease` ended (its lease released), however it ended. */
  finished: [lease: string];
}

/** A started schedule: `runNow` ticks at once (after the tick in progress, if any; repeated calls meanwhile make one tick). */
export interface Schedule {
  runNow(): void;
}

/**
 * The one lease-guarded runner for every background and on-demand job (batched reconcile and its
 * period slots, the recordings and audit purges, the write-back drain, on-demand reconcile). Rules:
 * - a run holds a lease named after what it works on, with a holder id of its own (so a second run
 *   in the same instance is refused like one in another instance);
 * - the lease is renewed every third of its time while the run lasts, so a long run keeps it and
 *   only a dead instance's lease expires; expiry is decided in the database's clock;
 * - a lease whose renewal finds it taken (the instance stalled past the expiry) aborts the run's
 *   signal; the lease is released when the run ends, however it ends;
 * - `stop()` stops every schedule and waits for the runs in flight (the shutdown drain).
 */
export function createJobRunner({ leases, logger, clock = systemClock }: JobRunnerDeps) {
  const instanceId = randomUUID();
  const events = new EventEmitter<JobRunnerEvents>();
  const inFlight = new Set<Promise<unknown>>();
  const timers = new Set<() => void>();
  let stopped = false;

  /** A timer stop() cancels; it forgets itself once fired. */
  function after(ms: number, fire: () => void): () => void {
    const cancel = clock.setTimer(() => {
      timers.delete(cancel);
      fire();
    }, ms);
    timers.add(cancel);
    return () => {
      timers.delete(cancel);
      cancel();
    };
  }

  function track<T>(run: Promise<T>): Promise<T> {
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run)).catch(() => undefined);
    return run;
  }

  /** Renews every third of `ttlMs` until the answer is called; a renewal finding the lease taken aborts `lost`. */
  function keepRenewed(lease: string, holder: string, ttlMs: number, lost: AbortController): () => void {
    let cancel = () => {};
    let running = true;
    const renew = async () => {
      if (await leases.renew(lease, holder, ttlMs)) return;
      logger.warn('job lease lost while running; the run is told to stop', { event: 'job.lease_lost', lease });
      lost.abort(new Error(`lease ${lease} was lost`));
    };
    const next = () => {
      cancel = after(ttlMs / 3, () => {
        void renew()
          .catch((error: unknown) => logger.warn('job lease renewal failed', { event: 'job.renew_failed', lease, error: (error as Error).message }))
          .finally(() => running && !lost.signal.aborted && next());
      });
    };
    next();
    return () => {
      running = false;
      cancel();
    };
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
    const stopRenewing = keepRenewed(lease, holder, ttlMs, lost);
    const value = await track(
      (async () => {
        try {
          return await work(lost.signal);
        } finally {
          stopRenewing();
          await leases.release(lease, holder).catch((error: unknown) => logger.warn('job lease release failed; it expires instead', { event: 'job.release_failed', lease, error: (error as Error).message }));
          events.emit('finished', lease);
        }
      })(),
    );
    return { ran: true, value };
  }

  /**
   * True when this call owns the period `name` (e.g. one batched run per interval): a lease taken
   * with a fresh holder id, never renewed nor released, so whoever takes it first owns the period
   * and the next owner is only found once it has expired, in the database's clock.
   */
  function claimPeriod(name: string, periodMs: number): Promise<boolean> {
    return leases.acquire(name, `${instanceId}:${randomUUID()}`, periodMs);
  }

  /**
   * Calls `tick` now (unless `delayFirst`) and then every `intervalMs` after the previous tick
   * ended, so ticks never overlap; a failing tick is logged and the schedule goes on.
   */
  function schedule(name: string, intervalMs: number, tick: () => Promise<unknown>, { delayFirst = false } = {}): Schedule {
    let cancelNext = () => {};
    let ticking = false;
    let again = false;
    const runTick = () => {
      if (stopped) return;
      cancelNext();
      ticking = true;
      // Each tick's log lines carry the job and a run id.
      void track(withLogContext({ job: name, runId: randomUUID() }, tick))
        .catch((error: unknown) => logger.error('scheduled job failed', { event: 'job.failed', job: name, error: (error as Error).message }))
        .finally(() => {
          ticking = false;
          if (again) {
            again = false;
            runTick();
          } else if (!stopped) cancelNext = after(intervalMs, runTick);
        });
    };
    if (delayFirst) cancelNext = after(intervalMs, runTick);
    else runTick();
    return {
      runNow() {
        if (ticking) again = true;
        else runTick();
      },
    };
  }

  return {
    events,
    exclusively,
    claimPeriod,
    schedule,
    /** Stops every schedule, refuses new runs and waits for the runs in flight to end. */
    async stop(): Promise<void> {
      stopped = true;
      for (const cancel of [...timers]) cancel();
      timers.clear();
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;
