import type { JsonObject } from '../kernel/json.js';
import { withoutUndefined, type AuditAction, type SubjectUser } from './audit-event.js';
import { isSecretKey, REDACTED } from './redact.js';

/** What a SCIM request path and method address. */
export interface ScimTarget {
  action: AuditAction;
  resourceType?: 'User' | 'Group';
  resourceId?: string;
}

const RESOURCE_SEGMENTS: Record<string, 'User' | 'Group'> = { users: 'User', groups: 'Group' };
const DISCOVERY_SEGMENTS = new Set(['schemas', 'resourcetypes', 'serviceproviderconfig', 'serviceconfiguration']);
const VERB_BY_METHOD: Record<string, 'Read' | 'Replace' | 'Patch' | 'Delete'> = { GET: 'Read', PUT: 'Replace', PATCH: 'Patch', DELETE: 'Delete' };
const MAX_VALUE_CHARS = 60;
const MAX_DESCRIBED_OPERATIONS = 10;

/** `/Users/{id}` and friends, relative to the SCIM base path; anything else is `Scim.Request`. */
export function scimTargetOf(method: string, path: string): ScimTarget {
  const [first = '', second, ...rest] = path.split('/').filter(Boolean).map(decodeSegment);
  const resourceType = RESOURCE_SEGMENTS[first.toLowerCase()];
  if (DISCOVERY_SEGMENTS.has(first.toLowerCase()) && method === 'GET') return { action: 'Discovery.Read' };
  if (!resourceType || rest.length > 0) return { action: 'Scim.Request' };
  if (second === undefined) {
    if (method === 'GET') return { action: `${resourceType}.List`, resourceType };
    if (method === 'POST') return { action: `${resourceType}.Create`, resourceType };
    return { action: 'Scim.Request', resourceType };
  }
  if (second === '.search') return method === 'POST' ? { action: `${resourceType}.List`, resourceType } : { action: 'Scim.Request', resourceType };
  const verb = VERB_BY_METHOD[method];
  return verb ? { action: `${resourceType}.${verb}`, resourceType, resourceId: second } : { action: 'Scim.Request', resourceType, resourceId: second };
}

/** A segment with a malformed escape (`%ZZ`) is kept as sent: the request is still audited, then refused with 400. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export interface ScimExchange {
  method: string;
  path: string;
  target: ScimTarget;
  query: Record<string, unknown>;
  requestBody?: unknown;
  responseBody?: unknown;
  /** What the handler said about the user (a PATCH answered 204, a DELETE). */
  hint?: SubjectUser;
}

/** The person a User request is about, from what was sent or answered. */
export function subjectUserOf({ target, requestBody, responseBody, hint }: ScimExchange): SubjectUser | undefined {
  if (target.resourceType !== 'User') return undefined;
  const sent = subjectOfUserResource(requestBody);
  const answered = subjectOfUserResource(responseBody);
  const subject = withoutUndefined({
    userName: hint?.userName ?? sent.userName ?? answered.userName,
    email: hint?.email ?? sent.email ?? answered.email,
    directoryId: target.resourceId ?? answered.directoryId,
  });
  return Object.keys(subject).length ? subject : undefined;
}

/** The user name, primary email and id of a SCIM User resource. */
export function subjectOfUserResource(resource: unknown): SubjectUser {
  const user = asObject(resource);
  return withoutUndefined({ userName: text(user?.userName), email: primaryEmail(user), directoryId: text(user?.id) });
}

/** The request in words: `PATCH user jane@contoso.com: active → false; members +3`. Never shows a secret. */
export function summarizeScimRequest(exchange: ScimExchange): string {
  const { method, target, query } = exchange;
  if (!target.resourceType) return `${method} ${exchange.path}`;
  const noun = target.resourceType.toLowerCase();
  if (target.action.endsWith('.List')) return [`${method} ${noun}s`, listCriteria(exchange.method === 'POST' ? asObject(exchange.requestBody) ?? {} : query)].filter(Boolean).join(' ');
  const name = targetName(exchange);
  const head = `${method} ${noun}${name ? ` ${name}` : ''}`;
  const changes = describeChanges(exchange);
  return changes ? `${head}: ${changes}` : head;
}

