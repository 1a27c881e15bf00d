import type { NextFunction, Request, Response } from 'express';
import { scimError } from '../scim/errors.js';
import { excerpt } from '../kernel/excerpt.js';

/**
 * Checks every SCIM request passes before any handler reads it. Mounted after the audit
 * middleware, so what they refuse is audited like any other request.
 */

/** `%ZZ`, a cut-off `%E0%A4%A` or an overlong `%C0%AE` cannot name a resource: 400, not a URIError. */
export function rejectMalformedPath(req: Request, _res: Response, next: NextFunction): void {
  const path = req.originalUrl.split('?')[0] ?? '';
  try {
    decodeURIComponent(path);
  } catch {
    throw scimError(400, 'invalidSyntax', `The request path ${excerpt(path)} has a malformed percent escape; encode it as UTF-8 (RFC 3986 §2.1)`);
  }
  next();
}

/** Bodies are read as sent; a compressed one would be a decompression bomb to inflate (RFC 7231 §3.1.2.2). */
export function rejectContentEncoding(req: Request, _res: Response, next: NextFunction): void {
  const encoding = req.get('content-encoding')?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    throw scimError(415, undefined, `Content-Encoding ${excerpt(encoding, 40)} is not accepted; send the body uncompressed`);
  }
  next();
}

/** SCIM answers carry personal data: no cache on the way may keep them. */
export function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.set('Cache-Control', 'no-store');
  next();
}
