import type { AuditEventInput } from '../audit/audit-event.js';
import { newAuditEventId } from '../audit/audit-event.js';
import type { Logger } from '../log/logger.js';
import type { RegistrationSettings, WriteBackSettings } from '../registrations/settings.js';
import type { JsonObject } from '../kernel/json.js';
import type { UserRecord } from '../directory/directory-port.js';
import type { VoiceUserRecord } from '../portal/portal-port.js';
import { retryDelayMs, type BackoffPolicy } from './backoff.js';
import { graphPatchBody, WRITE_BACK_FIELDS, type WriteBackField } from './graph-attributes.js';
import { graphAnswerOf, type GraphClient } from './graph-client.js';
import { isAppError, type AppError } from '../kernel/app-error.js';
import type { OutboxEntry, WriteBackStore } from './outbox.js';
import type { JobRunner, Schedule } from '../jobs/job-runner.js';
import { systemClock, type Clock } from '../kernel/clock.js';
import { outboxDeliveredEvent, outboxDroppedEvent, outboxFailedEvent, outboxRetryEvent, type WriteBackSubject } from './outbox-audit.js';

/** What the portal and the reconciliation wrap a voice-user write in (TWO-1). */
export interface WriteBackRecorder {
  /**
   * Runs `write` (which stores `after` over `before`, or inserts it). When a two-way
   * registration's linked voice user gets a new extension or DID, an outbox entry is recorded
   * first, removed again if the write fails, and a drain is started once it succeeded.
   */
  writing<T>(registrationId: string, before: VoiceUserRecord | undefined, after: VoiceUserRecord, write: () => Promise<T>): Promise<T>;
}

export const NO_WRITE_BACK: WriteBackRecorder = { writing: (_registrationId, _before, _after, write) => write() };

export interface WriteBackDeps {
  store: WriteBackStore;
  /** Runs the drain on its schedule, under its lease (renewed while it lasts). */
  jobs: JobRunner;
  clock?: Clock;
  graph: GraphClient;
  /** Settings of an active registration; undefined once it has ended. */
  settingsOf(registrationId: string): Promise<RegistrationSettings | undefined>;
  audit(event: AuditEventInput): Promise<void>;
  logger: Logger;
  drainIntervalMs: number;
  backoff: BackoffPolicy;
  /** Longest a Graph call may take; the drain lease outlives a few of them. */
  graphTimeoutMs: number;
  /** An entry whose change never landed (its write failed) is sent anyway after this long. */
  landingGraceMs?: number;
}

export interface WriteBackBacklog {
  registrationId: string;
  pending: number;
  oldestRecordedAt?: string;
  oldestAgeSeconds?: number;
  nextAttemptAt?: string;
  attempts?: number;
  lastError?: string;
}

const LEASE = 'writeback-drain';
const BATCH = 200;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Delivery = 'delivered' | 'dropped' | 'waiting' | 'held-back';

/**
 * TWO-1 write-back through an outbox. Recording happens before the voice-user write, so a crash
 * in between leaves an entry whose delivery sends the portal's unchanged values (harmless), never
 * a change without an entry. One instance drains at a time (the job runner's lease); users are
 * taken in the order their changes were recorded, and each user's pending changes go as one PATCH
 * with the values the portal holds then. A failure that passes (outage, 429/503, set-up) holds the
 * whole registration back, with exponential backoff and jitter or Graph's Retry-After; nothing is
 * dropped for it. A change Graph refuses for that user (404, 400) is dropped and audited as failed.
 */
