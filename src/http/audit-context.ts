import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuditAction } from '../audit/audit-event.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { RefusalLedger, RefusalTally, RefusedRequestSource } from '../audit/refusal-ledger.js';
import { scimRequestEvent } from '../audit/scim-audit.js';
import type { AnsweredError, NamedResource, PatchOperationFact, ScimOperation, ScimRequestFacts } from '../audit/scim-request-facts.js';
import type { RefusedAttempt } from '../auth/authenticate.js';
import type { RequestContext } from '../registrations/request-context.js';
import type { Logger } from '../log/logger.js';
import { rawBodyBytes } from './json-body.js';
import { correlationIdOf } from './request-context.js';

/**
 * One SCIM request's audit context (AUD-1). Whoever knows a fact tells it here, typed: the route
 * its operation, authentication the caller, the handler what it wrote and the PATCH operations it
 * applied, the error handler the error it answered. The event is made from these facts once, when
 * the response has been sent; nothing is read back from the response or worked out again from the path.
 */
export class ScimAuditContext {
  #operation?: ScimOperation;
  #caller?: ScimRequestFacts['caller'];
  #written?: NamedResource;
  #patch?: readonly PatchOperationFact[];
  #error?: AnsweredError;
  #refusalRecorded = false;

  /** The route that took the request (see `auditedAs`). */
  operation(operation: ScimOperation): void {
    this.#operation = operation;
  }

  /** The authenticated caller and its registration. */
  authenticated({ registration, caller }: { registration: Pick<RequestContext['registration'], 'id'>; caller: RequestContext['caller'] }): void {
    this.#caller = { registrationId: registration.id, caller };
  }

  /** The resource a write left: names the request (a 204 PATCH sends no body) and gives a create's new id. */
  wrote(resource: NamedResource): void {
    this.#written = resource;
  }

  /** The PATCH operations as the parser read them. */
  patched(operations: readonly PatchOperationFact[]): void {
    this.#patch = operations;
  }

  /** The SCIM error the answer carries. */
  answeredError(error: AnsweredError): void {
    this.#error = error;
  }

  /** The request was refused before authentication and counted by the refusal ledger, which keeps it (bounded). */
  refusalRecorded(): void {
    this.#refusalRecorded = true;
  }

  get isRefusalRecorded(): boolean {
    return this.#refusalRecorded;
  }

  /** The facts of the finished request; undefined when no caller was authenticated. */
  factsOf(req: Request, res: Response, durationMs: number): ScimRequestFacts | undefined {
    if (!this.#caller) return undefined;
    const request = { method: req.method, url: req.originalUrl, query: req.query as Record<string, unknown>, body: req.body as unknown, bodyBytes: rawBodyBytes(req) };
    return {
      correlationId: correlationIdOf(res),
      request,
      caller: this.#caller,
      operation: this.#operation,
      written: this.#written,
      patch: this.#patch,
      status: res.statusCode,
      error: this.#error,
      durationMs,
    };
  }
}

const contexts = new WeakMap<Response, ScimAuditContext>();

/** The audit context of the request `res` answers. A request the audit middleware did not see gets one that nobody records. */
export function scimAudit(res: Response): ScimAuditContext {
  let context = contexts.get(res);
  if (!context) contexts.set(res, (context = new ScimAuditContext()));
  return context;
}

/** Route middleware, for a route with or without an `:id`: the operation the route performs on the id it was given. */
export function auditedAs(action: AuditAction, resourceType?: 'User' | 'Group'): RequestHandler<any> {
  return (req, res, next) => {
    scimAudit(res).operation({ action, resourceType, resourceId: (req.params as { id?: string }).id });
    next();
  };
}

export interface ScimAuditDeps {
  recorder: AuditRecorder;
  /** Where requests answered without an authenticated caller go: counted, stored in excerpts, bounded. */
  refusals: RefusalLedger;
  /** Where an event that cannot be built or queued is reported; nothing in the `finish` hook may throw. */
  logger: Pick<Logger, 'error'>;
}

/**
 * The SCIM listener's audit: `scimRequests` gives each request its audit context and records it
 * once the response is sent (mount right after the correlation id); `onRefusedAuth` is the
 * authenticator's, whose refusals the ledger keeps. While the audit queue is full, new requests
 * wait for room (back-pressure) instead of events being dropped.
 */
export function createScimAudit({ recorder, refusals, logger }: ScimAuditDeps) {
  function record(req: Request, res: Response, context: ScimAuditContext, started: bigint): void {
    // The response is out: an exception here would be uncaught and end the process for everyone.
    const failed = (error: unknown) => logger.error('audit event not recorded', { correlationId: correlationIdOf(res), error: (error as Error)?.message });
    try {
      if (context.isRefusalRecorded) return;
      const facts = context.factsOf(req, res, Number(process.hrtime.bigint() - started) / 1e6);
      // Anyone can send these (an unknown path, a request the edge refused): kept within the ledger's bounds.
      if (!facts) return void refusals.note(refusedRequestOf(req, res), { reason: 'unauthenticated-request', status: res.statusCode });
      recorder.record(scimRequestEvent(facts)).catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  return {
    scimRequests(req: Request, res: Response, next: NextFunction): void {
      const started = process.hrtime.bigint();
      const context = new ScimAuditContext();
      contexts.set(res, context);
      res.once('finish', () => record(req, res, context, started));
      if (recorder.full) recorder.whenRoom().then(() => next(), next);
      else next();
    },
    onRefusedAuth(req: Request, res: Response, attempt: RefusedAttempt): RefusalTally {
      scimAudit(res).refusalRecorded();
      return refusals.note(refusedRequestOf(req, res), { ...attempt, status: 401, limitable: true });
    },
  };
}

export type ScimAudit = ReturnType<typeof createScimAudit>;

/** What the refusal ledger keeps of a refused request. */
export function refusedRequestOf(req: Request, res: Response): RefusedRequestSource {
  return {
    correlationId: correlationIdOf(res),
    method: req.method,
    path: req.originalUrl.split('?')[0] ?? '',
    address: req.ip ?? req.socket.remoteAddress ?? 'unknown',
    userAgent: req.get('user-agent'),
    hadAuthorization: req.get('authorization') !== undefined,
  };
}
