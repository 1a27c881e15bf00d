import { randomUUID } from 'node:crypto';
import pMap from 'p-map';
import { isAppError } from '../kernel/app-error.js';
import { conflictingField } from '../kernel/store-errors.js';
import { type RetentionRecord, type VoiceUserRecord } from '../portal/portal-port.js';
import type { ReconcileStore } from './reconcile-port.js';
import { computeDesiredState } from '../domain/desired-state.js';
import { planReconciliation } from '../domain/plan.js';
import type { Plan, PlanRow } from '../domain/plan-row.js';
import { retentionEndsAt, type RetentionPeriod } from '../domain/retention.js';
import type { Directory, DesiredVoiceUser, JsonMap, ReconcileSettings, VoiceUserChange } from '../domain/types.js';
import type { PortalNumbers } from '../domain/location-move.js';
import { NO_LICENSES, usageOf, type LicensePolicy } from '../domain/licenses.js';
import { type LicenseSeats } from '../portal/license-seats.js';
import { NO_WRITE_BACK, type WriteBackRecorder } from '../writeback/write-back-service.js';

export type ReconcileTrigger = 'just-in-time' | 'on-demand' | 'batched';

export interface ReconcileError {
  userName: string;
  rule: string;
  message: string;
  directoryUserId?: string;
}

export interface ReconcileReport {
  runId: string;
  registrationId: string;
  trigger: ReconcileTrigger;
  dryRun: boolean;
  counts: Record<PlanRow['kind'], number>;
  errors: ReconcileError[];
  /** The plan itself (a dry run's answer; kept for an applied run too). */
  plan: PlanRow[];
  durationMs: number;
  correlationId?: string;
  /** Why the run stopped part-way (a database error); what was applied stays applied (SYNC-4). */
  stopped?: string;
}

/** Which run a change belongs to, and the SCIM request that caused it (just-in-time). */
export interface RunContext {
  runId: string;
  correlationId?: string;
}

export interface ReconcileObserver {
  voiceUserChanged(registrationId: string, change: VoiceUserChange, rule: string, run: RunContext): void;
  userFailed(registrationId: string, error: ReconcileError, run: RunContext): void;
  runFinished(report: ReconcileReport): void;
}

export interface RegistrationSettingsSource {
  /** Settings of an active registration, or undefined; `ended` for a registration being terminated. */
  settingsOf(registrationId: string): Promise<(ReconcileSettings & { recordingRetention: RetentionPeriod; licensing: LicensePolicy }) | undefined>;
}

export interface ReconcileServiceDeps {
  store: ReconcileStore;
  registrations: RegistrationSettingsSource;
  observer?: ReconcileObserver;
  /** Shared with the portal's own licence edits, so both count seats under one lock. */
  seats: LicenseSeats;
  /** The store's calls are round trips that overlap well (its capability): rows are then applied a few at a time. */
  parallelWrites?: boolean;
  /** TWO-1: a linked (DEL-6) or created voice user with an extension/DID is written back to Entra. */
  writeBack?: WriteBackRecorder;
}

/**
 * Desired state (domain) against the voice users (store), applied row by row: deletions first,
 * then the rest. Every row is a single-document write and the plan is recomputed from what is
 * stored on every run, so a run cut short finishes cleanly when run again (SYNC-4). A row that
 * fails is a per-user error; the others go on (SYNC-5). A database error stops the run.
 */
