import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';

/** Fields added to every log line written while a request or a background job runs. */
export interface LogContext {
  correlationId?: string;
  /** A background job's name and the id of this run of it. */
  job?: string;
  runId?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}

/** Runs `work` with `context` on every log line it writes (a background job's run). */
export function withLogContext<T>(context: LogContext, work: () => T): T {
  return storage.run(context, work);
}

/**
 * Express middleware: the request's correlation id (set by `correlationId` before it) on every
 * log line of the request. Mount it again after a body parser: stream callbacks run in the
 * socket's async context, not the request's.
 */
export function requestLogContext(_req: Request, res: Response, next: NextFunction): void {
  storage.run({ correlationId: res.locals.correlationId as string }, next);
}
