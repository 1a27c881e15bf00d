import type { NextFunction, Request, Response } from 'express';
import type { Logger } from './logger.js';
import { routeTemplateOf } from '../http/route-template.js';

/** One line per request once its response is sent (or the connection closed), at `level` (REQUEST_LOG_LEVEL). */
export function logRequests(logger: Logger, level: string, listener: 'scim' | 'admin') {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.once('close', () => {
      logger.log(level, 'request', {
        // Named here: the 'close' event runs outside the request's log context.
        correlationId: res.locals.correlationId,
        listener,
        registrationId: res.locals.context?.registration.id,
        method: req.method,
        route: routeTemplateOf(req, res),
        path: req.originalUrl.split('?')[0],
        status: res.statusCode,
        ...(res.writableFinished ? {} : { aborted: true }),
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
      });
    });
    next();
  };
}
