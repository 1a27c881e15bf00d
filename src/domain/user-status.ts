import type { DesiredState } from './desired-state.js';
import type { PlanRow } from './plan-row.js';
import type { VoiceUser } from './types.js';

/**
 * Where each directory user stands in the voice portal now, and why: the question support is
 * asked most ("why isn't Jane in the portal?"). Read from the same desired state and plan a
 * Reconcile would apply, so the answer is the one the next run would act on.
 */
export type UserStatus = 'provisioned' | 'deactivated' | 'not-provisioned' | 'pending';

export const USER_STATUSES: readonly UserStatus[] = ['provisioned', 'deactivated', 'not-provisioned', 'pending'];

export interface UserStanding {
  directoryUserId: string;
  status: UserStatus;
  /** The rule behind a not-provisioned or pending status (ELIG-1, DEL-2, MAP-6, SYNC-5, …). */
  rule?: string;
  /** A sentence for support; absent when the user is simply provisioned. */
  reason?: string;
  voiceUser?: VoiceUser;
}

const PENDING_REASONS: Record<'create' | 'update' | 'link' | 'recreate', string> = {
  create: 'not in the portal yet: the next Reconcile creates it',
  update: 'the portal does not match Azure AD yet: the next Reconcile updates it',
  link: 'a voice user made in the portal has the same email: the next Reconcile links it (DEL-6)',
  recreate: 'the location changed: the next Reconcile moves it (DEL-5)',
};

export function standingOf(desired: DesiredState, rows: readonly PlanRow[], voiceUsers: readonly VoiceUser[]): Map<string, UserStanding> {
  const linked = new Map(voiceUsers.filter((v) => v.directoryUserId).map((v) => [v.directoryUserId!, v]));
  const rowOf = new Map<string, PlanRow>();
  for (const row of rows) {
    const id = row.kind === 'error' ? row.directoryUserId : 'desired' in row ? row.desired.directoryUserId : undefined;
    if (id && !rowOf.has(id)) rowOf.set(id, row);
  }
  const standings = new Map<string, UserStanding>();
  for (const [directoryUserId, verdict] of desired) {
    const voiceUser = linked.get(directoryUserId);
    const base = { directoryUserId, ...(voiceUser ? { voiceUser } : {}) };
    const row = rowOf.get(directoryUserId);
    if (verdict.kind !== 'desired') {
      standings.set(directoryUserId, { ...base, status: 'not-provisioned', rule: verdict.rule, reason: voiceUser ? `${verdict.reason}; the next Reconcile removes its voice user` : verdict.reason });
    } else if (row?.kind === 'error') {
      standings.set(directoryUserId, { ...base, status: 'not-provisioned', rule: row.rule, reason: row.message });
    } else if (row && row.kind !== 'delete') {
      standings.set(directoryUserId, { ...base, status: 'pending', rule: row.rule, reason: PENDING_REASONS[row.kind] });
    } else {
      standings.set(directoryUserId, { ...base, status: voiceUser?.status === 'deactivated' ? 'deactivated' : 'provisioned', ...(voiceUser?.status === 'deactivated' ? { rule: 'DEL-3', reason: 'deactivated in Azure AD: kept in the portal with its licences (DEL-3)' } : {}) });
    }
  }
  return standings;
}
