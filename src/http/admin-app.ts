import express, { type Express, type Router } from 'express';
import type { Logger } from '../log/logger.js';
import type { RegistrationRecord } from '../registrations/registrations-port.js';
import type { RegistrationService, BindBy } from '../registrations/registration-service.js';
import { requireAdminToken } from './admin-auth.js';
import { createAdminErrorHandler, toAdminAnswer } from './admin-errors.js';
import { AppError } from '../kernel/app-error.js';
import { requestLogContext } from '../log/log-context.js';
import { noteRouteBase } from './route-template.js';
import { useListenerOperations, type ListenerOperations } from './listener-operations.js';
import { jsonBody } from './json-body.js';
import type { ErrorAnswer } from './malformed-requests.js';

export const ADMIN_BASE_PATH = '/admin/v1';

export interface AdminAppDeps {
  adminToken: string;
  registrations: RegistrationService;
  logger: Logger;
  reloadTls(): void;
  /** Routers of other features (reconcile, portal users, audit), mounted under the admin base path. */
  extraRouters?: Router[];
  /** Mounted before admin-token authentication (the support console has its own login). */
  publicRouters?: Router[];
  operations?: ListenerOperations;
}

/** The operators' listener: registrations, TLS reload and the routers other features add. */
export function createAdminApp({ adminToken, registrations, logger, reloadTls, extraRouters = [], publicRouters = [], operations = {} }: AdminAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  useListenerOperations(app, logger, 'admin', operations);
  for (const router of publicRouters) app.use(router);
  app.use(ADMIN_BASE_PATH, noteRouteBase, requireAdminToken(adminToken), jsonBody({ limit: '256kb', type: ['application/json', 'application/*+json'] }), requestLogContext);
  app.use(ADMIN_BASE_PATH, registrationRoutes(registrations));
  app.post(`${ADMIN_BASE_PATH}/tls/reload`, (_req, res) => {
    reloadTls();
    res.json({ reloaded: true });
  });
  for (const router of extraRouters) app.use(ADMIN_BASE_PATH, router);
  app.use(() => {
    throw new AppError('admin.not_found', 'No such admin endpoint', { status: 404 });
  });
  app.use(createAdminErrorHandler(logger));
  return app;
}

/** A request Node's HTTP parser refused, in the admin API's error shape (see `answerMalformedRequests`). */
export const adminErrorAnswer: ErrorAnswer = (error) => {
  const { code, message } = toAdminAnswer(error);
  return { contentType: 'application/json; charset=utf-8', body: JSON.stringify({ code, message }) };
};

function registrationRoutes(registrations: RegistrationService): Router {
  const router = express.Router();
  router.get('/registrations', async (_req, res) => {
    res.json((await registrations.list()).filter((r) => r.status === 'active').map(publicView));
  });
  router.post('/registrations', async (req, res) => {
    res.status(201).json(publicView(await registrations.create(req.body)));
  });
  router.get('/registrations/:ref', async (req, res) => {
    res.json(publicView(await registrations.find(req.params.ref)));
  });
  router.patch('/registrations/:ref', async (req, res) => {
    res.json(publicView(await registrations.update(req.params.ref, req.body)));
  });
  router.delete('/registrations/:ref', async (req, res) => {
    res.json(await registrations.terminate(req.params.ref, { dryRun: req.query.dryRun === 'true' }));
  });
  router.post('/registrations/:ref/certificates', async (req, res) => {
    const { pem, bindBy, label } = req.body as { pem?: unknown; bindBy?: BindBy; label?: string };
    if (typeof pem !== 'string') throw new AppError('registration.bad_certificate', 'Send the certificate as {"pem": "-----BEGIN CERTIFICATE-----..."}');
    if (bindBy !== undefined && !['fingerprint', 'subject', 'both'].includes(bindBy)) {
      throw new AppError('registration.invalid', 'bindBy must be fingerprint, subject or both');
    }
    res.status(201).json(await registrations.addCertificate(req.params.ref, pem, bindBy, label));
  });
  router.delete('/registrations/:ref/certificates/:certificate', async (req, res) => {
    res.json(await registrations.removeCertificate(req.params.ref, req.params.certificate));
  });
  router.post('/registrations/:ref/tokens', async (req, res) => {
    res.status(201).json(await registrations.createToken(req.params.ref, (req.body as { label?: string })?.label));
  });
  router.delete('/registrations/:ref/tokens/:tokenId', async (req, res) => {
    await registrations.revokeToken(req.params.ref, req.params.tokenId);
    res.status(204).end();
  });
  return router;
}

/** Never shows token hashes. */
function publicView(record: RegistrationRecord) {
  const { tokens, version: _version, ...rest } = record;
  return { ...rest, tokens: tokens.map(({ id, label, createdAt }) => ({ id, label, createdAt })) };
}
