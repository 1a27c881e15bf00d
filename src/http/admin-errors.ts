import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log/logger.js';
import { correlationIdOf } from './request-context.js';
import { entryForCode, isAppError, type AppError } from '../kernel/app-error.js';
import { fromRequestError } from './request-errors.js';

/** The admin API's error body (less the correlation id): a stable dotted code, a message for a person, an HTTP status. */
interface AdminAnswer {
  code: string;
  message: string;
  status: number;
}

const INTERNAL: AdminAnswer = { code: 'internal', message: 'Internal error; quote the correlation id when reporting it', status: 500 };

const unreadable = (status: number): AdminAnswer => ({ code: 'request.unreadable', message: `The request cannot be read (HTTP ${status})`, status });

/**
 * The codes the admin API words its own way. Every other AppError below 500 is answered with its
 * own code, message and status; one of 500 or more only when listed here (a 503 asking to retry),
 * else as a bare `internal`. The store's facts are for the services to turn into refusals: one
 * that reaches this far is a bug, except an outage.
 */
const ADMIN_ANSWERS: Readonly<Record<string, (error: AppError) => AdminAnswer>> = {
  'store.unavailable': () => ({ code: 'store.unavailable', message: 'The database is unavailable; retry later', status: 503 }),
  store: () => INTERNAL,
  'service.stopping': (error) => ({ code: error.code, message: error.message, status: 503 }),
  'request.charset': (error) => unreadable(error.status),
  'request.aborted': (error) => unreadable(error.status),
};

export function toAdminAnswer(error: unknown): AdminAnswer {
  const known = fromRequestError(error);
  if (!isAppError(known)) return INTERNAL;
  const worded = entryForCode(ADMIN_ANSWERS, known.code);
  if (worded) return worded(known);
  return known.status < 500 ? { code: known.code, message: known.message, status: known.status } : INTERNAL;
}

export function createAdminErrorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    const answer = toAdminAnswer(error);
    if (answer.status >= 500) logger.error('admin request failed', { correlationId: correlationIdOf(res), path: req.path, error: (error as Error)?.message, errorName: (error as Error)?.name, errorCode: isAppError(error) ? error.code : undefined });
    const body = { code: answer.code, message: answer.message, correlationId: correlationIdOf(res) };
    if (!res.headersSent) res.status(answer.status).json(body);
    // A streamed answer (reconcile progress) has sent its status already: the error is its last line.
    else if (String(res.getHeader('content-type')).startsWith('application/x-ndjson')) res.end(`${JSON.stringify({ error: body })}\n`);
    else next(error);
  };
}
