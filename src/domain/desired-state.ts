import { checkEligibility } from './eligibility.js';
import { mapDirectoryUser } from './map-user.js';
import type { DesiredVoiceUser, Directory, DirectoryGroup, ReconcileSettings, RuleId } from './types.js';

/** What the directory says should become of one directory user. */
export type Verdict =
  | { kind: 'desired'; user: DesiredVoiceUser }
  | { kind: 'out-of-scope'; rule: 'DEL-2'; reason: string }
  | { kind: 'ineligible'; rule: RuleId; reason: string; userName: string }
  | { kind: 'error'; rule: RuleId; reason: string; userName: string };

export type DesiredState = Map<string, Verdict>;

/**
 * Desired state, a pure function of the directory and the registration's settings:
 * scope (DEL-2), eligibility (ELIG-1..3), mapping (MAP-1..6), deactivation (DEL-3), and
 * the per-user errors of SYNC-5 (unknown or ambiguous location, duplicate user name or email).
 */
export function computeDesiredState(directory: Directory, settings: ReconcileSettings): DesiredState {
  const inScope = usersInScope(directory, settings);
  const locations = locationIndex(settings.locationMap);
  const verdicts: DesiredState = new Map();
  for (const user of directory.users) {
    if (!inScope(user.id)) {
      verdicts.set(user.id, { kind: 'out-of-scope', rule: 'DEL-2', reason: 'not a member of any synced group' });
      continue;
    }
    const upn = String(user.resource.userName ?? '');
    const eligibility = checkEligibility(upn, settings.accountDomains);
    if (!eligibility.eligible) {
      verdicts.set(user.id, { kind: 'ineligible', rule: eligibility.rule, reason: eligibility.reason, userName: upn });
      continue;
    }
    const mapped = mapDirectoryUser(user.resource, settings.locationSource);
    const location = resolveLocation(locations, mapped.locationName);
    if (!location.ok) {
      verdicts.set(user.id, { kind: 'error', rule: 'MAP-6', reason: `${upn}: ${location.reason}`, userName: upn });
      continue;
    }
    const { locationName: _locationName, active, ...fields } = mapped;
    verdicts.set(user.id, { kind: 'desired', user: { ...fields, locationId: location.id, status: active ? 'active' : 'deactivated', directoryUserId: user.id } });
  }
  flagDuplicates(verdicts, 'userName', 'MAP-3');
  flagDuplicates(verdicts, 'primaryEmail', 'MAP-4');
  return verdicts;
}

function usersInScope({ groups, memberships }: Directory, { scope }: ReconcileSettings): (userId: string) => boolean {
  if (scope.kind === 'all-assigned') return () => true;
  const synced = new Set(groups.filter((group) => scope.groups.some((wanted) => matchesGroup(group, wanted))).map((group) => group.id));
  const members = new Set(memberships.filter((m) => synced.has(m.groupId)).map((m) => m.userId));
  return (userId) => members.has(userId);
}

function matchesGroup(group: DirectoryGroup, wanted: { displayName?: string; externalId?: string }): boolean {
  if (wanted.externalId !== undefined) return group.externalId === wanted.externalId;
  return group.displayName.trim().toLowerCase() === wanted.displayName?.trim().toLowerCase();
}

type LocationIndex = Map<string, string[]>;

function locationIndex(locationMap: Record<string, string>): LocationIndex {
  const index: LocationIndex = new Map();
  for (const [name, id] of Object.entries(locationMap)) {
    const key = normaliseLocation(name);
    index.set(key, [...(index.get(key) ?? []), id]);
  }
  return index;
}

function resolveLocation(index: LocationIndex, name: string | undefined): { ok: true; id: string } | { ok: false; reason: string } {
  if (name === undefined) return { ok: false, reason: 'no location is set in Azure AD for this user, so the voice portal cannot place them' };
  const ids = [...new Set(index.get(normaliseLocation(name)) ?? [])];
  if (ids.length === 0) return { ok: false, reason: `location "${name}" is not mapped to any portal location; add it to the registration's location map` };
  if (ids.length > 1) return { ok: false, reason: `location "${name}" is ambiguous: it matches portal locations ${ids.join(', ')}` };
  return { ok: true, id: ids[0]! };
}

function normaliseLocation(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Two directory users that would get the same user name (or email) in one account: neither is provisioned. */
function flagDuplicates(verdicts: DesiredState, field: 'userName' | 'primaryEmail', rule: RuleId): void {
  const byValue = new Map<string, string[]>();
  for (const [id, verdict] of verdicts) {
    if (verdict.kind !== 'desired') continue;
    const key = verdict.user[field].toLowerCase();
    byValue.set(key, [...(byValue.get(key) ?? []), id]);
  }
  for (const [value, ids] of byValue) {
    if (ids.length < 2) continue;
    for (const id of ids) {
      const verdict = verdicts.get(id) as Extract<Verdict, { kind: 'desired' }>;
      const label = field === 'userName' ? 'user name' : 'primary email';
      verdicts.set(id, { kind: 'error', rule, reason: `${label} "${value}" would be shared by ${ids.length} directory users; fix it in Azure AD`, userName: verdict.user.userName });
    }
  }
}
