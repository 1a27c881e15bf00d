import { describe, expect, it } from 'vitest';
import winston from 'winston';
import { createJobRunner } from '../../../src/jobs/job-runner.js';
import type { SqliteStore } from '../../../src/persistence/sqlite/sqlite-store.js';
import type { AppError } from '../../../src/kernel/app-error.js';
import { useEmbeddedStore } from '../../support/embedded-store.js';

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

  it('SYNC-3 a run whose lease was taken over (its instance stalled past the expiry) is told to stop', async () => {
    const runner = createJobRunner({ leases: store().leases, logger });
    const outcome = runner.exclusively('job:stalled', 300, (lost) => new Promise<string>((resolve) => lost.addEventListener('abort', () => resolve(String(lost.reason)))));
    await until(async () => (await store().leases.current('job:stalled')) !== null);
    (store() as SqliteStore).db.prepare("UPDATE leases SET holder = 'another-instance' WHERE name = 'job:stalled'").run();
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
