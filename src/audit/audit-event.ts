import { randomBytes } from 'node:crypto';
import type { JsonObject } from '../kernel/json.js';

/**
 * Every action the audit trail knows, as stable `Noun.Verb` keys. Closed on purpose: search
 * validates action names against it, so a typo is a 400 rather than an empty result.
 */
export const AUDIT_ACTIONS = [
  'User.Create',
  'User.Replace',
  'User.Patch',
  'User.Delete',
  'User.Read',
  'User.List',
  'Group.Create',
  'Group.Replace',
  'Group.Patch',
  'Group.Delete',
  'Group.Read',
  'Group.List',
  'Discovery.Read',
  'Scim.Request',
  'Auth.Refused',
  'VoiceUser.Create',
  'VoiceUser.Update',
  'VoiceUser.Delete',
  'VoiceUser.Link',
  'VoiceUser.Error',
  'VoiceUser.RecordingsPurged',
  'Reconcile.Run',
  'Reconcile.Start',
  'Outbox.Delivered',
  'Outbox.Retry',
  'Outbox.Failed',
  'Support.Login',
  'Support.LoginFailed',
  'Support.Logout',
  'SupportAccount.Create',
  'SupportAccount.Delete',
  'SupportAccount.SetPassword',
  'Registration.Create',
  'Registration.Update',
  'Registration.Delete',
  'Registration.AddCertificate',
  'Registration.RemoveCertificate',
  'Registration.AddToken',
  'Registration.RevokeToken',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const ACTOR_KINDS = ['client-certificate', 'bearer-token', 'entra-jwt', 'support', 'admin', 'system', 'anonymous'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** Who acted: an identity, never a secret (AUD-3). */
export interface AuditActor {
  kind: ActorKind;
  /** Certificate subject, token id, JWT subject, support account name, 'admin' or the subsystem. */
  subject: string;
  fingerprint256?: string;
  tokenId?: string;
}

/** The directory / voice user an event is about, so that support can search by person. */
export interface SubjectUser {
  userName?: string;
  email?: string;
  directoryId?: string;
}

export interface AuditOutcome {
  status: number;
  success: boolean;
  scimType?: string;
  detail?: string;
}

export interface AuditEvent {
  /** Sortable: ids made in the same millisecond keep their order. */
  id: string;
  /** ISO 8601, UTC, millisecond precision. */
  time: string;
  registrationId?: string;
  correlationId: string;
  actor: AuditActor;
  action: AuditAction;
  resourceType?: string;
  resourceId?: string;
  subjectUser?: SubjectUser;
  /** The operation in words, e.g. `PATCH user jane@contoso.com: active → false; members +3`. */
  summary: string;
  outcome: AuditOutcome;
  durationMs?: number;
  /** The domain rule that caused the change, e.g. `DEL-2`. */
  rule?: string;
  /** The reconcile run or plan this event belongs to. */
  runId?: string;
  /** Before/after of mapped fields, per-user errors, the request as sent (redacted). */
  details?: JsonObject;
}

/** What a producer hands to the recorder: id and time are filled in when missing. */
export type AuditEventInput = Omit<AuditEvent, 'id' | 'time'> & Partial<Pick<AuditEvent, 'id' | 'time'>>;

export function isAuditAction(value: string): value is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(value);
}

let lastMillis = 0;
let sequence = 0;
/** Makes ids unique across processes; drawn once because a random draw per event costs a system call. */
const PROCESS_TAG = randomBytes(6).toString('hex');

/** Time-ordered id: 12 hex digits of milliseconds, a per-process sequence, then this process's tag. */
export function newAuditEventId(now = Date.now()): string {
  sequence = now === lastMillis ? sequence + 1 : 0;
  lastMillis = now;
  return `${now.toString(16).padStart(12, '0')}${sequence.toString(16).padStart(6, '0')}${PROCESS_TAG}`;
}

export function completeAuditEvent({ id, time, ...rest }: AuditEventInput): AuditEvent {
  return { id: id ?? newAuditEventId(), time: new Date(time ?? Date.now()).toISOString(), ...rest };
}

/** The lower-case search keys of an event's subject (no collations: FerretDB has none). */
export function subjectKeys(event: AuditEvent): { userName?: string; email?: string; directoryId?: string } {
  const lower = (value: string | undefined) => (value ? value.toLowerCase() : undefined);
  return { userName: lower(event.subjectUser?.userName), email: lower(event.subjectUser?.email), directoryId: lower(event.subjectUser?.directoryId) };
}

/** A copy without the keys whose value is undefined (optional fields stay absent in stored JSON). */
export function withoutUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) result[key] = item;
  return result as { [K in keyof T]: Exclude<T[K], undefined> };
}
