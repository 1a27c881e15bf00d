import type { NextFunction, Request, Response } from 'express';
import { scimError } from '../scim/errors.js';
import { requestContext } from './request-context.js';

/** A request over the cap is asked to come back this soon: the cap is about bursts, not quotas. */
const RETRY_AFTER_SECONDS = 1;

/**
 * A generous cap on the SCIM requests one registration may have in flight in this process, so
 * one tenant's burst cannot take every connection to the database from the others. Over the cap:
 * 503 with `Retry-After` (Entra retries those). Mount after the request context is set; a slot is given back
 * when the response ends or the client goes away.
 */
export function limitConcurrencyPerRegistration(maxInFlight: number) {
  const inFlight = new Map<string, number>();
  const release = (registrationId: string) => {
    const left = (inFlight.get(registrationId) ?? 1) - 1;
    if (left === 0) inFlight.delete(registrationId);
    else inFlight.set(registrationId, left);
  };
  return (_req: Request, res: Response, next: NextFunction): void => {
    const registrationId = requestContext(res).registration.id;
    const current = inFlight.get(registrationId) ?? 0;
    if (current >= maxInFlight) {
      res.set('Retry-After', String(RETRY_AFTER_SECONDS));
      return next(
        scimError(503, undefined, `This registration already has ${maxInFlight} requests in progress (MAX_CONCURRENT_REQUESTS_PER_REGISTRATION); retry after ${RETRY_AFTER_SECONDS} s`),
      );
    }
    inFlight.set(registrationId, current + 1);
    // 'finish' when the answer is written, 'close' when the client went away first: whichever
    // comes first gives the slot back, once ('close' alone can come late on a kept-alive socket).
    let released = false;
    const releaseOnce = () => {
      if (released) return;
      released = true;
      release(registrationId);
    };
    res.once('finish', releaseOnce);
    res.once('close', releaseOnce);
    next();
  };
}
