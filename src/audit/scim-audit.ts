import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log/logger.js';
import type { CallerIdentity, RequestContext } from '../registrations/request-context.js';
import type { JsonObject } from '../kernel/json.js';
import { withoutUndefined, type AuditActor, type AuditEventInput, type SubjectUser } from './audit-event.js';
import type { AuditRecorder } from './recorder.js';
import type { RefusalLedger } from './refusal-ledger.js';
import { scimTargetOf, subjectOfUserResource, subjectUserOf, summarizeScimRequest, type ScimExchange } from './scim-summary.js';

/** Request bodies larger than this (bytes, or characters when no Content-Length) are described by their summary only. */
const MAX_KEPT_BODY_SIZE = 16_384;
/** Response bodies are only parsed for what the audit needs, never for large list pages. */
const MAX_PARSED_RESPONSE_CHARS = 262_144;

/**
 * What a SCIM handler may add to its request's audit event through `res.locals`: the person a
 * DELETE was about (the record is gone by the time the response is sent) and extra details.
 */
export interface ScimAuditHints {
  auditSubject?: SubjectUser;
  auditDetails?: JsonObject;
}

export interface ScimAuditOptions {
  /** Where the SCIM API is mounted. */
  basePath?: string;
  /** Where requests answered without an authenticated caller go: counted, stored in excerpts, bounded. */
  refusals?: RefusalLedger;
  /** Where an event that cannot be built or queued is reported; nothing in the `finish` hook may throw. */
  logger?: Pick<Logger, 'error'>;
}

export interface RefusedAuthAttempt {
  reason: string;
  detail?: string;
  subject?: string;
  fingerprint256?: string;
}

/**
 * Records every SCIM request once its response is sent (AUD-1): who, what, which resource,
 * outcome and duration, under the request's correlation id. Mount right after the
 * correlation-id middleware. While the audit queue is full, new requests wait for room
 * (back-pressure) instead of events being dropped.
 */
export function auditScimRequests(recorder: AuditRecorder, { basePath = '/scim/v2', refusals, logger }: ScimAuditOptions = {}) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const target = scimTargetOf(req.method, pathOf(req).slice(basePath.length));
    const responseBody = keepResponseBody(res, target.action.endsWith('.Create') || target.action.endsWith('.Patch') || target.action.endsWith('.Replace'));
    res.once('finish', () => {
      if (res.locals.auditedRefusal) return;
      // The response is out: an exception here would be uncaught and end the process for everyone.
      const failed = (error: unknown) => logger?.error('audit event not recorded', { correlationId: res.locals.correlationId, action: target.action, error: (error as Error)?.message });
      try {
        // Anyone can send these (an unknown path, a request the edge refused): kept within the ledger's bounds.
        if (!res.locals.caller && refusals) return void Promise.resolve(refusals.note(req, res, { reason: 'unauthenticated-request', status: res.statusCode })).catch(failed);
        const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
        recorder.record(scimRequestEvent(req, res, { target, responseText: responseBody(), durationMs })).catch(failed);
      } catch (error) {
        failed(error);
      }
    });
    if (recorder.full) recorder.whenRoom().then(() => next(), next);
    else next();
  };
}

/**
 * For SCIM handlers whose response names no user (a PATCH answered 204, a DELETE): records
 * which user the request was about, so support finds it by user name.
 */
export function noteAuditSubject(res: Response, userResource: unknown): void {
  const { userName, email } = subjectOfUserResource(userResource);
  (res.locals as ScimAuditHints).auditSubject = withoutUndefined({ userName, email });
}

interface Measured {
  target: ReturnType<typeof scimTargetOf>;
  responseText?: string;
  durationMs: number;
}

function scimRequestEvent(req: Request, res: Response, { target, responseText, durationMs }: Measured): AuditEventInput {
  const context = res.locals.context as RequestContext | undefined;
  const authenticated = res.locals.caller as { registration: { id: string }; caller: CallerIdentity } | undefined;
  const caller = context?.caller ?? authenticated?.caller;
  const responseBody = parseJson(responseText);
  const hints = res.locals as ScimAuditHints;
  const exchange: ScimExchange = { method: req.method, path: pathOf(req), target, query: req.query as Record<string, unknown>, requestBody: req.body, responseBody, hint: hints.auditSubject };
  const error = res.statusCode >= 400 ? (responseBody as { scimType?: string; detail?: string } | undefined) : undefined;
  return withoutUndefined({
    registrationId: context?.registration.id ?? authenticated?.registration.id,
    correlationId: res.locals.correlationId as string,
    actor: caller ? actorOf(caller) : { kind: 'anonymous', subject: 'unknown' },
    action: target.action,
    resourceType: target.resourceType,
    resourceId: target.resourceId ?? createdId(target.action, responseBody),
    subjectUser: subjectUserOf(exchange),
    summary: summarizeScimRequest(exchange),
    outcome: withoutUndefined({ status: res.statusCode, success: res.statusCode < 400, scimType: error?.scimType, detail: error?.detail }),
    durationMs: Math.round(durationMs * 100) / 100,
    details: withoutUndefined({ method: req.method, path: req.originalUrl, request: keptBody(req), ...hints.auditDetails }),
  });
}

function actorOf(caller: CallerIdentity): AuditActor {
  return withoutUndefined({ kind: caller.method, subject: caller.subject, fingerprint256: caller.fingerprint256, tokenId: caller.tokenId });
}

function createdId(action: string, responseBody: unknown): string | undefined {
  const id = (responseBody as { id?: unknown } | undefined)?.id;
  return action.endsWith('.Create') && typeof id === 'string' ? id : undefined;
}

/** Wraps `res.send` to keep the body of error responses (and of writes, for the new id and user name). */
function keepResponseBody(res: Response, keepSuccessBodies: boolean): () => string | undefined {
  let kept: string | undefined;
  const send = res.send.bind(res);
  res.send = (body?: unknown) => {
    if (typeof body === 'string' && body.length <= MAX_PARSED_RESPONSE_CHARS && (keepSuccessBodies || res.statusCode >= 400)) kept = body;
    return send(body);
  };
  return () => kept;
}

/** The body as sent, unless it is large (a big group's members): its size is taken from Content-Length when given. */
function keptBody(req: Request): JsonObject | undefined {
  const body: unknown = req.body;
  if (body === undefined || body === null || typeof body !== 'object' || Object.keys(body).length === 0) return undefined;
  const size = Number(req.get('content-length')) || serializedLength(body);
  return size <= MAX_KEPT_BODY_SIZE ? (body as JsonObject) : { truncated: true, ...(Number.isFinite(size) ? { bytes: size } : {}) };
}

/** A body too deep to serialise (the SCIM parser refuses those; this hook must not throw whatever it is given) counts as too large. */
function serializedLength(body: object): number {
  try {
    return JSON.stringify(body).length;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The path as the client sent it, whatever router this runs in. */
function pathOf(req: Request): string {
  return req.originalUrl.split('?')[0] ?? '';
}
