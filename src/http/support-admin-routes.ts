import express, { type Router } from 'express';
import type { RegistrationService } from '../registrations/registration-service.js';
import type { RegistrationOverviewOf } from '../reconcile/registration-overview.js';
import type { UserStandingService } from '../reconcile/user-standing-service.js';
import type { UserStatus } from '../domain/user-status.js';
import { AppError } from '../kernel/app-error.js';

/**
 * What support sees, for scripts (issue 12): a registration's overview with its state line, and
 * its users as they stand now, filtered by status, rule or search text. The console shows the same.
 */
export function supportAdminRoutes({ registrations, overviewOf, standings }: { registrations: RegistrationService; overviewOf: RegistrationOverviewOf; standings: UserStandingService }): Router {
  const router = express.Router();
  router.get('/registrations/:ref/overview', async (req, res) => {
    res.json(await overviewOf(await registrations.find(req.params.ref)));
  });
  router.get('/registrations/:ref/users', async (req, res) => {
    const { id } = await registrations.find(req.params.ref);
    const text = (name: string) => (typeof req.query[name] === 'string' && req.query[name] !== '' ? (req.query[name] as string) : undefined);
    const number = (name: string) => (text(name) === undefined ? undefined : Number(text(name)));
    res.json(await standings.list(id, { status: text('status') as UserStatus | undefined, rule: text('rule'), search: text('search'), offset: number('offset'), limit: number('limit') }));
  });
  router.get('/registrations/:ref/users/:userId', async (req, res) => {
    const { id } = await registrations.find(req.params.ref);
    const found = await standings.get(id, req.params.userId);
    if (!found) throw new AppError('users.not_found', `No directory user ${req.params.userId.slice(0, 64)} in this registration`, { status: 404 });
    res.json(found);
  });
  return router;
}
