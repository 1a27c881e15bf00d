import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../kernel/app-error.js';

/**
 * The admin API is for operators and the CLI: one admin secret, separate from every provisioning
 * credential. `/metrics` also accepts METRICS_TOKEN (`alsoAccepted`), so a scraper need not hold the admin secret.
 */
export function requireAdminToken(adminToken: string, alsoAccepted?: { token: string; setting: string }) {
  const expected = [adminToken, ...(alsoAccepted ? [alsoAccepted.token] : [])].map(digest);
  const needed = alsoAccepted ? `<ADMIN_TOKEN> or <${alsoAccepted.setting}>` : '<ADMIN_TOKEN>';
  return (req: Request, _res: Response, next: NextFunction): void => {
    const presented = /^Bearer (.+)$/.exec(req.get('Authorization') ?? '')?.[1];
    if (presented && expected.some((token) => timingSafeEqual(digest(presented), token))) return next();
    next(new AppError('admin.unauthenticated', `The admin API needs Authorization: Bearer ${needed}`, { status: 401 }));
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
