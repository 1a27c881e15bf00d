import type { NextFunction, Request, Response } from 'express';
import { isScimError, scimError, toScimErrorBody, type ScimError } from '../scim/errors.js';
import { ConflictError, NotFoundError, StoreUnavailableError, VersionConflictError } from '../kernel/store-errors.js';
import type { Logger } from '../log/logger.js';
import { correlationIdOf } from './request-context.js';

/** Seconds a client should wait before retrying when the database is unreachable. */
const RETRY_AFTER_SECONDS = 30;

interface HttpParserError {
  type?: string;
  status?: number;
  limit?: number;
  /** http-errors marks the errors whose status and message are meant for the client. */
  expose?: boolean;
}

/** Maps every error once, at the edge, into a SCIM Error body (RFC 7644 §3.12). */
export function createScimErrorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(error);
    const scim = toScimError(error);
    if (scim.status === 503 && !res.get('Retry-After')) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    // 501 is the declared answer for what is not supported (Bulk), not a failure.
    if (scim.status >= 500 && scim.status !== 501) {
      logger.error('request failed', { correlationId: correlationIdOf(res), method: req.method, path: req.path, error: describe(error) });
    }
    res.status(scim.status).type('application/scim+json').send(JSON.stringify(toScimErrorBody(scim)));
  };
}

export function toScimError(error: unknown): ScimError {
  if (isScimError(error)) return error;
  if (error instanceof StoreUnavailableError) {
    // Only say "nothing was changed" when that is known: a write that timed out may have been applied.
    return error.mayHaveBeenApplied
      ? scimError(503, undefined, 'The directory database became unavailable while this request was applied; the change may already be saved. Retry later.')
      : scimError(503, undefined, 'The directory database is unavailable; nothing was changed. Retry later.');
  }
  if (error instanceof ConflictError) return scimError(409, 'uniqueness', `${error.field} is already taken`);
  if (error instanceof VersionConflictError) return scimError(412, undefined, 'The resource changed while this request was applied; retry');
  if (error instanceof NotFoundError) return scimError(404, undefined, 'Resource not found');
  const parserError = error as HttpParserError;
  switch (parserError?.type) {
    case 'entity.parse.failed':
      return scimError(400, 'invalidSyntax', 'The request body is not valid JSON');
    case 'entity.too.deep':
      return scimError(400, 'invalidSyntax', `The request body nests arrays and objects deeper than the limit of ${parserError.limit} levels`);
    case 'entity.too.large':
      return scimError(413, undefined, `The request body is larger than the limit of ${parserError.limit} bytes`);
    case 'encoding.unsupported':
      return scimError(415, undefined, 'The request body must be sent uncompressed (no Content-Encoding)');
    case 'charset.unsupported':
      return scimError(415, undefined, 'The request body must be UTF-8 JSON');
    case 'request.aborted':
      return scimError(400, undefined, 'The request was aborted before the body was received');
  }
  // Other client errors of Express and body-parser (a bad param encoding, a body on the wrong
  // method): their status is right, their message may quote the request, so it is not shown.
  if (parserError?.expose && typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return scimError(parserError.status, undefined, `The request cannot be read (HTTP ${parserError.status}); check its headers, path and body`);
  }
  return scimError(500, undefined, 'Internal error; quote the X-Request-Id header when reporting it');
}

function describe(error: unknown): Record<string, unknown> {
  return error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : { value: String(error) };
}
