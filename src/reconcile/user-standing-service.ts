import { standingOf, USER_STATUSES, type UserStanding, type UserStatus } from '../domain/user-status.js';
import type { JsonMap, VoiceUser } from '../domain/types.js';
import type { ReconcileService } from './reconcile-service.js';
import { AppError } from '../kernel/app-error.js';

export interface StandingQuery {
  status?: UserStatus;
  /** A rule id (ELIG-3, DEL-2, MAP-6, SYNC-5, …). */
  rule?: string;
  /** Part of the user name (UPN), display name, email or externalId, case-insensitive. */
  search?: string;
  offset?: number;
  limit?: number;
}

export interface UserRow {
  directoryUserId: string;
  userName: string;
  displayName?: string;
  email?: string;
  externalId?: string;
  status: UserStatus;
  rule?: string;
  reason?: string;
  voiceUser?: Pick<VoiceUser, 'id' | 'userName' | 'extension' | 'did' | 'locationId' | 'licenses' | 'status'>;
}

export interface StandingPage {
  total: number;
  /** How many users of the registration are in each status (before the search and status filters). */
  counts: Record<UserStatus, number>;
  offset: number;
  items: UserRow[];
}

export const MAX_STANDING_PAGE = 200;

/**
 * Users as they stand now (issue 12): every directory user of a registration with its voice-user
 * status and the current reason, computed from the plan a Reconcile would apply. The plan needs
 * the whole directory (duplicates, seats), so the statuses are computed per request and then
 * filtered and paged; see the README for why they are not stored.
 */
export function createUserStandingService({ reconcile }: { reconcile: Pick<ReconcileService, 'planFor'> }) {
  async function standings(registrationId: string) {
    const { directory, voiceUsers, desired, plan } = await reconcile.planFor(registrationId);
    const byId = standingOf(desired, plan.rows, voiceUsers);
    return { directory, byId };
  }

  async function list(registrationId: string, query: StandingQuery = {}): Promise<StandingPage> {
    if (query.status && !USER_STATUSES.includes(query.status)) throw new AppError('users.invalid_status', `status must be one of ${USER_STATUSES.join(', ')}`);
    const { directory, byId } = await standings(registrationId);
    const rows = directory.users.map((user) => rowOf(user.id, user.resource, byId.get(user.id)!));
    const counts = Object.fromEntries(USER_STATUSES.map((status) => [status, rows.filter((row) => row.status === status).length])) as Record<UserStatus, number>;
    const needle = query.search?.trim().toLowerCase();
    const matching = rows
      .filter((row) => !query.status || row.status === query.status)
      .filter((row) => !query.rule || row.rule?.toLowerCase() === query.rule.toLowerCase())
      .filter((row) => !needle || [row.userName, row.displayName, row.email, row.externalId].some((text) => text?.toLowerCase().includes(needle)))
      .sort((a, b) => a.userName.localeCompare(b.userName));
    const offset = Math.max(0, query.offset ?? 0);
    const limit = Math.min(Math.max(1, query.limit ?? 50), MAX_STANDING_PAGE);
    return { total: matching.length, counts, offset, items: matching.slice(offset, offset + limit) };
  }

  async function get(registrationId: string, directoryUserId: string): Promise<{ row: UserRow; resource: JsonMap; groups: { id: string; displayName: string }[] } | undefined> {
    const { directory, byId } = await standings(registrationId);
    const user = directory.users.find((candidate) => candidate.id === directoryUserId);
    if (!user) return undefined;
    const groupIds = new Set(directory.memberships.filter((m) => m.userId === directoryUserId).map((m) => m.groupId));
    const groups = directory.groups.filter((group) => groupIds.has(group.id)).map((group) => ({ id: group.id, displayName: group.displayName }));
    return { row: rowOf(user.id, user.resource, byId.get(user.id)!), resource: user.resource, groups };
  }

  return { list, get };
}

export type UserStandingService = ReturnType<typeof createUserStandingService>;

function rowOf(directoryUserId: string, resource: JsonMap, standing: UserStanding): UserRow {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const emails = Array.isArray(resource.emails) ? resource.emails : [];
  const primary = emails.find((e) => typeof e === 'object' && e !== null && !Array.isArray(e) && e.primary === true) ?? emails[0];
  const email = typeof primary === 'object' && primary !== null && !Array.isArray(primary) ? text(primary.value) : undefined;
  const voiceUser = standing.voiceUser;
  return {
    directoryUserId,
    userName: text(resource.userName) ?? directoryUserId,
    ...optional('displayName', text(resource.displayName)),
    ...optional('email', email),
    ...optional('externalId', text(resource.externalId)),
    status: standing.status,
    ...optional('rule', standing.rule),
    ...optional('reason', standing.reason),
    ...(voiceUser
      ? { voiceUser: { id: voiceUser.id, userName: voiceUser.userName, locationId: voiceUser.locationId, licenses: voiceUser.licenses, status: voiceUser.status, ...optional('extension', voiceUser.extension), ...optional('did', voiceUser.did) } }
      : {}),
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
