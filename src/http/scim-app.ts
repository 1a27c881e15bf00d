import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../log/logger.js';
import { requestLogContext } from '../log/log-context.js';
import { createAuthenticator, type RefusalVerdict, type RefusedAttempt } from '../auth/authenticate.js';
import type { AuthenticatedCaller, CredentialResolver } from '../auth/credentials.js';
import type { DirectoryService } from '../directory/directory-service.js';
import type { ServiceLimits } from '../scim/service-provider-config.js';
import { scimError } from '../scim/errors.js';
import { toScimError, toScimErrorBody } from '../scim/to-scim-error.js';
import { excerpt } from '../audit/refusal-ledger.js';
import type { ErrorAnswer } from './malformed-requests.js';
import { createScimRouter } from './scim-router.js';
import { createScimErrorHandler } from './error-handler.js';
import { correlationIdOf, setRequestContext } from './request-context.js';
import { useListenerOperations, type ListenerOperations } from './listener-operations.js';
import { limitConcurrencyPerRegistration } from './concurrency-cap.js';
import { noteRouteBase } from './route-template.js';
import { jsonBody } from './json-body.js';
import { noStore, rejectContentEncoding, rejectMalformedPath } from './scim-edge.js';
import { scimAudit } from './audit-context.js';

export const SCIM_BASE_PATH = '/scim/v2';

export interface ScimAppDeps {
  directory: DirectoryService;
  resolver: CredentialResolver;
  limits: ServiceLimits;
  logger: Logger;
  /** The audit trail (AUD-1, AUD-3): every request, and every refused credential. */
  auditing: { scimRequests: RequestHandler; onRefusedAuth(req: Request, res: Response, attempt: RefusedAttempt): RefusalVerdict & { recorded: boolean } };
  /** Base URL clients use (PUBLIC_BASE_URL); else derived from the Host header of each request. */
  publicBaseUrl?: string;
  operations?: ListenerOperations & {
    /** SCIM requests one registration may have in progress (MAX_CONCURRENT_REQUESTS_PER_REGISTRATION). */
    maxConcurrentPerRegistration?: number;
  };
}

/** The provisioning listener: correlation id → authentication → body → SCIM routes → SCIM errors. */
export function createScimApp({ directory, resolver, limits, logger, auditing, publicBaseUrl, operations = {} }: ScimAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  useListenerOperations(app, logger, 'scim', operations);
  app.use(auditing.scimRequests);
  app.use(noStore, rejectMalformedPath);
  app.use(
    SCIM_BASE_PATH,
    createAuthenticator({
      resolver,
      onRefused: (req, res, attempt) => {
        const verdict = auditing.onRefusedAuth(req, res, attempt);
        // Logged like the audit stores them: the first of each address and reason per window.
        if (verdict.recorded) logRefusal(logger)(req, res, attempt);
        return verdict;
      },
    }),
  );
  app.use(SCIM_BASE_PATH, (_req, res, next) => {
    const { registration, caller } = res.locals.caller as AuthenticatedCaller;
    const context = { registration, caller, correlationId: correlationIdOf(res) };
    setRequestContext(res, context);
    scimAudit(res).authenticated(context);
    next();
  });
  // Once a route is chosen (so even a request refused here is audited as that route's operation):
  // the per-registration cap, then the body, which arrives in the socket's async context, so the
  // request's log context is entered again.
  const admit = [
    ...(operations.maxConcurrentPerRegistration ? [limitConcurrencyPerRegistration(operations.maxConcurrentPerRegistration)] : []),
    rejectContentEncoding,
    jsonBody({ limit: limits.maxBodyBytes, type: () => true }),
    requestLogContext,
  ];
  const baseUrlOf = (req: Request) => `${publicBaseUrl ?? `https://${req.get('host')}`}${SCIM_BASE_PATH}`;
  app.use(SCIM_BASE_PATH, noteRouteBase, createScimRouter({ directory, limits, baseUrlOf, admit }));
  app.use(() => {
    throw scimError(404, undefined, `No SCIM endpoint here; the API is under ${SCIM_BASE_PATH}`);
  });
  app.use(createScimErrorHandler(logger));
  return app;
}

/** A request Node's HTTP parser refused, answered as a SCIM Error (see `answerMalformedRequests`). */
export const scimErrorAnswer: ErrorAnswer = (error) => ({
  contentType: 'application/scim+json',
  body: JSON.stringify(toScimErrorBody(toScimError(error))),
});

function logRefusal(logger: Logger) {
  return (req: Request, res: Response, attempt: RefusedAttempt) => {
    logger.warn('authentication refused', { correlationId: correlationIdOf(res), method: req.method, path: excerpt(req.path), address: req.ip, ...attempt });
  };
}
