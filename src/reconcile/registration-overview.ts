import type { AuditEvent } from '../audit/audit-event.js';
import { countedLicenses, usageOf } from '../domain/licenses.js';
import { standingOf, USER_STATUSES, type UserStatus } from '../domain/user-status.js';
import type { RegistrationSettings } from '../registrations/settings.js';
import type { RegistrationRecord } from '../registrations/registrations-port.js';
import type { ReconcileService } from './reconcile-service.js';

/** Certificates and CRLs the service relies on, with when they stop being valid. */
export interface ExpiringMaterial {
  name: string;
  notAfter: string;
}

export interface OverviewDeps {
  reconcile: Pick<ReconcileService, 'planFor'>;
  settingsOf(record: RegistrationRecord): RegistrationSettings;
  /** The last Reconcile.Run events of a registration, newest first. */
  recentRuns(registrationId: string, limit: number): Promise<AuditEvent[]>;
  /** Write-backs waiting for Microsoft Graph (TWO-1), when the registration is two-way. */
  outboxBacklog?(registrationId: string): Promise<{ pending: number; oldest?: string }>;
  /** Server certificate, client CAs and CRLs in use. */
  tlsExpiries?(): Promise<ExpiringMaterial[]>;
  now?: () => Date;
}

/** A dry run or a run with per-user errors is not a failure; only a run that stopped part-way is. */
export type RunOutcome = 'completed' | 'completed with errors' | 'stopped';

export interface RegistrationOverview {
  registration: { id: string; name: string; entraTenantId?: string };
  /** One line: "healthy", or what needs attention, most urgent first. */
  state: string;
  attention: string[];
  settings: RegistrationSettings;
  credentials: {
    certificates: { subject?: string; fingerprint256?: string; label?: string; addedAt: string; notAfter?: string }[];
    tokens: { id: string; label?: string; createdAt: string }[];
  };
  seats: { license: string; used: number; bought: number }[];
  users: Record<UserStatus, number>;
  lastRuns: { time: string; summary: string; outcome: RunOutcome; runId?: string }[];
  outbox?: { pending: number; oldest?: string };
}

const DAY = 86_400_000;
/** Material that expires within this many days is called out. */
const EXPIRY_NOTICE_DAYS = 14;

/** One customer on one screen: settings, credentials, seats, users by status, last runs, backlog, and a state line. */
export function createRegistrationOverview(deps: OverviewDeps) {
  const now = deps.now ?? (() => new Date());

  return async function overviewOf(record: RegistrationRecord): Promise<RegistrationOverview> {
    const settings = deps.settingsOf(record);
    const [{ voiceUsers, desired, plan }, runs, tlsMaterial, outbox] = await Promise.all([
      deps.reconcile.planFor(record.id),
      deps.recentRuns(record.id, 5),
      deps.tlsExpiries?.() ?? Promise.resolve([]),
      settings.syncDirection === 'two-way' && deps.outboxBacklog ? deps.outboxBacklog(record.id) : Promise.resolve(undefined),
    ]);
    const usage = usageOf(settings.licensing, voiceUsers);
    const standings = [...standingOf(desired, plan.rows, voiceUsers).values()];
    const users = { counts: Object.fromEntries(USER_STATUSES.map((status) => [status, standings.filter((s) => s.status === status).length])) as Record<UserStatus, number> };
    const seats = countedLicenses(settings.licensing, Object.keys(settings.licensing.seats)).map((license) => ({ license, used: usage[license] ?? 0, bought: settings.licensing.seats[license]! }));
    const certificates = record.certificates.map(({ subject, fingerprint256, label, addedAt, ...rest }) => ({ subject, fingerprint256, label, addedAt, notAfter: (rest as { notAfter?: string }).notAfter }));
    const attention = [
      ...expiring([...certificates.flatMap((c) => (c.notAfter ? [{ name: `client certificate ${c.label ?? c.subject ?? c.fingerprint256}`, notAfter: c.notAfter }] : [])), ...tlsMaterial], now()),
      ...(users.counts['not-provisioned'] > 0 ? [`${users.counts['not-provisioned']} users not provisioned`] : []),
      ...seats.filter((seat) => seat.used >= seat.bought).map((seat) => `no "${seat.license}" seat left (${seat.used} of ${seat.bought} in use)`),
      ...(users.counts.pending > 0 ? [`${users.counts.pending} users waiting for the next Reconcile`] : []),
      ...(outbox && outbox.pending > 0 ? [`${outbox.pending} write-backs to Azure AD waiting${outbox.oldest ? ` since ${outbox.oldest.slice(0, 16).replace('T', ' ')} UTC` : ''}`] : []),
      ...(runs[0] && outcomeOf(runs[0]) === 'stopped' ? ['the last Reconcile stopped part-way: run it again'] : []),
    ];
    return {
      registration: { id: record.id, name: record.name, ...(record.entraTenantId ? { entraTenantId: record.entraTenantId } : {}) },
      state: attention.length === 0 ? 'healthy' : attention.join('; '),
      attention,
      settings,
      credentials: { certificates, tokens: record.tokens.map(({ id, label, createdAt }) => ({ id, createdAt, ...(label ? { label } : {}) })) },
      seats,
      users: Object.fromEntries(USER_STATUSES.map((status) => [status, users.counts[status]])) as Record<UserStatus, number>,
      lastRuns: runs.map((run) => ({ time: run.time, summary: run.summary, outcome: outcomeOf(run), ...(run.runId ? { runId: run.runId } : {}) })),
      ...(outbox ? { outbox } : {}),
    };
  };
}

export type RegistrationOverviewOf = ReturnType<typeof createRegistrationOverview>;

function outcomeOf(run: AuditEvent): RunOutcome {
  if (run.details?.stopped !== undefined) return 'stopped';
  return run.outcome.success ? 'completed' : 'completed with errors';
}

/** "CRL expires in 2 days", soonest first; expired material says so. */
function expiring(materials: ExpiringMaterial[], now: Date): string[] {
  return materials
    .map((material) => ({ ...material, days: Math.floor((Date.parse(material.notAfter) - now.getTime()) / DAY) }))
    .filter((material) => material.days < EXPIRY_NOTICE_DAYS)
    .sort((a, b) => a.days - b.days)
    .map((material) => (material.days < 0 ? `${material.name} expired on ${material.notAfter.slice(0, 10)}` : `${material.name} expires in ${material.days} day${material.days === 1 ? '' : 's'}`));
}
