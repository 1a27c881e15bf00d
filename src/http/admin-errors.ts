import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log/logger.js';
import { StoreUnavailableError } from '../kernel/store-errors.js';
import { correlationIdOf } from './request-context.js';
import { CodedError } from '../kernel/app-error.js';

/** Admin API errors: a stable dotted code, a message for a person, an HTTP status. */
export class AdminError extends CodedError {}

export function createAdminErrorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    const known = toAdminError(error);
    if (known.status >= 500) logger.error('admin request failed', { correlationId: correlationIdOf(res), path: req.path, error: (error as Error)?.message, errorName: (error as Error)?.name });
    const body = { code: known.code, message: known.message, correlationId: correlationIdOf(res) };
    if (!res.headersSent) res.status(known.status).json(body);
    // A streamed answer (reconcile progress) has sent its status already: the error is its last line.
    else if (String(res.getHeader('content-type')).startsWith('application/x-ndjson')) res.end(`${JSON.stringify({ error: body })}\n`);
    else next(error);
  };
}

function toAdminError(error: unknown): CodedError {
  if (error instanceof CodedError) return error;
  if (error instanceof StoreUnavailableError) return new AdminError('store.unavailable', 'The database is unavailable; retry later', 503);
  const parserError = error as { type?: string; limit?: number; status?: number; expose?: boolean };
  if (parserError?.type === 'entity.parse.failed') return new AdminError('request.invalid_json', 'The request body is not valid JSON');
  if (parserError?.type === 'entity.too.large') return new AdminError('request.too_large', `The request body is larger than ${parserError.limit} bytes`, 413);
  if (parserError?.type === 'entity.too.deep') return new AdminError('request.too_deep', `The request body nests arrays and objects deeper than ${parserError.limit} levels`);
  if (parserError?.type === 'encoding.unsupported') return new AdminError('request.encoded', 'The request body must be sent uncompressed (no Content-Encoding)', 415);
  // Other client errors of Express and body-parser: their status is right, their message may quote the request.
  if (parserError?.expose && typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return new AdminError('request.unreadable', `The request cannot be read (HTTP ${parserError.status})`, parserError.status);
  }
  return new AdminError('internal', 'Internal error; quote the correlation id when reporting it', 500);
}
