import type { Express, RequestHandler, Router } from 'express';
import type { Logger } from '../log/logger.js';
import { requestLogContext } from '../log/log-context.js';
import { logRequests } from '../log/request-log.js';
import { correlationId } from './request-context.js';

/** What operations add to a listener. */
export interface ListenerOperations {
  /** `/healthz` and `/readyz`: mounted first, so probes are not logged, audited, counted or authenticated. */
  health?: Router;
  /** Counts and times every request. */
  metrics?: RequestHandler;
  /** Lets shutdown wait for the responses in progress. */
  inFlight?: RequestHandler;
  /** Level of the one line per request (REQUEST_LOG_LEVEL); default `info`. */
  requestLogLevel?: string;
}

/**
 * The first middleware of both listeners: probes, then shutdown tracking and metrics, then the
 * correlation id (with the log context that puts it on every line) and the request log line.
 */
export function useListenerOperations(app: Express, logger: Logger, listener: 'scim' | 'admin', operations: ListenerOperations): void {
  for (const handler of [operations.health, operations.inFlight, operations.metrics]) if (handler) app.use(handler);
  app.use(correlationId, requestLogContext);
  app.use(logRequests(logger, operations.requestLogLevel ?? 'info', listener));
}
