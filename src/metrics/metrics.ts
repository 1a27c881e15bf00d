import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { routeTemplateOf } from '../http/route-template.js';
import type { ReconcileObserver } from '../reconcile/reconcile-service.js';

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
/** Request latency buckets (seconds): SCIM calls are milliseconds; a just-in-time write for a big group can take seconds. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const PING_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

export type Listener = 'scim' | 'admin';

/**
 * The Prometheus registry of the service and the metrics every part shares. Features add their
 * own collectors to `registry` (e.g. `new Gauge({ name, help, registers: [metrics.registry], collect })`);
 * `main.ts` creates one and hands it to `startService`.
 */
export function createMetrics() {
  const registry = new Registry();
  // Process metrics, including event-loop lag (nodejs_eventloop_lag_*) and GC.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const httpRequests = new Counter({
    name: 'scim_http_requests_total',
    help: 'HTTP requests answered, by listener, route template, method, status and registration (none when not authenticated)',
    labelNames: ['listener', 'route', 'method', 'status', 'registration'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: 'scim_http_request_duration_seconds',
    help: 'Time from request to response, by listener, route template and method',
    labelNames: ['listener', 'route', 'method'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const authRefusals = new Counter({ name: 'scim_auth_refusals_total', help: 'SCIM credentials refused, by reason', labelNames: ['reason'] as const, registers });
  const reconcileRuns = new Counter({ name: 'scim_reconcile_runs_total', help: 'Reconcile runs applied, by trigger and outcome (completed, stopped)', labelNames: ['trigger', 'outcome'] as const, registers });
  const reconcileRows = new Counter({ name: 'scim_reconcile_rows_total', help: 'Voice-user changes applied by reconcile runs, by rule id', labelNames: ['rule'] as const, registers });
  const reconcileErrors = new Counter({ name: 'scim_reconcile_errors_total', help: 'Per-user reconcile errors (SYNC-5), by rule id', labelNames: ['rule'] as const, registers });
  const storePing = new Histogram({ name: 'scim_store_ping_seconds', help: 'Round trip of a ping to the database (readiness probes and scrapes; at most one a second)', labelNames: ['outcome'] as const, buckets: PING_BUCKETS, registers });

  /** Counts and times every request of a listener once its response is done (mount first). */
  function httpMetrics(listener: Listener) {
    return (req: Request, res: Response, next: NextFunction): void => {
      const stopTimer = httpDuration.startTimer();
      res.once('close', () => {
        const route = routeTemplateOf(req, res);
        const method = METHODS.has(req.method) ? req.method : 'other';
        const registration = (res.locals.caller?.registration?.id as string | undefined) ?? 'none';
        httpRequests.inc({ listener, route, method, status: String(res.statusCode), registration });
        stopTimer({ listener, route, method });
      });
      next();
    };
  }

  const reconcileObserver: ReconcileObserver = {
    voiceUserChanged: (_registrationId, _change, rule) => reconcileRows.inc({ rule }),
    userFailed: (_registrationId, error) => reconcileErrors.inc({ rule: error.rule }),
    runFinished: (report) => {
      if (!report.dryRun) reconcileRuns.inc({ trigger: report.trigger, outcome: report.stopped ? 'stopped' : 'completed' });
    },
  };

  return {
    registry,
    httpMetrics,
    authRefused: (reason: string) => authRefusals.inc({ reason }),
    reconcileObserver,
    storePinged: (seconds: number, ok: boolean) => storePing.observe({ outcome: ok ? 'ok' : 'failed' }, seconds),
    /** A gauge computed at scrape time by `read` (one value per label set it returns). */
    gaugeAtScrape<L extends string>(name: string, help: string, labelNames: readonly L[], read: () => Promise<{ labels: Record<L, string>; value: number }[]>) {
      return new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          this.reset();
          for (const { labels, value } of await read()) this.set(labels as Partial<Record<L, string>>, value);
        },
      });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
