import type { NextFunction, Request, Response } from 'express';

/**
 * Mount in front of a router (`app.use(base, noteRouteBase, router)`): Express restores
 * `req.baseUrl` when an error leaves the router, so the mount path is kept for `routeTemplateOf`.
 */
export function noteRouteBase(req: Request, res: Response, next: NextFunction): void {
  res.locals.routeBase = req.baseUrl;
  next();
}

/**
 * The route a request matched, as declared (`/scim/v2/Users/:id`), never the raw path: a
 * bounded value for metric labels and log lines. `unmatched` when no route answered.
 */
export function routeTemplateOf(req: Request, res: Response): string {
  const path: unknown = req.route?.path;
  if (path === undefined) return 'unmatched';
  const declared = Array.isArray(path) ? path.join('|') : String(path);
  return `${(res.locals.routeBase as string | undefined) ?? req.baseUrl}${declared}`;
}
