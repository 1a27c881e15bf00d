import { randomUUID } from 'node:crypto';
import type { RetentionRecord, VoiceUserRecord } from '../portal/portal-port.js';
import type { AuditActor, AuditEventInput } from './audit-event.js';
import type { AuditRecorder } from './recorder.js';
import { showValue } from './scim-summary.js';
import { AUDITED_FIELDS, type VoiceUserField } from '../domain/voice-user-fields.js';
import type { VoiceUserChange } from '../domain/types.js';


/** Where a change comes from: a reconcile run (system) or the portal admin API (admin). */
export interface VoiceAuditContext {
  correlationId?: string;
  runId?: string;
  actor?: AuditActor;
}

export type { VoiceUserChange };

const RECONCILE_ACTOR: AuditActor = { kind: 'system', subject: 'reconcile' };

/**
 * A voice-user change as an audit event (AUD-1): the mapped fields that changed, before and
 * after, the rule that caused it, and the run it belongs to. A hand-made user taken over by a
 * directory user (DEL-6) is a Link.
 */
export function voiceUserChangeEvent(registrationId: string, { before, after, note }: VoiceUserChange, rule: string, context: VoiceAuditContext = {}): AuditEventInput {
  const user = (after ?? before)!;
  const fields = before && after ? AUDITED_FIELDS.filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field])) : presentFields(user);
  const action = !before ? 'VoiceUser.Create' : !after ? 'VoiceUser.Delete' : before.origin === 'portal' && after.origin === 'provisioned' ? 'VoiceUser.Link' : 'VoiceUser.Update';
  const verb = { 'VoiceUser.Create': 'create', 'VoiceUser.Delete': 'delete', 'VoiceUser.Link': 'link', 'VoiceUser.Update': 'update' }[action];
  const changes = before && after ? fields.map((field) => `${field} ${showValue(field, before[field])} → ${showValue(field, after[field])}`) : [];
  return {
    ...base(registrationId, context),
    action,
    resourceType: 'VoiceUser',
    resourceId: user.id,
    subjectUser: subjectOf(user),
    summary: `${verb} voice user ${user.userName}${changes.length ? `: ${changes.join('; ')}` : ''}${note ? ` — ${note}` : ''}`,
    outcome: { status: 200, success: true },
    rule,
    details: { ...(before ? { before: pick(before, fields) } : {}), ...(after ? { after: pick(after, fields) } : {}), ...(note ? { note } : {}) },
  };
}

/** DEL-4: the retention period of a deleted voice user ended; its voicemails and recordings went. */
export function recordingsPurgedEvent(record: RetentionRecord): AuditEventInput {
  return {
    registrationId: record.registrationId,
    correlationId: randomUUID(),
    actor: { kind: 'system', subject: 'recordings-purge' },
    action: 'VoiceUser.RecordingsPurged',
    resourceType: 'VoiceUser',
    resourceId: record.voiceUserId,
    subjectUser: { userName: record.userName },
    summary: `voicemails and recordings of ${record.userName} purged: deleted ${record.deletedAt.slice(0, 10)}, kept until ${record.purgeAfter.slice(0, 10)}`,
    outcome: { status: 200, success: true },
    rule: 'DEL-4',
    details: { deletedAt: record.deletedAt, purgeAfter: record.purgeAfter },
  };
}

/** SYNC-5: a user the run could not provision, with a message a support agent understands. */
export function voiceUserErrorEvent(
  registrationId: string,
  error: { userName: string; email?: string; directoryId?: string; message: string; rule?: string },
  context: VoiceAuditContext = {},
): AuditEventInput {
  const message = withoutLeadingName(error.message, error.userName);
  return {
    ...base(registrationId, context),
    action: 'VoiceUser.Error',
    resourceType: 'VoiceUser',
    subjectUser: { userName: error.userName, ...(error.email ? { email: error.email } : {}), ...(error.directoryId ? { directoryId: error.directoryId } : {}) },
    summary: `${error.userName} not provisioned: ${message}`,
    outcome: { status: 422, success: false, detail: message },
    ...(error.rule ? { rule: error.rule } : {}),
  };
}

/** One reconcile run: its trigger, whether it was a dry run, its counts and how many users failed. */
export function reconcileRunEvent(
  registrationId: string,
  run: { trigger: 'just-in-time' | 'on-demand' | 'batched'; dryRun: boolean; counts: Record<string, number>; errors: number; durationMs: number; stopped?: string },
  context: VoiceAuditContext = {},
): AuditEventInput {
  const counts = Object.entries({ ...run.counts, error: run.errors })
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${kind}${kind === 'error' && count > 1 ? 's' : ''}`);
  return {
    ...base(registrationId, context),
    action: 'Reconcile.Run',
    summary: run.stopped
      ? `reconcile (${run.trigger}) stopped part-way (${run.stopped}) after ${counts.join(', ') || 'no change'}; run it again to finish`
      : `reconcile (${run.trigger}${run.dryRun ? ', dry run' : ''}): ${counts.join(', ') || 'nothing to change'}`,
    outcome: run.stopped ? { status: 503, success: false } : { status: run.errors ? 207 : 200, success: run.errors === 0 },
    durationMs: run.durationMs,
    details: { trigger: run.trigger, dryRun: run.dryRun, counts: run.counts, errors: run.errors, ...(run.stopped ? { stopped: run.stopped } : {}) },
  };
}

/** For the portal service's `onChange`: records each change and waits when the audit queue is full. */
export function recordVoiceUserChanges(recorder: AuditRecorder, context: VoiceAuditContext = {}) {
  return (registrationId: string, change: VoiceUserChange, rule: string): Promise<void> => recorder.record(voiceUserChangeEvent(registrationId, change, rule, context));
}

/** Messages that already start with the user's name would name them twice in the summary. */
function withoutLeadingName(message: string, userName: string): string {
  return message.startsWith(`${userName}: `) ? message.slice(userName.length + 2) : message;
}

function base(registrationId: string, context: VoiceAuditContext) {
  return {
    registrationId,
    correlationId: context.correlationId ?? randomUUID(),
    actor: context.actor ?? RECONCILE_ACTOR,
    ...(context.runId ? { runId: context.runId } : {}),
  };
}

function presentFields(user: VoiceUserRecord): VoiceUserField[] {
  return AUDITED_FIELDS.filter((field) => user[field] !== undefined);
}

function pick(user: VoiceUserRecord, fields: readonly VoiceUserField[]) {
  return Object.fromEntries(fields.filter((field) => user[field] !== undefined).map((field) => [field, user[field]!]));
}

function subjectOf(user: VoiceUserRecord) {
  return { userName: user.userName, email: user.primaryEmail, ...(user.directoryUserId ? { directoryId: user.directoryUserId } : {}) };
}