export function createReconcileService({ store, registrations, observer, seats, parallelWrites = false, writeBack = NO_WRITE_BACK }: ReconcileServiceDeps) {
  async function reconcileRegistration(registrationId: string, options: { trigger: ReconcileTrigger; dryRun: boolean; onProgress?: (done: number, total: number) => void }): Promise<ReconcileReport> {
    const settings = await requireSettings(registrationId);
    return execute(registrationId, (await planFor(registrationId, settings)).plan, settings, options);
  }

  /** What a whole-registration Reconcile would do now, without doing it or recording a run. */
  async function planFor(registrationId: string, settings?: Awaited<ReturnType<typeof requireSettings>>) {
    const current = settings ?? (await requireSettings(registrationId));
    const [directory, voiceUsers] = await Promise.all([loadDirectory(registrationId), store.voiceUsers.list(registrationId)]);
    const licenses = { policy: current.licensing, usage: usageOf(current.licensing, voiceUsers) };
    const desired = computeDesiredState(directory, current);
    return { directory, voiceUsers, desired, plan: planReconciliation(desired, voiceUsers, { licenses, locationNumbers: current.locationNumbers }) };
  }

  /**
   * Just-in-time (SYNC-1): only the directory users a SCIM write touched, read in batches: the
   * same few round trips for one user or a thousand. `settings` as the request already read them.
   */
  async function reconcileUsers(registrationId: string, directoryUserIds: string[], correlationId?: string, given?: Awaited<ReturnType<typeof requireSettings>>): Promise<ReconcileReport> {
    const settings = given ?? (await requireSettings(registrationId));
    const ids = new Set(directoryUserIds);
    const [directory, linked] = await Promise.all([loadUsers(registrationId, [...ids]), store.voiceUsers.findByDirectoryUsers(registrationId, [...ids])]);
    const desired = computeDesiredState(directory, settings);
    const matchable = await handMadeMatches(registrationId, desired);
    const licenses = { policy: settings.licensing, usage: await seats.inUse(registrationId, settings.licensing, settings.licensing.assignOnCreate) };
    const plan = planReconciliation(desired, [...linked, ...matchable], { onlyDirectoryUsers: ids, licenses, locationNumbers: settings.locationNumbers });
    return execute(registrationId, plan, settings, { trigger: 'just-in-time', dryRun: false, correlationId });
  }

  /** REG-4: every provisioned voice user of an ended registration goes; retention applies. */
  async function removeAllVoiceUsers(registrationId: string, dryRun: boolean): Promise<number> {
    const voiceUsers = await store.voiceUsers.list(registrationId);
    const plan = planReconciliation(new Map(), voiceUsers, { registrationEnded: true });
    const settings = await registrations.settingsOf(registrationId);
    const report = await execute(registrationId, plan, { recordingRetention: settings?.recordingRetention ?? '1-year', licensing: NO_LICENSES }, { trigger: 'on-demand', dryRun });
    return report.counts.delete;
  }

  async function requireSettings(registrationId: string) {
    const settings = await registrations.settingsOf(registrationId);
    if (!settings) throw new Error(`registration ${registrationId} is not active`);
    return settings;
  }

  async function loadDirectory(registrationId: string): Promise<Directory> {
    const [users, groups, memberships] = await Promise.all([store.users.listAll(registrationId), store.groups.listAll(registrationId), store.groups.allMemberships(registrationId)]);
    return { users: users.map((u) => ({ id: u.id, resource: u.resource as JsonMap })), groups, memberships };
  }

  /** The touched users, their memberships and those groups: three reads whatever their number. */
  async function loadUsers(registrationId: string, ids: string[]): Promise<Directory> {
    const [users, memberships] = await Promise.all([store.users.getMany(registrationId, ids), store.groups.groupsOfUsers(registrationId, ids)]);
    const groupIds = [...new Set(memberships.map((membership) => membership.groupId))];
    const groups = groupIds.length > 0 ? await store.groups.getMany(registrationId, groupIds) : [];
    return { users: users.map((u) => ({ id: u.id, resource: u.resource as JsonMap })), groups, memberships };
  }

  /** DEL-6 candidates for just-in-time: hand-made voice users with a desired user's primary email. */
  async function handMadeMatches(registrationId: string, desired: ReturnType<typeof computeDesiredState>): Promise<VoiceUserRecord[]> {
    const emails = [...desired.values()].flatMap((verdict) => (verdict.kind === 'desired' ? [verdict.user.primaryEmail] : []));
    const found = emails.length > 0 ? await store.voiceUsers.findByPrimaryEmails(registrationId, emails) : [];
    return found.filter((v) => v.origin === 'portal' && !v.directoryUserId);
  }

  async function execute(
    registrationId: string,
    plan: Plan,
    settings: ApplySettings,
    { trigger, dryRun, onProgress, correlationId }: { trigger: ReconcileTrigger; dryRun: boolean; onProgress?: (done: number, total: number) => void; correlationId?: string },
  ): Promise<ReconcileReport> {
    const started = Date.now();
    const run: RunContext = { runId: randomUUID(), ...(correlationId ? { correlationId } : {}) };
    const counts = { create: 0, update: 0, link: 0, recreate: 0, delete: 0, error: 0 };
    const errors: ReconcileError[] = [];
    const fail = (error: ReconcileError) => {
      errors.push(error);
      counts.error++;
      if (!dryRun) observer?.userFailed(registrationId, error, run);
    };
    let done = 0;
    const moves = dryRun ? new Map<string, RetentionRecord>() : await movesCutShort(registrationId, plan.rows);
    const handle = async (row: PlanRow) => {
      if (row.kind === 'error') fail({ userName: row.userName, rule: row.rule, message: row.message, directoryUserId: row.directoryUserId });
      else if (dryRun) counts[row.kind]++;
      else {
        const applied = await applyRow(registrationId, row, settings, run, moves).catch((error: unknown) => describeFailure(row, error));
        if (applied === true) counts[row.kind]++;
        else fail(applied);
      }
      onProgress?.(++done, plan.rows.length);
      await yieldNowAndThen();
    };
    // Deletions first, all of them, so what they free is free. Rows touch different voice users, so
    // where calls are round trips that overlap (the store's capability) a few run at once.
    const concurrency = parallelWrites ? PARALLEL_APPLY_CONCURRENCY : 1;
    const finished = (stopped?: string): ReconcileReport => {
      const report: ReconcileReport = { ...run, registrationId, trigger, dryRun, counts, errors, plan: plan.rows, durationMs: Date.now() - started, ...(stopped ? { stopped } : {}) };
      observer?.runFinished(report);
      return report;
    };
    try {
      await pMap(plan.rows.filter((row) => row.kind === 'delete'), handle, { concurrency });
      await pMap(plan.rows.filter((row) => row.kind !== 'delete'), handle, { concurrency });
    } catch (error) {
      // Support staff see the run stopped, and what it had done; the caller gets the error.
      finished((error as Error).message);
      throw error;
    }
    return finished();
  }

  async function applyRow(registrationId: string, row: Exclude<PlanRow, { kind: 'error' }>, { recordingRetention: retention, licensing }: ApplySettings, run: RunContext, moves: Map<string, RetentionRecord>): Promise<true> {
    const changed = (change: VoiceUserChange) => observer?.voiceUserChanged(registrationId, change, row.rule, run);
    /** TWO-1: a new extension/DID of a linked voice user is recorded for write-back with its write. */
    const writingBack = (before: VoiceUserRecord | undefined, next: VoiceUserRecord, write: () => Promise<VoiceUserRecord>) => writeBack.writing(registrationId, before, next, write);
    switch (row.kind) {
      case 'create': {
        const { licenses, numbers } = whatAMoveCarries(row, moves.get(row.desired.directoryUserId));
        const next = { ...newVoiceUser(registrationId, row.desired), licenses, ...numbers };
        changed({ after: await writingBack(undefined, next, () => seats.withFreeSeats(registrationId, licensing, licenses, () => store.voiceUsers.insert(next))) });
        return true;
      }
      case 'update':
      case 'link': {
        const before = await store.voiceUsers.get(registrationId, row.voiceUserId);
        if (!before) return true;
        const next = { ...before, ...mapped(row.desired), origin: 'provisioned' as const, directoryUserId: row.desired.directoryUserId, updatedAt: now() };
        const after = await writingBack(before, next, () => store.voiceUsers.replace(next, before.version));
        changed({ before, after });
        return true;
      }
      case 'recreate': {
        const removed = await removeWithRetention(registrationId, row.voiceUserId, retention, { movedTo: row.desired.locationId, carried: row.carried });
        const next = { ...newVoiceUser(registrationId, row.desired), licenses: removed?.before.licenses ?? [], ...row.carried };
        // Against the user it replaces: a DID the new location could not keep is cleared in Entra too.
        const after = await writingBack(removed?.before, next, () => store.voiceUsers.insert(next));
        if (removed) changed({ before: removed.before, note: keptUntil(removed.purgeAfter) });
        changed({ after, ...(row.notice ? { note: row.notice } : {}) });
        return true;
      }
      case 'delete': {
        const removed = await removeWithRetention(registrationId, row.voiceUserId, retention);
        if (removed) changed({ before: removed.before, note: keptUntil(removed.purgeAfter) });
        return true;
      }
    }
  }

  /**
   * DEL-4: the retention record is written before the voice user goes, so a crash in between loses
   * nothing. For a DEL-5 move it also notes where the user went and the licences it held.
   */
  async function removeWithRetention(registrationId: string, voiceUserId: string, retention: RetentionPeriod, move?: { movedTo: string; carried: PortalNumbers }): Promise<{ before: VoiceUserRecord; purgeAfter: string } | null> {
    const before = await store.voiceUsers.get(registrationId, voiceUserId);
    if (!before) return null;
    const deletedAt = new Date();
    const purgeAfter = retentionEndsAt(deletedAt, retention).toISOString();
    await store.retention.add({
      id: before.id,
      registrationId,
      voiceUserId: before.id,
      userName: before.userName,
      deletedAt: deletedAt.toISOString(),
      purgeAfter,
      ...(before.directoryUserId ? { directoryUserId: before.directoryUserId } : {}),
      licenses: before.licenses,
      ...(move ? { movedTo: move.movedTo, carried: move.carried } : {}),
    });
    // A move keeps the seats: the user is created again at once with the same licences.
    await store.voiceUsers.delete(registrationId, voiceUserId, { keepSeats: move !== undefined });
    return { before, purgeAfter };
  }

  /**
   * A DEL-5 move cut short between its delete and its create leaves only a create for the next
   * run (see whatAMoveCarries). The newest retention record of every user the plan creates, read
   * before applying in a few batched calls rather than one per row.
   */
  async function movesCutShort(registrationId: string, rows: readonly PlanRow[]): Promise<Map<string, RetentionRecord>> {
    const created = rows.flatMap((row) => (row.kind === 'create' ? [row.desired.directoryUserId] : []));
    const latest = new Map<string, RetentionRecord>();
    for (let start = 0; start < created.length; start += LOOKUP_BATCH) {
      for (const record of await store.retention.latestForEach(registrationId, created.slice(start, start + LOOKUP_BATCH))) latest.set(record.directoryUserId!, record);
    }
    return latest;
  }

  return { reconcileRegistration, reconcileUsers, removeAllVoiceUsers, planFor: (registrationId: string) => planFor(registrationId) };
}

