import type { NextFunction, Request, Response } from 'express';
import { toScimError, toScimErrorBody } from '../scim/to-scim-error.js';
import type { Logger } from '../log/logger.js';
import { correlationIdOf } from './request-context.js';
import { fromRequestError } from './request-errors.js';
import { scimAudit } from './audit-context.js';
import { isAppError } from '../kernel/app-error.js';

/** Seconds a client should wait before retrying when the database is unreachable. */
const RETRY_AFTER_SECONDS = 30;

/** Writes every error of the SCIM API as a SCIM Error body (RFC 7644 §3.12), mapped by `toScimError`. */
export function createScimErrorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(error);
    const failure = fromRequestError(error);
    const answer = toScimError(failure, { ifMatch: req.get('If-Match') });
    if (answer.status === 503 && !res.get('Retry-After')) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    // 501 is the declared answer for what is not supported (Bulk), not a failure.
    if (answer.status >= 500 && answer.status !== 501) {
      logger.error('request failed', { correlationId: correlationIdOf(res), method: req.method, path: req.path, error: describe(error) });
    }
    const body = toScimErrorBody(answer);
    scimAudit(res).answeredError({ scimType: answer.scimType, detail: body.detail as string, code: isAppError(failure) ? failure.code : undefined });
    res.status(answer.status).type('application/scim+json').send(JSON.stringify(body));
  };
}

function describe(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { value: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, ...(typeof code === 'string' ? { code } : {}), message: error.message, stack: error.stack };
}