function targetName({ target, requestBody, responseBody, hint }: ScimExchange): string | undefined {
  const key = target.resourceType === 'User' ? 'userName' : 'displayName';
  return (target.resourceType === 'User' ? hint?.userName : undefined) ?? text(asObject(requestBody)?.[key]) ?? text(asObject(responseBody)?.[key]) ?? target.resourceId;
}

function listCriteria(params: Record<string, unknown>): string {
  return ['filter', 'startIndex', 'count']
    .filter((key) => params[key] !== undefined && params[key] !== '')
    .map((key) => `${key} ${String(params[key])}`)
    .join(', ');
}

function describeChanges({ target, requestBody }: ScimExchange): string {
  const body = asObject(requestBody);
  if (!body) return '';
  if (target.action.endsWith('.Patch')) return describePatch(body);
  if (target.action.endsWith('.Create') || target.action.endsWith('.Replace')) return describeResource(body);
  return '';
}

function describeResource(body: JsonObject): string {
  const parts: string[] = [];
  if (body.displayName !== undefined) parts.push(`displayName ${showValue('displayName', body.displayName)}`);
  if (body.active !== undefined) parts.push(`active ${showValue('active', body.active)}`);
  if (Array.isArray(body.members)) parts.push(`members ${body.members.length}`);
  return parts.join('; ');
}

interface MemberCounts {
  added: number;
  removed: number;
  replacedWith?: number;
  cleared?: boolean;
}

function describePatch(body: JsonObject): string {
  const operations = Array.isArray(body.Operations) ? body.Operations.map(asObject).filter((op): op is JsonObject => op !== undefined) : [];
  const members: MemberCounts = { added: 0, removed: 0 };
  const changes = operations.flatMap((operation) => describeOperation(operation, members));
  const shown = changes.slice(0, MAX_DESCRIBED_OPERATIONS);
  if (changes.length > shown.length) shown.push(`… ${changes.length - shown.length} more`);
  return [...shown, ...describeMembers(members)].join('; ');
}

function describeOperation(operation: JsonObject, members: MemberCounts): string[] {
  const op = (text(operation.op) ?? '').toLowerCase();
  const path = text(operation.path);
  if (path === undefined) {
    const values = asObject(operation.value) ?? {};
    return Object.entries(values).flatMap(([key, value]) => (isMembersPath(key) ? countMembers(op, key, value, members) : [`${key} → ${showValue(key, value)}`]));
  }
  if (isMembersPath(path)) return countMembers(op, path, operation.value, members);
  if (op === 'remove') return [`${path} removed`];
  return [`${path} → ${showValue(path, operation.value)}`];
}

function isMembersPath(path: string): boolean {
  return /^members(\[|$)/i.test(path);
}

function countMembers(op: string, path: string, value: unknown, members: MemberCounts): string[] {
  const count = Array.isArray(value) ? value.length : value === undefined ? 0 : 1;
  if (op === 'add') members.added += count;
  else if (op === 'replace') members.replacedWith = count;
  else if (path.includes('[')) members.removed += 1;
  else if (count > 0) members.removed += count;
  else members.cleared = true;
  return [];
}

function describeMembers({ added, removed, replacedWith, cleared }: MemberCounts): string[] {
  return [
    cleared ? 'members cleared' : '',
    replacedWith !== undefined ? `members = ${replacedWith}` : '',
    added ? `members +${added}` : '',
    removed ? `members −${removed}` : '',
  ].filter(Boolean);
}

/** A value as shown in a summary: JSON, cut to a readable length, secrets never shown. */
export function showValue(key: string, value: unknown): string {
  if (isSecretKey(key)) return REDACTED;
  const rendered = renderJson(value);
  return rendered.length > MAX_VALUE_CHARS ? `${rendered.slice(0, MAX_VALUE_CHARS - 1)}…` : rendered;
}

/** Request bodies are depth-limited when parsed; a value that still cannot be rendered is named, not thrown. */
function renderJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return '(unreadable value)';
  }
}

function primaryEmail(resource: JsonObject | undefined): string | undefined {
  const emails = Array.isArray(resource?.emails) ? resource.emails.map(asObject) : [];
  const chosen = emails.find((email) => email?.primary === true) ?? emails[0];
  return text(chosen?.value);
}

function asObject(value: unknown): JsonObject | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
