import express, { type Router } from 'express';

export interface ReadinessChecks {
  /** Round trip to the store (its `ping`); rejects when the database cannot be reached. */
  pingStore(): Promise<void>;
  /** The listeners hold a certificate that is in force. */
  tlsLoaded(): boolean;
  /** True from the moment shutdown starts. */
  draining(): boolean;
  /** Told how long each store ping took (seconds), for the DB round-trip metric. */
  onPing?(seconds: number, ok: boolean): void;
}

export interface Readiness {
  check(): Promise<{ ready: boolean; checks: Record<'store' | 'tls' | 'draining', string> }>;
  /** A fresh (or at most `cacheMs` old) store ping, shared by probes and metrics. */
  pingStore(): Promise<boolean>;
}

/**
 * What `/readyz` answers. The store ping is shared for `cacheMs` (one round trip a second at most,
 * however many probes and listeners ask), so polling every second costs nothing noticeable.
 */
export function createReadiness({ pingStore, tlsLoaded, draining, onPing }: ReadinessChecks, cacheMs = 1000): Readiness {
  let last: { at: number; result: Promise<boolean> } | undefined;
  const ping = (): Promise<boolean> => {
    if (last && Date.now() - last.at < cacheMs) return last.result;
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const result = pingStore().then(
      () => (onPing?.(seconds(), true), true),
      () => (onPing?.(seconds(), false), false),
    );
    last = { at: Date.now(), result };
    return result;
  };
  return {
    pingStore: ping,
    async check() {
      const checks = {
        draining: draining() ? 'shutting down' : 'ok',
        tls: tlsLoaded() ? 'ok' : 'no valid server certificate loaded',
        store: (await ping()) ? 'ok' : 'database unreachable',
      };
      return { ready: Object.values(checks).every((value) => value === 'ok'), checks };
    },
  };
}

/**
 * `GET /healthz` (the process answers) and `GET /readyz` (it can serve: 200, else 503 naming the
 * failed check). Mounted first on both listeners, before correlation ids, request logs, the
 * audit trail and authentication: probes are neither logged, audited nor asked for credentials.
 */
export function createHealthRouter(readiness: Readiness): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const { ready, checks } = await readiness.check();
    res.set('Cache-Control', 'no-store').status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  return router;
}
