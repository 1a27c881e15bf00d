import type { DesiredState, Verdict } from './desired-state.js';
import { allotLicenses, type LicensePolicy, type LicenseUsage } from './licenses.js';
import type { DesiredVoiceUser, MappedFields, RuleId, VoiceUser } from './types.js';
import type { DeleteReason, FieldChange, Plan, PlanRow } from './plan-row.js';
import { DIRECTORY_OWNED_FIELDS } from './voice-user-fields.js';
import { numbersAfterMove, type LocationNumbers } from './location-move.js';



export interface PlanOptions {
  /** REG-4: the registration ended; every voice user goes, provisioned or made in the portal. */
  registrationEnded?: boolean;
  /**
   * Only these directory users are being reconciled (just-in-time): voice users linked to
   * other directory users are left alone. Undefined means the whole registration.
   */
  onlyDirectoryUsers?: Set<string>;
  /** SYNC-5: the account's licence seats and how many are in use; without it nothing is counted. */
  licenses?: { policy: LicensePolicy; usage: LicenseUsage };
  /** DEL-5: which DIDs each location allows, for the numbers a move carries over. */
  locationNumbers?: LocationNumbers;
}

/**
 * SYNC-4: compares desired state with the voice users and lists what to do. Voice users created
 * by hand in the portal are never deleted; they are linked when a directory user's primary email
 * matches (DEL-6). Deletions come first, so the names, emails and seats they free can be
 * taken by the creates of the same run. Extension and DID are never in a plan (MAP-8); licences
 * only as those a new voice user is given (SYNC-5), never taken from an existing one (DEL-3).
 */
export function planReconciliation(desired: DesiredState, voiceUsers: VoiceUser[], options: PlanOptions = {}): Plan {
  const linked = new Map(voiceUsers.filter((v) => v.directoryUserId).map((v) => [v.directoryUserId!, v]));
  const linkable = new Map(voiceUsers.filter((v) => !v.directoryUserId && v.origin === 'portal').map((v) => [v.primaryEmail.toLowerCase(), v]));
  const rows: PlanRow[] = [];
  for (const [directoryUserId, verdict] of options.registrationEnded ? [] : desired) {
    if (options.onlyDirectoryUsers && !options.onlyDirectoryUsers.has(directoryUserId)) continue;
    rows.push(...rowsFor(directoryUserId, verdict, linked.get(directoryUserId), linkable, options.locationNumbers ?? {}));
  }
  // REG-4: once service ends no user remains in the portal (vendor FAQ), hand-made ones included.
  if (options.registrationEnded) for (const voiceUser of voiceUsers) rows.push(deletion(voiceUser, 'REG-4', 'registration-ended', 'the registration ended (end of service)'));
  for (const voiceUser of options.registrationEnded ? [] : linked.values()) {
    const directoryUserId = voiceUser.directoryUserId!;
    if (options.onlyDirectoryUsers && !options.onlyDirectoryUsers.has(directoryUserId)) continue;
    if (!desired.has(directoryUserId)) rows.push(deletion(voiceUser, 'DEL-1', 'deleted-in-directory', 'the user was deleted in Azure AD'));
  }
  const ordered = refuseClashingCreates([...rows.filter((row) => row.kind === 'delete'), ...rows.filter((row) => row.kind !== 'delete')], voiceUsers);
  return { rows: options.licenses ? allotLicenses(ordered, options.licenses.policy, options.licenses.usage) : ordered };
}

function rowsFor(directoryUserId: string, verdict: Verdict, current: VoiceUser | undefined, linkable: Map<string, VoiceUser>, locationNumbers: LocationNumbers): PlanRow[] {
  switch (verdict.kind) {
    case 'out-of-scope':
      return current ? [deletion(current, 'DEL-2', 'left-every-synced-group', 'the user is no longer a member of any synced group')] : [];
    case 'ineligible':
      return [
        { kind: 'error', rule: verdict.rule, userName: verdict.userName, directoryUserId, message: verdict.reason },
        ...(current ? [deletion(current, verdict.rule, 'ineligible', verdict.reason)] : []),
      ];
    case 'error':
      return [{ kind: 'error', rule: verdict.rule, userName: verdict.userName, directoryUserId, message: verdict.reason }];
    case 'desired':
      return current ? changesTo(current, verdict.user, locationNumbers) : createOrLink(verdict.user, linkable);
  }
}

