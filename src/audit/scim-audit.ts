import type { JsonObject } from '../kernel/json.js';
import type { CallerIdentity } from '../registrations/request-context.js';
import { withoutUndefined, type AuditActor, type AuditEventInput } from './audit-event.js';
import type { ScimRequestFacts, ScimRequestLine } from './scim-request-facts.js';
import { subjectUserOf, summarizeScimRequest } from './scim-summary.js';

/** Request bodies larger than this (bytes) are described by their summary only. */
const MAX_KEPT_BODY_SIZE = 16_384;

/**
 * One SCIM request as an audit event (AUD-1): who, what, which resource, outcome and duration,
 * under the request's correlation id, made only from the facts the request's parts told (see
 * `scim-request-facts.ts`); the request as sent is kept when small, redacted by the recorder.
 */
export function scimRequestEvent(facts: ScimRequestFacts): AuditEventInput {
  const { operation, request, written, status, caller } = facts;
  const action = operation?.action ?? 'Scim.Request';
  const error = status >= 400 ? facts.error : undefined;
  return withoutUndefined({
    registrationId: caller.registrationId,
    correlationId: facts.correlationId,
    actor: actorOf(caller.caller),
    action,
    resourceType: operation?.resourceType,
    resourceId: operation?.resourceId ?? (action.endsWith('.Create') ? text(written?.id) : undefined),
    subjectUser: subjectUserOf(facts),
    summary: summarizeScimRequest(facts),
    outcome: withoutUndefined({ status, success: status < 400, scimType: error?.scimType, detail: error?.detail }),
    durationMs: Math.round(facts.durationMs * 100) / 100,
    // The error's stable code sits with the details: the outcome keeps the fields SCIM answers have always had.
    details: withoutUndefined({ method: request.method, path: request.url, request: keptBody(request), errorCode: error?.code }),
  });
}

function actorOf(caller: CallerIdentity): AuditActor {
  return withoutUndefined({ kind: caller.method, subject: caller.subject, fingerprint256: caller.fingerprint256, tokenId: caller.tokenId });
}

/** The body as sent, unless it is large (a big group's members) or of unknown size: then its size only. */
function keptBody({ body, bodyBytes }: ScimRequestLine): JsonObject | undefined {
  if (body === undefined || body === null || typeof body !== 'object' || Object.keys(body).length === 0) return undefined;
  if (bodyBytes !== undefined && bodyBytes <= MAX_KEPT_BODY_SIZE) return body as JsonObject;
  return { truncated: true, ...(bodyBytes !== undefined ? { bytes: bodyBytes } : {}) };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
