import express, { type Response, type Router } from 'express';
import type { RegistrationService } from '../registrations/registration-service.js';
import type { ReconcileService } from '../reconcile/reconcile-service.js';
import type { PortalService } from '../portal/portal-service.js';
import type { ImportService } from '../import/import-service.js';
import { AppError } from '../kernel/app-error.js';
import { byteLimit } from './byte-limit.js';

/** A CSV import of 200k rows is about 20 MB; more is refused while it streams in. */
const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

/** Admin API of issue 4: on-demand Reconcile (dry run first) and what the portal owns (MAP-7/8, DEL-6). */
export function portalAdminRoutes({ registrations, reconcile, portal, imports }: { registrations: RegistrationService; reconcile: ReconcileService; portal: PortalService; imports: ImportService }): Router {
  const router = express.Router();
  const registrationId = async (ref: string) => (await registrations.find(ref)).id;

  /** With `?progress=true` the answer is NDJSON: `{"done","total"}` lines while it runs, then `{"report"}`. */
  router.post('/registrations/:ref/reconcile', async (req, res) => {
    const id = await registrationId(req.params.ref);
    const dryRun = req.query.dryRun === 'true';
    if (req.query.progress !== 'true') {
      res.json(await reconcile.reconcileRegistration(id, { trigger: 'on-demand', dryRun }));
      return;
    }
    res.type('application/x-ndjson');
    let reported = 0;
    const report = await reconcile.reconcileRegistration(id, {
      trigger: 'on-demand',
      dryRun,
      onProgress: (done, total) => {
        if (done === total || done - reported >= Math.max(1, Math.floor(total / 100))) {
          reported = done;
          res.write(`${JSON.stringify({ done, total })}\n`);
        }
      },
    });
    res.end(`${JSON.stringify({ report })}\n`);
  });
  router.get('/registrations/:ref/voice-users', async (req, res) => {
    res.json(await portal.list(await registrationId(req.params.ref)));
  });
  router.get('/registrations/:ref/retention', async (req, res) => {
    res.json(await portal.retained(await registrationId(req.params.ref)));
  });
  router.post('/registrations/:ref/voice-users', async (req, res) => {
    const id = await registrationId(req.params.ref);
    res.status(201).json(await portal.createByHand(id, req.body));
  });
  /**
   * IMP-1: `text/csv` body; `?dryRun=true` only checks, `?skipInvalid=true` creates the valid rows
   * even when others have problems. With `?progress=true` the answer is NDJSON like reconcile's.
   */
  router.post('/registrations/:ref/voice-users/import', async (req, res) => {
    if (!req.is(['text/csv', 'text/plain'])) throw new AppError('import.unsupported_media_type', 'Send the file as Content-Type: text/csv', { status: 415 });
    const id = await registrationId(req.params.ref);
    const options = { dryRun: req.query.dryRun === 'true', skipInvalid: req.query.skipInvalid === 'true' };
    const csv = byteLimit(MAX_IMPORT_BYTES, () => new AppError('import.too_large', `The file is larger than ${MAX_IMPORT_BYTES} bytes; split it`, { status: 413 }));
    req.once('error', (error) => csv.destroy(error));
    req.pipe(csv);
    if (req.query.progress !== 'true') {
      res.json(await imports.importCsv(id, csv, options));
      return;
    }
    const report = await imports.importCsv(id, csv, { ...options, onProgress: progressLines(res) });
    res.end(`${JSON.stringify({ report })}\n`);
  });
  router.patch('/registrations/:ref/voice-users/:voiceUserId', async (req, res) => {
    const id = await registrationId(req.params.ref);
    res.json(await portal.edit(id, req.params.voiceUserId, req.body));
  });
  return router;
}

/** NDJSON progress, at most about a hundred lines per phase; headers go out with the first line. */
function progressLines(res: Response) {
  let reported = -1;
  return (phase: string, done: number, total: number) => {
    if (done !== total && done - reported < Math.max(1, Math.floor(total / 100))) return;
    reported = done === total ? -1 : done;
    if (!res.headersSent) res.type('application/x-ndjson');
    res.write(`${JSON.stringify({ phase, done, total })}\n`);
  };
}
