import express, { type Router } from 'express';
import type { RegistrationService } from '../registrations/registration-service.js';
import type { WriteBackOutbox } from './outbox.js';
import type { WriteBack } from './write-back-service.js';

/** Pending changes listed with the backlog (oldest first); the count covers them all. */
const LISTED = 100;

/** TWO-1 for support: `GET /admin/v1/registrations/:ref/outbox`, what waits to be written back and why. */
export function writeBackAdminRoutes({ registrations, writeBack, outbox }: { registrations: RegistrationService; writeBack: WriteBack; outbox: WriteBackOutbox }): Router {
  const router = express.Router();
  router.get('/registrations/:ref/outbox', async (req, res) => {
    const registration = await registrations.find(req.params.ref);
    const entries = await outbox.pending(registration.id, LISTED);
    res.json({
      ...(await writeBack.backlog(registration.id)),
      registration: registration.name,
      entries: entries.map(({ id, userName, directoryUserId, fields, recordedAt, attempts, nextAttemptAt, lastError }) => ({ id, userName, directoryUserId, fields, recordedAt, attempts, nextAttemptAt, ...(lastError ? { lastError } : {}) })),
    });
  });
  return router;
}