export type ReconcileService = ReturnType<typeof createReconcileService>;

interface ApplySettings {
  recordingRetention: RetentionPeriod;
  licensing: LicensePolicy;
}

/**
 * The moved user gets back the licences it held and the numbers the move carried, not just what
 * newcomers are given; a newcomer, or a user whose latest record is a plain deletion, gets those.
 */
function whatAMoveCarries(row: Extract<PlanRow, { kind: 'create' }>, latest: RetentionRecord | undefined): { licenses: string[]; numbers: PortalNumbers } {
  if (latest?.movedTo === undefined) return { licenses: row.licenses, numbers: {} };
  return { licenses: latest.licenses ?? row.licenses, numbers: latest.carried ?? {} };
}

function newVoiceUser(registrationId: string, desired: DesiredVoiceUser): VoiceUserRecord {
  const timestamp = now();
  return { ...mapped(desired), registrationId, id: randomUUID(), licenses: [], origin: 'provisioned', directoryUserId: desired.directoryUserId, createdAt: timestamp, updatedAt: timestamp, version: 1 };
}

function mapped({ directoryUserId: _directoryUserId, ...fields }: DesiredVoiceUser) {
  return fields;
}

/** DEL-4: said in the deletion's audit event, so support can tell a customer when recordings go. */
function keptUntil(purgeAfter: string): string {
  return `voicemails and recordings kept until ${purgeAfter.slice(0, 10)} (DEL-4)`;
}