export function createWriteBack({ store, jobs, clock = systemClock, graph, settingsOf, audit, logger, drainIntervalMs, backoff, graphTimeoutMs, landingGraceMs = 60_000 }: WriteBackDeps) {
  // Renewed every third of it while a drain lasts: longer than a Graph call, however slow.
  const leaseTtlMs = 3 * graphTimeoutMs + 10_000;
  let drain: Schedule | undefined;

  async function writing<T>(registrationId: string, before: VoiceUserRecord | undefined, after: VoiceUserRecord, write: () => Promise<T>): Promise<T> {
    const entry = await record(registrationId, before, after);
    if (!entry) return write();
    let written: T;
    try {
      written = await write();
    } catch (error) {
      // The change did not happen. Were this removal lost too (a crash), the entry would only
      // re-send the current values after the landing grace.
      await store.outbox.remove(registrationId, [entry.id]).catch(() => undefined);
      throw error;
    }
    kick();
    return written;
  }

  async function record(registrationId: string, before: VoiceUserRecord | undefined, after: VoiceUserRecord): Promise<OutboxEntry | undefined> {
    const fields = changedFields(before, after);
    if (fields.length === 0) return undefined;
    // MAP-8: one-way registrations never write back.
    if ((await settingsOf(registrationId))?.syncDirection !== 'two-way') return undefined;
    const now = new Date(clock.now()).toISOString();
    const entry: OutboxEntry = {
      id: newAuditEventId(),
      registrationId,
      directoryUserId: after.directoryUserId!,
      voiceUserId: after.id,
      userName: after.userName,
      fields,
      // A replace bumps the version; an insert (also a DEL-5 recreate under a new id) keeps it.
      landsAtVersion: before?.id === after.id ? before.version + 1 : after.version,
      recordedAt: now,
      attempts: 0,
      nextAttemptAt: now,
    };
    await store.outbox.add(entry);
    return entry;
  }

  /** One pass over every registration with pending changes, under the drain lease; another instance draining refuses it. */
  async function drainOnce(): Promise<void> {
    const registrations = await store.outbox.registrationsWithPending();
    if (registrations.length === 0) return;
    await jobs.exclusively(LEASE, leaseTtlMs, async (lost) => {
      for (const registrationId of registrations) {
        if (!(await drainRegistration(registrationId, lost))) return;
      }
    });
  }

  /** Returns false when the lease was lost (another instance drains now). */
  async function drainRegistration(registrationId: string, lost: AbortSignal): Promise<boolean> {
    const settings = await settingsOf(registrationId);
    if (settings?.syncDirection !== 'two-way' || !settings.writeBack) {
      await dropAll(registrationId, settings ? 'the registration is one-way now (MAP-8)' : 'the registration has ended (REG-4)');
      return true;
    }
    for (;;) {
      const batch = await store.outbox.pending(registrationId, BATCH);
      // The oldest entry gates the registration: held back by backoff or Retry-After, all wait.
      if (batch.length === 0 || Date.parse(batch[0]!.nextAttemptAt) > clock.now()) return true;
      let progressed = false;
      for (const directoryUserId of new Set(batch.map((entry) => entry.directoryUserId))) {
        if (lost.aborted) return false;
        const delivery = await deliverUser(registrationId, settings.writeBack, directoryUserId);
        if (delivery === 'held-back') return true;
        progressed ||= delivery !== 'waiting';
      }
      if (!progressed) return true;
    }
  }

  async function deliverUser(registrationId: string, target: WriteBackSettings, directoryUserId: string): Promise<Delivery> {
    const [entries, [voiceUser], directoryUser] = await Promise.all([
      store.outbox.pendingOf(registrationId, directoryUserId),
      store.voiceUsers.findByDirectoryUsers(registrationId, [directoryUserId]),
      store.users.get(registrationId, directoryUserId),
    ]);
    const ready = entries.filter((entry) => (voiceUser && hasLanded(entry, voiceUser)) || clock.now() - Date.parse(entry.recordedAt) > landingGraceMs);
    if (ready.length === 0) return 'waiting';
    const fields = WRITE_BACK_FIELDS.filter((field) => ready.some((entry) => entry.fields.includes(field)));
    const ids = ready.map((entry) => entry.id);
    const subject: WriteBackSubject = { registrationId, voiceUserId: voiceUser?.id ?? ready[0]!.voiceUserId, userName: voiceUser?.userName ?? ready[0]!.userName, directoryUserId };
    if (!voiceUser || !directoryUser) {
      await store.outbox.remove(registrationId, ids);
      await audit(outboxFailedEvent(subject, { fields, changes: ids.length, reason: !directoryUser ? 'the user was deleted from the directory (nothing to write to)' : 'the voice user was deleted (nothing to write)' }));
      return 'dropped';
    }
    const entraUserId = entraUserIdOf(directoryUser);
    const body = graphPatchBody(voiceUser, { extension: target.extensionAttribute, did: target.didAttribute }, fields);
    const attempt = Math.max(...ready.map((entry) => entry.attempts)) + 1;
    try {
      await graph.patchUser(target, entraUserId, body);
    } catch (error) {
      if (!isAppError(error, 'graph')) throw error;
      return failed(registrationId, { ...subject, entraUserId }, ready, fields, attempt, error);
    }
    await store.outbox.remove(registrationId, ids);
    await audit(outboxDeliveredEvent({ ...subject, entraUserId }, { fields, body: body as JsonObject, changes: ids.length, attempt }));
    return 'delivered';
  }

  async function failed(registrationId: string, subject: WriteBackSubject, ready: OutboxEntry[], fields: WriteBackField[], attempt: number, error: AppError): Promise<Delivery> {
    const ids = ready.map((entry) => entry.id);
    const answer = graphAnswerOf(error);
    if (error.code === 'graph.refused') {
      await store.outbox.remove(registrationId, ids);
      await audit(outboxFailedEvent(subject, { fields, changes: ids.length, reason: error.message, status: answer.status }));
      return 'dropped';
    }
    const retryAt = new Date(clock.now() + retryDelayMs(attempt, backoff, answer.retryAfterMs)).toISOString();
    await store.outbox.recordFailure(registrationId, ids, error.message);
    await store.outbox.postpone(registrationId, retryAt);
    await audit(outboxRetryEvent(subject, { fields, reason: error.message, status: answer.status, attempt, retryAt }));
    logger.warn('write-back held back', { event: 'writeback.retry', registrationId, attempt, retryAt, reason: error.message });
    return 'held-back';
  }

  async function dropAll(registrationId: string, reason: string): Promise<void> {
    const dropped = await store.outbox.deleteAll(registrationId);
    if (dropped > 0) await audit(outboxDroppedEvent(registrationId, dropped, reason));
  }

  /** What support and metrics see: how many changes wait, since when, and why. */
  async function backlog(registrationId: string): Promise<WriteBackBacklog> {
    const { pending, oldest } = await store.outbox.backlog(registrationId);
    if (!oldest) return { registrationId, pending };
    return {
      registrationId,
      pending,
      oldestRecordedAt: oldest.recordedAt,
      oldestAgeSeconds: Math.max(0, Math.round((clock.now() - Date.parse(oldest.recordedAt)) / 1000)),
      nextAttemptAt: oldest.nextAttemptAt,
      attempts: oldest.attempts,
      ...(oldest.lastError ? { lastError: oldest.lastError } : {}),
    };
  }

  /** Every registration with a backlog (for metrics: pending count and oldest age per registration). */
  async function backlogs(): Promise<WriteBackBacklog[]> {
    return Promise.all((await store.outbox.registrationsWithPending()).map(backlog));
  }

  /** A drain now (after the one in progress, if any); before start() the first scheduled drain will do. */
  function kick(): void {
    drain?.runNow();
  }

  return {
    writing,
    backlog,
    backlogs,
    /** Drains now and every `drainIntervalMs`; the job runner's stop() ends it (the shutdown drain). */
    start(): void {
      drain = jobs.schedule(LEASE, drainIntervalMs, drainOnce);
    },
  };
}

