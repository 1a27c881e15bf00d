import { AppError, isAppError } from '../kernel/app-error.js';

/** What body-parser and Express put on their errors (http-errors). */
interface HttpParserError {
  type?: string;
  status?: number;
  limit?: number;
  /** http-errors marks the errors whose status and message are meant for the client. */
  expose?: boolean;
}

/**
 * The one place Express's and body-parser's errors are read: a request they refused becomes an
 * AppError with a `request.*` code (each wire says it in its own words); anything else is returned
 * as it is.
 */
export function fromRequestError(error: unknown): unknown {
  if (isAppError(error)) return error;
  const parserError = error as HttpParserError | undefined;
  switch (parserError?.type) {
    case 'entity.parse.failed':
      return new AppError('request.invalid_json', 'The request body is not valid JSON', { cause: error });
    case 'entity.too.large':
      return new AppError('request.too_large', `The request body is larger than ${parserError.limit} bytes`, { status: 413, data: { limit: parserError.limit }, cause: error });
    case 'encoding.unsupported':
      return new AppError('request.encoded', 'The request body must be sent uncompressed (no Content-Encoding)', { status: 415, cause: error });
    case 'charset.unsupported':
      return new AppError('request.charset', 'The request body must be UTF-8 JSON', { status: 415, cause: error });
    case 'request.aborted':
      return new AppError('request.aborted', 'The request was aborted before the body was received', { cause: error });
  }
  // Other client errors of Express and body-parser (a bad param encoding, a body on the wrong
  // method): their status is right, their message may quote the request, so it is not kept.
  if (parserError?.expose && typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return new AppError('request.unreadable', `The request cannot be read (HTTP ${parserError.status})`, { status: parserError.status, cause: error });
  }
  return error;
}