function changesTo(current: VoiceUser, desired: DesiredVoiceUser, locationNumbers: LocationNumbers): PlanRow[] {
  const changes = diff(current, desired);
  if (changes.length === 0) return [];
  const base = { userName: desired.userName, voiceUserId: current.id, changes, desired };
  if (changes.some((change) => change.field === 'locationId')) return [{ kind: 'recreate', rule: 'DEL-5', ...base, ...numbersAfterMove(desired.userName, current, desired.locationId, locationNumbers) }];
  const onlyStatus = changes.every((change) => change.field === 'status');
  return [{ kind: 'update', rule: onlyStatus ? 'DEL-3' : 'MAP-7', ...base }];
}

function createOrLink(desired: DesiredVoiceUser, linkable: Map<string, VoiceUser>): PlanRow[] {
  const match = linkable.get(desired.primaryEmail.toLowerCase());
  if (!match) return [{ kind: 'create', rule: 'SYNC-4', userName: desired.userName, desired, licenses: [] }];
  linkable.delete(desired.primaryEmail.toLowerCase());
  return [{ kind: 'link', rule: 'DEL-6', userName: desired.userName, voiceUserId: match.id, changes: diff(match, desired), desired }];
}

/**
 * SYNC-4/SYNC-5: a create whose user name or email a voice user already holds (one made in the
 * portal with another email, so DEL-6 cannot link it, or one provisioned for someone else) would
 * fail at write time; it is an error row already in the plan, so the dry run shows it. Voice
 * users the same plan deletes free their names first.
 */
function refuseClashingCreates(rows: PlanRow[], voiceUsers: VoiceUser[]): PlanRow[] {
  const leaving = new Set(rows.flatMap((row) => (row.kind === 'delete' ? [row.voiceUserId] : [])));
  const holders = new Map<string, VoiceUser>();
  for (const voiceUser of voiceUsers) {
    if (leaving.has(voiceUser.id)) continue;
    for (const key of keysOf(voiceUser)) if (!holders.has(key)) holders.set(key, voiceUser);
  }
  return rows.map((row) => {
    if (row.kind !== 'create') return row;
    const clash = keysOf(row.desired).map((key) => [key, holders.get(key)] as const).find(([, holder]) => holder !== undefined);
    if (!clash) return row;
    const [key, holder] = clash as readonly [string, VoiceUser];
    const what = key.startsWith('userName:') ? `user name ${row.desired.userName}` : `email ${key.slice('email:'.length)}`;
    const whose = holder.origin === 'portal' && !holder.directoryUserId ? `voice user ${holder.userName}, made in the portal with the email ${holder.primaryEmail} (DEL-6 links only on the same primary email)` : `voice user ${holder.userName}, provisioned for another directory user`;
    return { kind: 'error', rule: 'SYNC-5', userName: row.userName, directoryUserId: row.desired.directoryUserId, message: `${row.userName} was not created: its ${what} is already used by ${whose}; rename or remove one of them` };
  });
}

/** What the portal keeps unique per account: user name and primary email, case-insensitively. */
function keysOf(user: Pick<MappedFields, 'userName' | 'primaryEmail'>): string[] {
  return [`userName:${user.userName.toLowerCase()}`, `email:${user.primaryEmail.toLowerCase()}`];
}

function deletion(voiceUser: VoiceUser, rule: RuleId, reason: DeleteReason, why: string): PlanRow {
  return { kind: 'delete', rule, userName: voiceUser.userName, voiceUserId: voiceUser.id, reason, message: `${voiceUser.userName} is removed from the voice portal: ${why}`, licenses: voiceUser.licenses };
}

function diff(current: MappedFields, desired: MappedFields): FieldChange[] {
  return DIRECTORY_OWNED_FIELDS.filter((field) => JSON.stringify(current[field]) !== JSON.stringify(desired[field])).map((field) => ({ field, before: current[field], after: desired[field] }));
}
