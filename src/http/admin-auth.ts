import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AdminError } from './admin-errors.js';

/** The admin API is for operators and the CLI: one admin secret, separate from every provisioning credential. */
export function requireAdminToken(adminToken: string) {
  const expected = digest(adminToken);
  return (req: Request, _res: Response, next: NextFunction): void => {
    const presented = /^Bearer (.+)$/.exec(req.get('Authorization') ?? '')?.[1];
    if (presented && timingSafeEqual(digest(presented), expected)) return next();
    next(new AdminError('admin.unauthenticated', 'The admin API needs Authorization: Bearer <ADMIN_TOKEN>', 401));
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
