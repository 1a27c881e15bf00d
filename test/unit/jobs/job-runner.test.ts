import { describe, expect, it } from 'vitest';
import winston from 'winston';
import { createJobRunner } from '../../../src/jobs/job-runner.js';
import type { SqliteStore } from '../../../src/persistence/sqlite/sqlite-store.js';
import type { AppError } from '../../../src/kernel/app-error.js';
import { useEmbeddedStore } from '../../support/embedded-store.js';
import { createManualClock } from '../../support/manual-clock.js';

const logger = winston.createLogger({ silent: true });

/** Polls `condition` every 20 ms; fails after `withinMs`. */
async function until(condition: () => Promise<boolean> | boolean, withinMs = 5000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('SYNC-3 the lease-guarded job runner (embedded store)', () => {
  const store = useEmbeddedStore('jobs');

  it('SYNC-3 a run outlasting its lease time keeps the lease by renewal; a second run, here or elsewhere, is refused and told who holds it', async () => {
    const [here, elsewhere] = [createJobRunner({ leases: store().leases, logger }), createJobRunner({ leases: store().leases, logger })];
    const release = deferred();
    const running = here.exclusively('job:long', 900, () => release.promise.then(() => 'done'));
    await until(async () => (await store().leases.current('job:long')) !== null);
    const first = (await store().leases.current('job:long'))!;
    await until(() => Date.now() > Date.parse(first.expiresAt) + 100);
    for (const runner of [elsewhere, here]) {
      const refused = await runner.exclusively('job:long', 900, async () => 'overlapped');
      expect(refused).toEqual({ ran: false, heldBy: expect.objectContaining({ holder: first.holder, acquiredAt: first.acquiredAt }) });
    }
    release.resolve();
    expect(await running).toEqual({ ran: true, value: 'done' });
    expect(await store().leases.current('job:long')).toBeNull();
    expect(await elsewhere.exclusively('job:long', 900, async () => 'next')).toEqual({ ran: true, value: 'next' });
  });

  it('SYNC-3 a run whose lease was taken over (its instance stalled past the expiry) is told to stop at its next renewal', async () => {
    const clock = createManualClock();
    const runner = createJobRunner({ leases: store().leases, logger, clock });
    const outcome = runner.exclusively('job:stalled', 60_000, (lost) => new Promise<string>((resolve) => lost.addEventListener('abort', () => resolve(String(lost.reason)))));
    await until(async () => (await store().leases.current('job:stalled')) !== null);
    (store() as SqliteStore).db.prepare("UPDATE leases SET holder = 'another-instance' WHERE name = 'job:stalled'").run();
    await clock.advance(19_999);
    expect((await store().leases.current('job:stalled'))?.holder).toBe('another-instance');
    // A third of the lease time after it was taken, the renewal finds it gone.
    await clock.advance(1);
    expect(await outcome).toEqual({ ran: true, value: 'Error: lease job:stalled was lost' });
    expect((await store().leases.current('job:stalled'))?.holder).toBe('another-instance');
  });

  it('stop() waits for the run in flight, stops the schedules and refuses new runs (503)', async () => {
    const runner = createJobRunner({ leases: store().leases, logger });
    const release = deferred();
    let ticks = 0;
    runner.schedule('ticker', 60_000, async () => void ticks++);
    await until(() => ticks === 1);
    const running = runner.exclusively('job:drain', 60_000, () => release.promise);
    await until(async () => (await store().leases.current('job:drain')) !== null);
    let stopped = false;
    const stopping = runner.stop().then(() => (stopped = true));
    await expect(runner.exclusively('job:other', 60_000, async () => undefined)).rejects.toMatchObject({ code: 'service.stopping', status: 503 } satisfies Partial<AppError>);
    expect(stopped).toBe(false);
    release.resolve();
    await stopping;
    expect((await running).ran).toBe(true);
    expect(await store().leases.current('job:drain')).toBeNull();
  });
});

describe('the job runner’s schedules and periods (embedded store, a clock the test moves)', () => {
  const store = useEmbeddedStore('schedules');

  it('ticks come intervalMs after the previous tick ended and never overlap; runNow during a tick makes exactly one more tick after it', async () => {
    const clock = createManualClock();
    const runner = createJobRunner({ leases: store().leases, logger, clock });
    const ticks: number[] = [];
    let release = deferred();
    const schedule = runner.schedule('ticker', 1_000, async () => {
      ticks.push(clock.now());
      await release.promise;
    }, { delayFirst: true });
    const started = clock.now();
    await clock.advance(999);
    expect(ticks).toEqual([]);
    await clock.advance(1);
    expect(ticks).toEqual([started + 1_000]);
    // The tick is still running: neither time nor runNow starts another meanwhile.
    schedule.runNow();
    schedule.runNow();
    await clock.advance(5_000);
    expect(ticks).toHaveLength(1);
    const first = release;
    release = deferred();
    first.resolve();
    await until(() => ticks.length === 2);
    expect(ticks[1]).toBe(started + 6_000);
    release.resolve();
    await until(() => clock.pending === 1);
    await clock.advance(1_000);
    expect(ticks).toEqual([started + 1_000, started + 6_000, started + 7_000]);
    await runner.stop();
    await clock.advance(10_000);
    expect(ticks).toHaveLength(3);
  });

  it('a failing tick is logged and the schedule goes on', async () => {
    const clock = createManualClock();
    const runner = createJobRunner({ leases: store().leases, logger, clock });
    let ticks = 0;
    runner.schedule('failing', 1_000, async () => {
      ticks++;
      throw new Error('tick failed');
    });
    await until(() => ticks === 1 && clock.pending === 1);
    await clock.advance(1_000);
    await until(() => ticks === 2);
    await runner.stop();
  });

  it('SYNC-3 a period is owned by the first claim, here or in another instance, until it expires in the database’s clock', async () => {
    const [here, elsewhere] = [createJobRunner({ leases: store().leases, logger }), createJobRunner({ leases: store().leases, logger })];
    expect(await here.claimPeriod('batch-slot:reg', 60_000)).toBe(true);
    expect(await here.claimPeriod('batch-slot:reg', 60_000)).toBe(false);
    expect(await elsewhere.claimPeriod('batch-slot:reg', 60_000)).toBe(false);
    // A period already over when claimed (as one whose time has passed): the next claim owns the next period.
    expect(await here.claimPeriod('batch-slot:short', -1)).toBe(true);
    expect(await elsewhere.claimPeriod('batch-slot:short', 60_000)).toBe(true);
  });

  it('a finished event follows every run, after its lease is released', async () => {
    const runner = createJobRunner({ leases: store().leases, logger });
    const finished: { lease: string; heldAfter: unknown }[] = [];
    const seen = new Promise<void>((resolve) =>
      runner.events.on('finished', (lease) => {
        void store().leases.current(lease).then((heldAfter) => {
          finished.push({ lease, heldAfter });
          resolve();
        });
      }),
    );
    await expect(runner.exclusively('job:failing', 60_000, async () => Promise.reject(new Error('the work failed')))).rejects.toThrow('the work failed');
    await seen;
    expect(finished).toEqual([{ lease: 'job:failing', heldAfter: null }]);
  });
});
