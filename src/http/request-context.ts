import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { RequestContext } from '../registrations/request-context.js';

const CORRELATION_HEADERS = ['client-request-id', 'x-request-id'];
/** Ids we accept from a client: printable, short, no spaces (they end up in logs). */
const SAFE_ID = /^[\w.:@-]{1,128}$/;

/** Takes the client's correlation id (Entra sends client-request-id) or makes one, and echoes it back. */
export function correlationId(req: Request, res: Response, next: NextFunction): void {
  const given = CORRELATION_HEADERS.map((name) => req.get(name)).find((value) => value !== undefined && SAFE_ID.test(value));
  const id = given ?? randomUUID();
  res.locals.correlationId = id;
  res.set('X-Request-Id', id);
  next();
}

export function correlationIdOf(res: Response): string {
  return res.locals.correlationId as string;
}

export function setRequestContext(res: Response, context: RequestContext): void {
  res.locals.context = context;
}

export function requestContext(res: Response): RequestContext {
  const context = res.locals.context as RequestContext | undefined;
  if (!context) throw new Error('A SCIM handler ran without an authenticated request context');
  return context;
}
