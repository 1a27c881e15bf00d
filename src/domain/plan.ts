import type { DesiredState, Verdict } from './desired-state.js';
import { allotLicenses, type LicensePolicy, type LicenseUsage } from './licenses.js';
import type { DesiredVoiceUser, MappedFields, RuleId, VoiceUser } from './types.js';

export interface FieldChange {
  field: keyof MappedFields;
  before: unknown;
  after: unknown;
}

export type DeleteReason = 'deleted-in-directory' | 'left-every-synced-group' | 'registration-ended' | 'ineligible';

export type PlanRow =
  | { kind: 'create'; rule: RuleId; userName: string; desired: DesiredVoiceUser; licenses: string[] }
  | { kind: 'update'; rule: RuleId; userName: string; voiceUserId: string; changes: FieldChange[]; desired: DesiredVoiceUser }
  | { kind: 'link'; rule: 'DEL-6'; userName: string; voiceUserId: string; changes: FieldChange[]; desired: DesiredVoiceUser }
  | { kind: 'recreate'; rule: 'DEL-5'; userName: string; voiceUserId: string; changes: FieldChange[]; desired: DesiredVoiceUser }
  | { kind: 'delete'; rule: RuleId; userName: string; voiceUserId: string; reason: DeleteReason; message: string; licenses: string[] }
  | { kind: 'error'; rule: RuleId; userName: string; directoryUserId: string; message: string };

export interface Plan {
  rows: PlanRow[];
}

const MAPPED_FIELDS: (keyof MappedFields)[] = ['userName', 'firstName', 'lastName', 'primaryEmail', 'additionalEmails', 'locationId', 'status'];

export interface PlanOptions {
  /** REG-4: the registration ended; every provisioned voice user goes. */
  registrationEnded?: boolean;
  /**
   * Only these directory users are being reconciled (just-in-time): voice users linked to
   * other directory users are left alone. Undefined means the whole registration.
   */
  onlyDirectoryUsers?: Set<string>;
  /** SYNC-5: the account's licence seats and how many are in use; without it nothing is counted. */
  licenses?: { policy: LicensePolicy; usage: LicenseUsage };
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
    rows.push(...rowsFor(directoryUserId, verdict, linked.get(directoryUserId), linkable));
  }
  for (const voiceUser of linked.values()) {
    const directoryUserId = voiceUser.directoryUserId!;
    if (options.onlyDirectoryUsers && !options.onlyDirectoryUsers.has(directoryUserId)) continue;
    if (options.registrationEnded) rows.push(deletion(voiceUser, 'REG-4', 'registration-ended', 'the registration ended (end of service)'));
    else if (!desired.has(directoryUserId)) rows.push(deletion(voiceUser, 'DEL-1', 'deleted-in-directory', 'the user was deleted in Azure AD'));
  }
  const ordered = [...rows.filter((row) => row.kind === 'delete'), ...rows.filter((row) => row.kind !== 'delete')];
  return { rows: options.licenses ? allotLicenses(ordered, options.licenses.policy, options.licenses.usage) : ordered };
}

function rowsFor(directoryUserId: string, verdict: Verdict, current: VoiceUser | undefined, linkable: Map<string, VoiceUser>): PlanRow[] {
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
      return current ? changesTo(current, verdict.user) : createOrLink(verdict.user, linkable);
  }
}

function changesTo(current: VoiceUser, desired: DesiredVoiceUser): PlanRow[] {
  const changes = diff(current, desired);
  if (changes.length === 0) return [];
  const base = { userName: desired.userName, voiceUserId: current.id, changes, desired };
  if (changes.some((change) => change.field === 'locationId')) return [{ kind: 'recreate', rule: 'DEL-5', ...base }];
  const onlyStatus = changes.every((change) => change.field === 'status');
  return [{ kind: 'update', rule: onlyStatus ? 'DEL-3' : 'MAP-7', ...base }];
}

function createOrLink(desired: DesiredVoiceUser, linkable: Map<string, VoiceUser>): PlanRow[] {
  const match = linkable.get(desired.primaryEmail.toLowerCase());
  if (!match) return [{ kind: 'create', rule: 'SYNC-4', userName: desired.userName, desired, licenses: [] }];
  linkable.delete(desired.primaryEmail.toLowerCase());
  return [{ kind: 'link', rule: 'DEL-6', userName: desired.userName, voiceUserId: match.id, changes: diff(match, desired), desired }];
}

function deletion(voiceUser: VoiceUser, rule: RuleId, reason: DeleteReason, why: string): PlanRow {
  return { kind: 'delete', rule, userName: voiceUser.userName, voiceUserId: voiceUser.id, reason, message: `${voiceUser.userName} is removed from the voice portal: ${why}`, licenses: voiceUser.licenses };
}

function diff(current: MappedFields, desired: MappedFields): FieldChange[] {
  return MAPPED_FIELDS.filter((field) => JSON.stringify(current[field]) !== JSON.stringify(desired[field])).map((field) => ({ field, before: current[field], after: desired[field] }));
}
