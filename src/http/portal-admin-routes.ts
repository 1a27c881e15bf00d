import express, { type Router } from 'express';
import type { RegistrationService } from '../registrations/registration-service.js';
import type { ReconcileService } from '../service/reconcile-service.js';
import type { PortalService } from '../service/portal-service.js';

/** Admin API of issue 4: on-demand Reconcile (dry run first) and what the portal owns (MAP-7/8, DEL-6). */
export function portalAdminRoutes({ registrations, reconcile, portal }: { registrations: RegistrationService; reconcile: ReconcileService; portal: PortalService }): Router {
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
  router.post('/registrations/:ref/voice-users', async (req, res) => {
    const id = await registrationId(req.params.ref);
    res.status(201).json(await portal.createByHand(id, req.body));
  });
  router.patch('/registrations/:ref/voice-users/:voiceUserId', async (req, res) => {
    const id = await registrationId(req.params.ref);
    res.json(await portal.edit(id, req.params.voiceUserId, req.body));
  });
  return router;
}
