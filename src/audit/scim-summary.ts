import type { JsonObject } from '../kernel/json.js';
import { withoutUndefined, type SubjectUser } from './audit-event.js';
import { isSecretKey, REDACTED } from './redact.js';
import type { PatchOperationFact, ScimRequestFacts } from './scim-request-facts.js';

const MAX_VALUE_CHARS = 60;
const MAX_DESCRIBED_OPERATIONS = 10;

/** The person a User request is about: from what was sent, else from what the handler wrote; the id from the route. */
export function subjectUserOf({ operation, request, written }: ScimRequestFacts): SubjectUser | undefined {
  if (operation?.resourceType !== 'User') return undefined;
  const sent = subjectOfUserResource(request.body);
  const wrote = subjectOfUserResource(written);
  const subject = withoutUndefined({
    userName: sent.userName ?? wrote.userName,
    email: sent.email ?? wrote.email,
    directoryId: operation.resourceId ?? wrote.directoryId,
  });
  return Object.keys(subject).length ? subject : undefined;
}

/** The user name, primary email and id of a SCIM User resource. */
function subjectOfUserResource(resource: unknown): SubjectUser {
  const user = asObject(resource);
  return withoutUndefined({ userName: text(user?.userName), email: primaryEmail(user), directoryId: text(user?.id) });
}

/** The request in words: `PATCH user jane@contoso.com: active → false; members +3`. Never shows a secret. */
export function summarizeScimRequest(facts: ScimRequestFacts): string {
  const { request, operation } = facts;
  if (!operation?.resourceType) return `${request.method} ${request.url.split('?')[0]}`;
  const noun = operation.resourceType.toLowerCase();
  if (operation.action.endsWith('.List')) return [`${request.method} ${noun}s`, listCriteria(request.method === 'POST' ? asObject(request.body) ?? {} : request.query)].filter(Boolean).join(' ');
  const name = targetName(facts);
  const head = `${request.method} ${noun}${name ? ` ${name}` : ''}`;
  const changes = describeChanges(facts);
  return changes ? `${head}: ${changes}` : head;
}

function targetName({ operation, request, written }: ScimRequestFacts): string | undefined {
  const key = operation?.resourceType === 'User' ? 'userName' : 'displayName';
  return text(asObject(request.body)?.[key]) ?? text(written?.[key]) ?? operation?.resourceId;
}

function listCriteria(params: Record<string, unknown>): string {
  return ['filter', 'startIndex', 'count']
    .filter((key) => params[key] !== undefined && params[key] !== '')
    .map((key) => `${key} ${String(params[key])}`)
    .join(', ');
}

function describeChanges({ operation, request, patch }: ScimRequestFacts): string {
  if (operation?.action.endsWith('.Patch')) return patch ? describePatch(patch) : '';
  const body = asObject(request.body);
  if (body && (operation?.action.endsWith('.Create') || operation?.action.endsWith('.Replace'))) return describeResource(body);
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

function describePatch(operations: readonly PatchOperationFact[]): string {
  const members: MemberCounts = { added: 0, removed: 0 };
  const changes = operations.flatMap((operation) => describeOperation(operation, members));
  const shown = changes.slice(0, MAX_DESCRIBED_OPERATIONS);
  if (changes.length > shown.length) shown.push(`… ${changes.length - shown.length} more`);
  return [...shown, ...describeMembers(members)].join('; ');
}

function describeOperation({ op, path, value }: PatchOperationFact, members: MemberCounts): string[] {
  if (path === undefined) {
    const values = asObject(value) ?? {};
    return Object.entries(values).flatMap(([key, item]) => (isMembersPath(key) ? countMembers(op, key, item, members) : [`${key} → ${showValue(key, item)}`]));
  }
  if (isMembersPath(path)) return countMembers(op, path, value, members);
  if (op === 'remove') return [`${path} removed`];
  return [`${path} → ${showValue(path, value)}`];
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
