import type { CallerIdentity } from '../registrations/request-context.js';
import type { AuditAction } from './audit-event.js';

/**
 * The typed facts one SCIM request's audit event is made of (AUD-1), each told by the part of the
 * request that knows it: the route its operation, authentication the caller, the handler the
 * resource it wrote and the PATCH operations it applied, the error handler the error it answered.
 */

/** What the route that took the request does: `User.Patch` of one user. A request no route took is `Scim.Request`. */
export interface ScimOperation {
  action: AuditAction;
  resourceType?: 'User' | 'Group';
  resourceId?: string;
}

/** The fields a SCIM resource is named by in the trail; a rendered User or Group has them. */
export interface NamedResource {
  id?: unknown;
  userName?: unknown;
  displayName?: unknown;
  emails?: unknown;
}

/** One PATCH operation as the PATCH parser read it: `op` in lower case, `path` trimmed (absent when the value carries the attributes). */
export interface PatchOperationFact {
  op: string;
  path?: string;
  value?: unknown;
}

/** The request as it arrived, its body already parsed (and size- and depth-checked) by the edge. */
export interface ScimRequestLine {
  method: string;
  /** The URL as sent: path and query. */
  url: string;
  query: Record<string, unknown>;
  body?: unknown;
  /** Size of the body as received, in bytes. */
  bodyBytes?: number;
}

/** The SCIM error the answer carries (RFC 7644 §3.12), and the code of the error it was made from. */
export interface AnsweredError {
  scimType?: string;
  detail?: string;
  code?: string;
}

export interface ScimRequestFacts {
  correlationId: string;
  request: ScimRequestLine;
  /** Who called, once authenticated; a request refused before is kept by the refusal ledger instead. */
  caller: { registrationId: string; caller: CallerIdentity };
  operation?: ScimOperation;
  /** What a write left (a create's new id, the user a PATCH changed). */
  written?: NamedResource;
  patch?: readonly PatchOperationFact[];
  status: number;
  error?: AnsweredError;
  durationMs: number;
}
