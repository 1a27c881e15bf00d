import express, { type Router } from 'express';
import { requireAdminToken } from '../http/admin-auth.js';
import type { Metrics } from './metrics.js';

/** `GET /metrics` (Prometheus text format) for the admin listener: the admin token, or METRICS_TOKEN when set. */
export function createMetricsRouter(metrics: Metrics, { adminToken, metricsToken }: { adminToken: string; metricsToken?: string }): Router {
  const router = express.Router();
  router.get('/metrics', requireAdminToken(adminToken, metricsToken ? { token: metricsToken, setting: 'METRICS_TOKEN' } : undefined), async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
