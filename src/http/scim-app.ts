import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../log/logger.js';
import { createAuthenticator, type RefusedAttempt } from '../auth/authenticate.js';
import type { CredentialResolver } from '../auth/credentials.js';
import type { DirectoryService } from '../service/directory-service.js';
import type { ServiceLimits } from '../scim/service-provider-config.js';
import { scimError } from '../scim/errors.js';
import { createScimRouter } from './scim-router.js';
import { createScimErrorHandler } from './error-handler.js';
import { correlationId, correlationIdOf, setRequestContext } from './request-context.js';

export const SCIM_BASE_PATH = '/scim/v2';

export interface ScimAppDeps {
  directory: DirectoryService;
  resolver: CredentialResolver;
  limits: ServiceLimits;
  logger: Logger;
  /** The audit trail (AUD-1, AUD-3): every request, and every refused credential. */
  auditing: { scimRequests: RequestHandler; onRefusedAuth(req: Request, res: Response, attempt: RefusedAttempt): void };
  /** Base URL clients use (PUBLIC_BASE_URL); else derived from the Host header of each request. */
  publicBaseUrl?: string;
}

/** The provisioning listener: correlation id → authentication → body → SCIM routes → SCIM errors. */
export function createScimApp({ directory, resolver, limits, logger, auditing, publicBaseUrl }: ScimAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(correlationId);
  app.use(logRequests(logger));
  app.use(auditing.scimRequests);
  app.use(
    SCIM_BASE_PATH,
    createAuthenticator({
      resolver,
      onRefused: (req, res, attempt) => {
        logRefusal(logger)(req, res, attempt);
        auditing.onRefusedAuth(req, res, attempt);
      },
    }),
  );
  app.use(SCIM_BASE_PATH, (_req, res, next) => {
    const { registrationId, caller } = res.locals.caller;
    setRequestContext(res, { registrationId, caller, correlationId: correlationIdOf(res) });
    next();
  });
  app.use(express.json({ limit: limits.maxBodyBytes, type: () => true, strict: true }));
  const baseUrlOf = (req: Request) => `${publicBaseUrl ?? `https://${req.get('host')}`}${SCIM_BASE_PATH}`;
  app.use(SCIM_BASE_PATH, createScimRouter({ directory, limits, baseUrlOf }));
  app.use(() => {
    throw scimError(404, undefined, `No SCIM endpoint here; the API is under ${SCIM_BASE_PATH}`);
  });
  app.use(createScimErrorHandler(logger));
  return app;
}

function logRequests(logger: Logger) {
  return (req: Request, res: Response, next: () => void) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.http('request', {
        correlationId: correlationIdOf(res),
        registrationId: res.locals.context?.registrationId,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      });
    });
    next();
  };
}

function logRefusal(logger: Logger) {
  return (req: Request, res: Response, attempt: RefusedAttempt) => {
    logger.warn('authentication refused', { correlationId: correlationIdOf(res), method: req.method, path: req.path, ...attempt });
  };
}
