import { randomUUID } from 'node:crypto';
import type { AuditEventInput } from '../audit/audit-event.js';
import type { JsonObject } from '../kernel/json.js';
import type { WriteBackField } from './graph-attributes.js';

const ACTOR = { kind: 'system', subject: 'writeback' } as const;
const FIELD_NAMES: Record<WriteBackField, string> = { extension: 'extension', did: 'DID' };

/** Who a write-back was for: the voice user, and the Entra user it was written to. */
export interface WriteBackSubject {
  registrationId: string;
  voiceUserId?: string;
  userName: string;
  directoryUserId: string;
  /** The id used in `/users/{id}`: Entra object id (externalId) or the UPN. */
  entraUserId?: string;
}

/** TWO-1: Graph accepted the change. */
export function outboxDeliveredEvent(subject: WriteBackSubject, write: { fields: WriteBackField[]; body: JsonObject; changes: number; attempt: number }): AuditEventInput {
  return {
    ...base(subject),
    action: 'Outbox.Delivered',
    summary: `wrote ${fieldList(write.fields)} of ${subject.userName} back to Entra user ${subject.entraUserId} (${write.changes} change${write.changes > 1 ? 's' : ''}, attempt ${write.attempt})`,
    outcome: { status: 204, success: true },
    details: { entraUserId: subject.entraUserId ?? null, body: write.body, changes: write.changes, attempt: write.attempt },
  };
}

/** TWO-1: the attempt failed for a reason that passes (outage, throttling, set-up); it is kept and retried. */
export function outboxRetryEvent(subject: WriteBackSubject, retry: { fields: WriteBackField[]; reason: string; status?: number; attempt: number; retryAt: string }): AuditEventInput {
  return {
    ...base(subject),
    action: 'Outbox.Retry',
    summary: `could not write ${fieldList(retry.fields)} of ${subject.userName} back to Entra (attempt ${retry.attempt}): ${retry.reason}; kept, next attempt at ${retry.retryAt}`,
    outcome: { status: retry.status ?? 503, success: false, detail: retry.reason },
    details: { attempt: retry.attempt, retryAt: retry.retryAt, ...(subject.entraUserId ? { entraUserId: subject.entraUserId } : {}) },
  };
}

/** TWO-1: the change cannot be written back at all; support must act (the reason says how). */
export function outboxFailedEvent(subject: WriteBackSubject, failure: { fields: WriteBackField[]; reason: string; status?: number; changes: number }): AuditEventInput {
  return {
    ...base(subject),
    action: 'Outbox.Failed',
    summary: `${fieldList(failure.fields)} of ${subject.userName} not written back to Entra: ${failure.reason}`,
    outcome: { status: failure.status ?? 422, success: false, detail: failure.reason },
    details: { changes: failure.changes, ...(subject.entraUserId ? { entraUserId: subject.entraUserId } : {}) },
  };
}

/** TWO-1: a registration's whole backlog dropped, because it ended or went back to one-way. */
export function outboxDroppedEvent(registrationId: string, changes: number, reason: string): AuditEventInput {
  return {
    registrationId,
    correlationId: randomUUID(),
    actor: ACTOR,
    action: 'Outbox.Failed',
    summary: `${changes} pending write-back change${changes > 1 ? 's' : ''} dropped: ${reason}`,
    outcome: { status: 410, success: false, detail: reason },
    rule: 'TWO-1',
    details: { changes },
  };
}

function base(subject: WriteBackSubject) {
  return {
    registrationId: subject.registrationId,
    correlationId: randomUUID(),
    actor: ACTOR,
    resourceType: 'VoiceUser',
    ...(subject.voiceUserId ? { resourceId: subject.voiceUserId } : {}),
    subjectUser: { userName: subject.userName, directoryId: subject.directoryUserId },
    rule: 'TWO-1',
  };
}

function fieldList(fields: readonly WriteBackField[]): string {
  return fields.map((field) => FIELD_NAMES[field]).join(' and ');
}