export type WriteBack = ReturnType<typeof createWriteBack>;

/**
 * The extension/DID fields to write back for this change: only for a voice user linked to a
 * directory user; all it holds when it has just been linked (DEL-6), else those that changed.
 */
export function changedFields(before: VoiceUserRecord | undefined, after: VoiceUserRecord): WriteBackField[] {
  if (!after.directoryUserId) return [];
  const newlyLinked = before?.directoryUserId !== after.directoryUserId;
  return WRITE_BACK_FIELDS.filter((field) => (newlyLinked ? after[field] !== undefined : before?.[field] !== after[field]));
}

/** The change is in the voice user: it reached the entry's version, or was recreated since (DEL-5). */
function hasLanded(entry: OutboxEntry, voiceUser: VoiceUserRecord): boolean {
  return voiceUser.id !== entry.voiceUserId || voiceUser.version >= entry.landsAtVersion;
}

/**
 * `/users/{id}` accepts the Entra object id or the UPN. Entra sends the object id as the SCIM
 * `externalId` when the app's mapping says `objectId → externalId`; anything else there (e.g. the
 * mailNickname) is not a Graph key, so the userName (the UPN) is used.
 */
export function entraUserIdOf(user: UserRecord): string {
  return user.externalId && GUID.test(user.externalId) ? user.externalId : user.userName;
}
