import { describe, expect, it } from 'vitest';
import { computeDesiredState } from '../../../src/domain/desired-state.js';
import { planReconciliation } from '../../../src/domain/plan.js';
import { standingOf } from '../../../src/domain/user-status.js';
import type { Directory, JsonMap, ReconcileSettings, VoiceUser } from '../../../src/domain/types.js';
import type { LicensePolicy } from '../../../src/domain/licenses.js';

const SETTINGS: ReconcileSettings = { accountDomains: ['contoso.com'], scope: { kind: 'groups', groups: [{ displayName: 'Voice' }] }, locationSource: 'addresses[type eq "work"].locality', locationMap: { Seattle: 'loc-sea' } };

const user = (id: string, upn: string, extra: JsonMap = {}) => ({ id, resource: { userName: upn, active: true, displayName: 'A B', addresses: [{ type: 'work', locality: 'Seattle' }], ...extra } as JsonMap });

function standings(users: ReturnType<typeof user>[], members: string[], voiceUsers: VoiceUser[] = [], seats?: number) {
  const directory: Directory = { users, groups: [{ id: 'g', displayName: 'Voice' }], memberships: members.map((userId) => ({ groupId: 'g', userId })) };
  const desired = computeDesiredState(directory, SETTINGS);
  const policy: LicensePolicy = seats === undefined ? { seats: {}, assignOnCreate: [] } : { seats: { 'voice-standard': seats }, assignOnCreate: ['voice-standard'] };
  const plan = planReconciliation(desired, voiceUsers, { licenses: { policy, usage: {} } });
  return standingOf(desired, plan.rows, voiceUsers);
}

const voiceUser = (directoryUserId: string, userName: string, status: 'active' | 'deactivated' = 'active'): VoiceUser => ({
  registrationId: 'r', id: `v-${directoryUserId}`, directoryUserId, userName, firstName: 'A', lastName: 'B', primaryEmail: `${userName}@contoso.com`, additionalEmails: [], locationId: 'loc-sea', status, licenses: [], origin: 'provisioned', createdAt: '', updatedAt: '', version: 1,
});

describe('where each directory user stands (issue 12: "why isn\'t Jane in the portal?")', () => {
  it('DEL-2 a user outside every synced group is not provisioned, with the reason', () => {
    expect(standings([user('1', 'jane@contoso.com')], []).get('1')).toMatchObject({ status: 'not-provisioned', rule: 'DEL-2', reason: 'not a member of any synced group' });
  });
  it('ELIG-3 and MAP-6 say which rule holds a user back', () => {
    const result = standings([user('1', 'jane@fabrikam.com'), user('2', 'bob@contoso.com', { addresses: [{ type: 'work', locality: 'Atlantis' }] })], ['1', '2']);
    expect(result.get('1')).toMatchObject({ status: 'not-provisioned', rule: 'ELIG-3' });
    expect(result.get('2')).toMatchObject({ status: 'not-provisioned', rule: 'MAP-6', reason: expect.stringContaining('Atlantis') });
  });
  it('SYNC-5 a user with no seat left is not provisioned, saying so', () => {
    const result = standings([user('1', 'amy@contoso.com'), user('2', 'bob@contoso.com')], ['1', '2'], [], 1);
    expect(result.get('1')).toMatchObject({ status: 'pending' });
    expect(result.get('2')).toMatchObject({ status: 'not-provisioned', rule: 'SYNC-5', reason: expect.stringContaining('no "voice-standard" licence left') });
  });
  it('SYNC-2 a user the portal does not have yet is pending; a provisioned one is provisioned; DEL-3 a deactivated one is deactivated', () => {
    const result = standings([user('1', 'new@contoso.com'), user('2', 'jane@contoso.com'), user('3', 'old@contoso.com', { active: false })], ['1', '2', '3'], [voiceUser('2', 'jane'), voiceUser('3', 'old', 'deactivated')]);
    expect(result.get('1')).toMatchObject({ status: 'pending', reason: expect.stringContaining('next Reconcile creates it') });
    expect(result.get('2')).toMatchObject({ status: 'provisioned', voiceUser: { id: 'v-2' } });
    expect(result.get('3')).toMatchObject({ status: 'deactivated', rule: 'DEL-3' });
  });
});