/** How a failure names the unique field another voice user already has. */
const CONFLICT_WORDS: Readonly<Record<string, string>> = { userName: 'user name', primaryEmail: 'email address', extension: 'extension', did: 'phone number' };

function describeFailure(row: PlanRow, error: unknown): ReconcileError {
  const base = { userName: row.userName, directoryUserId: 'desired' in row ? row.desired.directoryUserId : undefined };
  if (isAppError(error, 'store.conflict')) {
    const field = conflictingField(error);
    const what = CONFLICT_WORDS[field] ?? field;
    return { ...base, rule: 'SYNC-5', message: `${row.userName} was not ${row.kind}d: its ${what} is already used by another voice user of this account` };
  }
  if (isAppError(error, 'voice_user.no_license_left')) return { ...base, rule: 'SYNC-5', message: `${row.userName} was not created: ${error.message}` };
  if (isAppError(error, 'store.version_conflict')) return { ...base, rule: 'SYNC-4', message: `${row.userName} changed in the portal during the run; the next run will pick it up` };
  throw error;
}

/**
 * SQLite calls are synchronous, so a long run would hold the event loop: SCIM requests and the
 * progress lines of the run itself would wait for its end. Every few ms of work it lets them through.
 */
const YIELD_EVERY_MS = 10;
const PARALLEL_APPLY_CONCURRENCY = 8;
/** Ids per batched read of a whole run (a bounded `IN`/`$in` list). */
const LOOKUP_BATCH = 1000;
let lastYield = Date.now();

async function yieldNowAndThen(): Promise<void> {
  if (Date.now() - lastYield < YIELD_EVERY_MS) return;
  await new Promise((resolve) => setImmediate(resolve));
  lastYield = Date.now();
}

function now(): string {
  return new Date().toISOString();
}
