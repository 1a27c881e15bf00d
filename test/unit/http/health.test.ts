import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createReadiness } from '../../../src/http/health.js';
import { openPersistence as openStore } from '../../../src/main.js';
import { useEmbeddedStore } from '../../support/embedded-store.js';

describe('readiness (/readyz)', () => {
  const store = useEmbeddedStore('readiness');
  const tempDirs: string[] = [];
  afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('is ready while the store answers, a valid certificate is loaded and the service is not draining', async () => {
    const readiness = createReadiness({ pingStore: () => store().ping(), tlsLoaded: () => true, draining: () => false });
    expect(await readiness.check()).toEqual({ ready: true, checks: { draining: 'ok', tls: 'ok', store: 'ok' } });
  });

  it('says which check failed: draining after SIGTERM, no valid certificate', async () => {
    let draining = false;
    const readiness = createReadiness({ pingStore: () => store().ping(), tlsLoaded: () => false, draining: () => draining });
    expect(await readiness.check()).toEqual({ ready: false, checks: { draining: 'ok', tls: 'no valid server certificate loaded', store: 'ok' } });
    draining = true;
    expect((await readiness.check()).checks.draining).toBe('shutting down');
  });

  it('an unreachable store is not ready; the ping is timed for the DB round-trip metric', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'readiness-closed-'));
    tempDirs.push(dir);
    const closed = await openStore({ kind: 'sqlite', file: path.join(dir, 'closed.db') });
    await closed.close();
    const timed: { seconds: number; ok: boolean }[] = [];
    const readiness = createReadiness({ pingStore: () => closed.ping(), tlsLoaded: () => true, draining: () => false, onPing: (seconds, ok) => timed.push({ seconds, ok }) });
    expect(await readiness.check()).toEqual({ ready: false, checks: { draining: 'ok', tls: 'ok', store: 'database unreachable' } });
    expect(timed).toEqual([{ seconds: expect.any(Number), ok: false }]);
  });

  it('probes polled many times a second share one store round trip per cache period', async () => {
    let pings = 0;
    const readiness = createReadiness({ pingStore: () => (pings++, store().ping()), tlsLoaded: () => true, draining: () => false }, 60_000);
    await Promise.all(Array.from({ length: 20 }, () => readiness.check()));
    expect(pings).toBe(1);
    const fresh = createReadiness({ pingStore: () => (pings++, store().ping()), tlsLoaded: () => true, draining: () => false }, 0);
    await fresh.check();
    await fresh.check();
    expect(pings).toBe(3);
  });
});
