import { describe, expect, it } from 'vitest';
import { mapDirectoryUser } from '../../../src/domain/map-user.js';
import { checkEligibility } from '../../../src/domain/eligibility.js';
import { computeDesiredState } from '../../../src/domain/desired-state.js';
import { planReconciliation } from '../../../src/domain/plan.js';
import type { PlanRow } from '../../../src/domain/plan-row.js';
import { retentionEndsAt } from '../../../src/domain/retention.js';
import { usageOf, type LicensePolicy } from '../../../src/domain/licenses.js';
import type { Directory, JsonMap, ReconcileSettings, VoiceUser } from '../../../src/domain/types.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const MAILBOX = 'urn:ietf:params:scim:schemas:extension:voiceportal:2.0:Mailbox';
const SETTINGS: ReconcileSettings = {
  accountDomains: ['contoso.com', '*.contoso.com'],
  scope: { kind: 'all-assigned' },
  locationSource: 'addresses[type eq "work"].locality',
  locationMap: { Seattle: 'loc-sea', London: 'loc-lon' },
};

function user(id: string, upn: string, extra: JsonMap = {}) {
  return { id, resource: { userName: upn, active: true, displayName: 'Jane Q Doe', addresses: [{ type: 'work', locality: 'Seattle' }], ...extra } as JsonMap };
}

function directory(...users: ReturnType<typeof user>[]): Directory {
  return { users, groups: [], memberships: [] };
}

/** Applies a plan to a copy of the voice users, as the service does against the database. */
function applyInMemory(voiceUsers: VoiceUser[], rows: PlanRow[]): VoiceUser[] {
  let result = [...voiceUsers];
  const fromDesired = (desired: Extract<PlanRow, { desired: unknown }>['desired'], id: string, origin: VoiceUser['origin'] = 'provisioned'): VoiceUser => ({
    ...desired, registrationId: 'r', id, licenses: [], origin, createdAt: '', updatedAt: '', version: 1,
  });
  for (const row of rows) {
    if (row.kind === 'create') result.push(fromDesired(row.desired, `v-${row.desired.directoryUserId}`));
    if (row.kind === 'delete') result = result.filter((v) => v.id !== row.voiceUserId);
    if (row.kind === 'update' || row.kind === 'link') result = result.map((v) => (v.id === row.voiceUserId ? { ...v, ...row.desired } : v));
    if (row.kind === 'recreate') result = [...result.filter((v) => v.id !== row.voiceUserId), fromDesired(row.desired, `${row.voiceUserId}-new`)];
  }
  return result;
}

function reconcile(dir: Directory, voiceUsers: VoiceUser[] = [], settings = SETTINGS) {
  return planReconciliation(computeDesiredState(dir, settings), voiceUsers, { locationNumbers: settings.locationNumbers }).rows;
}

describe('mapping a directory user (MAP-1..6)', () => {
  it('MAP-1 and MAP-2 take name.givenName and name.familyName', () => {
    expect(mapDirectoryUser({ userName: 'a@contoso.com', name: { givenName: 'Ada', familyName: 'Lovelace' }, displayName: 'X Y' }, 'x')).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace' });
  });
  it('MAP-1 and MAP-2 fall back to the first word of displayName and the rest', () => {
    expect(mapDirectoryUser({ userName: 'a@contoso.com', displayName: 'Mary Ann Smith' }, 'x')).toMatchObject({ firstName: 'Mary', lastName: 'Ann Smith' });
    expect(mapDirectoryUser({ userName: 'a@contoso.com', displayName: 'Grace Hopper', name: { givenName: '' } }, 'x')).toMatchObject({ firstName: 'Grace', lastName: 'Hopper' });
  });
  it('MAP-3 user name is the UPN before @', () => {
    expect(mapDirectoryUser({ userName: 'jane.doe@contoso.com' }, 'x').userName).toBe('jane.doe');
  });
  it('MAP-4 prefers the SMTP: proxy address, then the primary email, then the UPN', () => {
    const proxies = { proxyAddresses: ['smtp:alias@contoso.com', 'SMTP:jane@contoso.com'] };
    expect(mapDirectoryUser({ userName: 'u@contoso.com', emails: [{ value: 'e@contoso.com', primary: true }], ...proxies }, 'x').primaryEmail).toBe('jane@contoso.com');
    expect(mapDirectoryUser({ userName: 'u@contoso.com', [ENTERPRISE]: proxies }, 'x').primaryEmail).toBe('jane@contoso.com');
    expect(mapDirectoryUser({ userName: 'u@contoso.com', emails: [{ value: 'home@x.com', type: 'home' }, { value: 'e@contoso.com', primary: true }] }, 'x').primaryEmail).toBe('e@contoso.com');
    expect(mapDirectoryUser({ userName: 'u@contoso.com' }, 'x').primaryEmail).toBe('u@contoso.com');
  });
  it('MAP-5 additional emails are the lower-case smtp: proxy addresses', () => {
    expect(mapDirectoryUser({ userName: 'u@contoso.com', proxyAddresses: ['SMTP:a@contoso.com', 'smtp:b@contoso.com', 'X500:/o=x'] }, 'x').additionalEmails).toEqual(['b@contoso.com']);
  });
  it('MAP-4 and MAP-5 read proxy addresses joined with ";" (how Entra sends a multi-valued source)', () => {
    const joined = { userName: 'u@contoso.com', [MAILBOX]: { proxyAddresses: ['smtp:b@contoso.com; SMTP:a@contoso.com;smtp:c@contoso.com'] } };
    expect(mapDirectoryUser(joined, 'x')).toMatchObject({ primaryEmail: 'a@contoso.com', additionalEmails: ['b@contoso.com', 'c@contoso.com'] });
  });
  it('MAP-6 reads the location from the attribute the registration names', () => {
    expect(mapDirectoryUser({ userName: 'u@contoso.com', [ENTERPRISE]: { department: 'London' } }, `${ENTERPRISE}:department`).locationName).toBe('London');
    expect(mapDirectoryUser({ userName: 'u@contoso.com', addresses: [{ type: 'home', locality: 'Paris' }, { type: 'Work', locality: 'Seattle' }] }, 'addresses[type eq "work"].locality').locationName).toBe('Seattle');
  });
});

describe('who may be provisioned (ELIG-1..4)', () => {
  it.each([
    ['ELIG-1', 'guest_fabrikam.com#EXT#@contoso.com'],
    ['ELIG-2', 'jane@contoso.onmicrosoft.com'],
    ['ELIG-3', 'jane@fabrikam.com'],
  ])('%s refuses %s with a reason a support agent understands', (rule, upn) => {
    const verdict = checkEligibility(upn, ['contoso.com']);
    expect(verdict).toMatchObject({ eligible: false, rule });
    expect((verdict as { reason: string }).reason).toContain(upn);
  });
  it('ELIG-3 admits exactly the account domains, case-insensitively; subdomains only when listed as *.domain', () => {
    expect(checkEligibility('Jane@CONTOSO.com', ['contoso.com'])).toEqual({ eligible: true });
    expect(checkEligibility('jane@sales.contoso.com', ['contoso.com'])).toMatchObject({ eligible: false, rule: 'ELIG-3' });
    expect(checkEligibility('jane@notcontoso.com', ['contoso.com'])).toMatchObject({ eligible: false });
    expect(checkEligibility('jane@eu.sales.contoso.com', ['*.contoso.com'])).toEqual({ eligible: true });
    expect(checkEligibility('jane@contoso.com', ['*.contoso.com'])).toMatchObject({ eligible: false, rule: 'ELIG-3' });
    expect(checkEligibility('jane@notcontoso.com', ['*.contoso.com'])).toMatchObject({ eligible: false, rule: 'ELIG-3' });
  });
  it('ELIG-4 an ineligible user creates no voice user and is reported with its rule', () => {
    const rows = reconcile(directory(user('1', 'guest#EXT#@contoso.com')));
    expect(rows).toEqual([expect.objectContaining({ kind: 'error', rule: 'ELIG-1' })]);
  });
});

describe('planning (SYNC-4, DEL-*, MAP-6/7, REG-4)', () => {
  it('SYNC-4 creates a voice user for a new eligible directory user, in its mapped location', () => {
    expect(reconcile(directory(user('1', 'jane@contoso.com')))).toEqual([
      expect.objectContaining({ kind: 'create', desired: expect.objectContaining({ userName: 'jane', locationId: 'loc-sea', status: 'active' }) }),
    ]);
  });

  it('SYNC-4 applying a plan and planning again gives an empty plan (idempotent)', () => {
    const dir = directory(user('1', 'jane@contoso.com'), user('2', 'john@contoso.com', { active: false }));
    const after = applyInMemory([], reconcile(dir));
    expect(reconcile(dir, after)).toEqual([]);
  });

  it('MAP-6 an unknown location provisions nothing and is reported', () => {
    const rows = reconcile(directory(user('1', 'jane@contoso.com', { addresses: [{ type: 'work', locality: 'Atlantis' }] })));
    expect(rows).toEqual([expect.objectContaining({ kind: 'error', rule: 'MAP-6', message: expect.stringContaining('Atlantis') })]);
  });

  it('MAP-6 a location name that matches two portal locations is ambiguous', () => {
    const settings = { ...SETTINGS, locationMap: { Seattle: 'loc-1', ' seattle ': 'loc-2' } };
    expect(reconcile(directory(user('1', 'jane@contoso.com')), [], settings)).toEqual([expect.objectContaining({ kind: 'error', message: expect.stringContaining('ambiguous') })]);
  });

  it('MAP-3 two UPNs with the same prefix in one registration are both reported, neither created', () => {
    const rows = reconcile(directory(user('1', 'jane@contoso.com'), user('2', 'jane@sales.contoso.com')));
    expect(rows.map((r) => [r.kind, r.rule])).toEqual([['error', 'MAP-3'], ['error', 'MAP-3']]);
  });

  it('DEL-1 a voice user whose directory user was deleted is deleted', () => {
    const existing = applyInMemory([], reconcile(directory(user('1', 'jane@contoso.com'))));
    expect(reconcile(directory(), existing)).toEqual([expect.objectContaining({ kind: 'delete', rule: 'DEL-1', reason: 'deleted-in-directory' })]);
  });

  it('DEL-2 user who leaves every synced group is deleted at the next reconciliation', () => {
    const settings: ReconcileSettings = { ...SETTINGS, scope: { kind: 'groups', groups: [{ displayName: 'voice users' }] } };
    const dir: Directory = { users: [user('1', 'jane@contoso.com')], groups: [{ id: 'g', displayName: 'Voice Users' }], memberships: [{ groupId: 'g', userId: '1' }] };
    const existing = applyInMemory([], reconcile(dir, [], settings));
    expect(existing).toHaveLength(1);
    expect(reconcile({ ...dir, memberships: [] }, existing, settings)).toEqual([expect.objectContaining({ kind: 'delete', rule: 'DEL-2', reason: 'left-every-synced-group' })]);
  });

  it('DEL-3 a deactivated user is marked deactivated, never deleted, and keeps its licences', () => {
    const existing = applyInMemory([], reconcile(directory(user('1', 'jane@contoso.com')))).map((v) => ({ ...v, licenses: ['voice-pro'], extension: '1001' }));
    const rows = reconcile(directory(user('1', 'jane@contoso.com', { active: false })), existing);
    expect(rows).toEqual([expect.objectContaining({ kind: 'update', rule: 'DEL-3', changes: [{ field: 'status', before: 'active', after: 'deactivated' }] })]);
    expect(applyInMemory(existing, rows)[0]).toMatchObject({ status: 'deactivated', licenses: ['voice-pro'], extension: '1001' });
  });

  it('DEL-5 a location change deletes and recreates the voice user', () => {
    const existing = applyInMemory([], reconcile(directory(user('1', 'jane@contoso.com'))));
    const rows = reconcile(directory(user('1', 'jane@contoso.com', { addresses: [{ type: 'work', locality: 'London' }] })), existing);
    expect(rows).toEqual([expect.objectContaining({ kind: 'recreate', rule: 'DEL-5', changes: [{ field: 'locationId', before: 'loc-sea', after: 'loc-lon' }] })]);
  });

  it('DEL-5 a move carries extension and DID when the new location allows them', () => {
    const existing = applyInMemory([], reconcile(directory(user('1', 'jane@contoso.com')))).map((v) => ({ ...v, extension: '2001', did: '+44 20 7946 0001' }));
    const moved = directory(user('1', 'jane@contoso.com', { addresses: [{ type: 'work', locality: 'London' }] }));
    expect(reconcile(moved, existing)).toEqual([expect.objectContaining({ kind: 'recreate', carried: { extension: '2001', did: '+44 20 7946 0001' } })]);
    const [row] = reconcile(moved, existing, { ...SETTINGS, locationNumbers: { 'loc-lon': ['+4420'] } });
    expect(row).toMatchObject({ carried: { extension: '2001', did: '+44 20 7946 0001' } });
    expect(row).not.toHaveProperty('notice');
  });

  it('DEL-5 a DID the new location does not allow stays behind, and the plan says so for someone to reassign it', () => {
    const existing = applyInMemory([], reconcile(directory(user('1', 'jane@contoso.com')))).map((v) => ({ ...v, extension: '2001', did: '+1 206 555 0100' }));
    const moved = directory(user('1', 'jane@contoso.com', { addresses: [{ type: 'work', locality: 'London' }] }));
    const [row] = reconcile(moved, existing, { ...SETTINGS, locationNumbers: { 'loc-lon': ['+4420'] } });
    expect(row).toMatchObject({ kind: 'recreate', carried: { extension: '2001' }, notice: expect.stringContaining('DID +1 206 555 0100 of jane is not a number of location loc-lon') });
    expect((row as { carried: object }).carried).not.toHaveProperty('did');
  });

  it('SYNC-5 a create whose user name a hand-made portal user holds (another email, so no DEL-6 link) is an error row in the plan', () => {
    const handMade: VoiceUser = { registrationId: 'r', id: 'p1', userName: 'Jane', firstName: 'J', lastName: 'D', primaryEmail: 'jd@contoso.com', additionalEmails: [], locationId: 'loc-sea', status: 'active', licenses: [], origin: 'portal', createdAt: '', updatedAt: '', version: 1 };
    expect(reconcile(directory(user('1', 'jane@contoso.com')), [handMade])).toEqual([
      expect.objectContaining({ kind: 'error', rule: 'SYNC-5', message: 'jane was not created: its user name jane is already used by voice user Jane, made in the portal with the email jd@contoso.com (DEL-6 links only on the same primary email); rename or remove one of them' }),
    ]);
  });

  it('SYNC-5 a name freed by a deletion of the same run is not a clash', () => {
    const existing = applyInMemory([], reconcile(directory(user('1', 'jane@contoso.com'))));
    expect(reconcile(directory(user('2', 'jane@contoso.com')), existing).map((row) => row.kind)).toEqual(['delete', 'create']);
  });

  it('DEL-6 soft-matches a hand-made portal user by primary email instead of duplicating it', () => {
    const handMade: VoiceUser = { registrationId: 'r', id: 'p1', userName: 'jdoe', firstName: 'J', lastName: 'D', primaryEmail: 'JANE@contoso.com', additionalEmails: [], locationId: 'loc-sea', status: 'active', licenses: ['basic'], origin: 'portal', createdAt: '', updatedAt: '', version: 1 };
    const rows = reconcile(directory(user('1', 'jane@contoso.com')), [handMade]);
    expect(rows).toEqual([expect.objectContaining({ kind: 'link', rule: 'DEL-6', voiceUserId: 'p1' })]);
  });

  it('MAP-7 Azure AD changes to first name flow to the voice user as an update with before/after', () => {
    const existing = applyInMemory([], reconcile(directory(user('1', 'jane@contoso.com', { name: { givenName: 'Jane' } }))));
    const rows = reconcile(directory(user('1', 'jane@contoso.com', { name: { givenName: 'Janet' } })), existing);
    expect(rows).toEqual([expect.objectContaining({ kind: 'update', changes: [{ field: 'firstName', before: 'Jane', after: 'Janet' }] })]);
  });

  it('hand-made portal users that match nobody are left alone', () => {
    const handMade = { registrationId: 'r', id: 'p1', userName: 'x', firstName: 'X', lastName: 'Y', primaryEmail: 'x@contoso.com', additionalEmails: [], locationId: 'l', status: 'active' as const, licenses: [], origin: 'portal' as const, createdAt: '', updatedAt: '', version: 1 };
    expect(reconcile(directory(), [handMade])).toEqual([]);
  });

  it('REG-4 an ended registration deletes every voice user, hand-made ones too (no user remains after end of service)', () => {
    const existing = applyInMemory([], reconcile(directory(user('1', 'jane@contoso.com'), user('2', 'john@contoso.com'))));
    const handMade: VoiceUser = { ...existing[0]!, id: 'p1', userName: 'kim', primaryEmail: 'kim@contoso.com', origin: 'portal', directoryUserId: undefined };
    const rows = planReconciliation(computeDesiredState(directory(), SETTINGS), [...existing, handMade], { registrationEnded: true }).rows;
    expect(rows.map((r) => [r.kind, r.rule, r.userName])).toEqual([['delete', 'REG-4', 'jane'], ['delete', 'REG-4', 'john'], ['delete', 'REG-4', 'kim']]);
  });

  it('SYNC-5 one bad user never stops the others', () => {
    const rows = reconcile(directory(user('1', 'bad#EXT#@contoso.com'), user('2', 'good@contoso.com')));
    expect(rows.map((r) => r.kind).sort()).toEqual(['create', 'error']);
  });
});

describe('SYNC-5 licence seats', () => {
  const policy: LicensePolicy = { seats: { 'voice-standard': 2 }, assignOnCreate: ['voice-standard', 'voicemail'] };
  const plan = (dir: Directory, voiceUsers: VoiceUser[] = []) =>
    planReconciliation(computeDesiredState(dir, SETTINGS), voiceUsers, { licenses: { policy, usage: usageOf(policy, voiceUsers) } }).rows;

  it('SYNC-5 each created voice user is given the licences to assign; uncounted ones never run out', () => {
    const rows = plan(directory(user('1', 'jane@contoso.com')));
    expect(rows).toEqual([expect.objectContaining({ kind: 'create', licenses: ['voice-standard', 'voicemail'] })]);
  });

  it('SYNC-5 a create beyond the seats is a per-user "no licence left" error; the others are created', () => {
    const rows = plan(directory(user('1', 'a@contoso.com'), user('2', 'b@contoso.com'), user('3', 'c@contoso.com')));
    expect(rows.map((r) => r.kind)).toEqual(['create', 'create', 'error']);
    expect(rows[2]).toMatchObject({ rule: 'SYNC-5', userName: 'c', message: expect.stringMatching(/c was not created: no "voice-standard" licence left \(all 2 seats are in use\)/) });
  });

  it('SYNC-5 deletions come first and free their seats for the creates of the same run', () => {
    const existing = applyInMemory([], plan(directory(user('1', 'a@contoso.com'), user('2', 'b@contoso.com')))).map((v) => ({ ...v, licenses: ['voice-standard'] }));
    const rows = plan(directory(user('2', 'b@contoso.com'), user('3', 'c@contoso.com')), existing);
    expect(rows.map((r) => [r.kind, r.userName])).toEqual([['delete', 'a'], ['create', 'c']]);
  });

  it('SYNC-5 seat checks never touch existing voice users: DEL-3 deactivation keeps the seat', () => {
    const existing = applyInMemory([], plan(directory(user('1', 'a@contoso.com')))).map((v) => ({ ...v, licenses: ['voice-standard'] }));
    const full = { ...policy, seats: { 'voice-standard': 1 } };
    const rows = planReconciliation(computeDesiredState(directory(user('1', 'a@contoso.com', { active: false })), SETTINGS), existing, { licenses: { policy: full, usage: usageOf(full, existing) } }).rows;
    expect(rows).toEqual([expect.objectContaining({ kind: 'update', rule: 'DEL-3' })]);
  });
});

describe('DEL-4 retention', () => {
  it.each([
    ['6-months', '2026-08-31T10:00:00.000Z', '2027-02-28T10:00:00.000Z'],
    ['1-year', '2024-02-29T00:00:00.000Z', '2025-02-28T00:00:00.000Z'],
    ['3-years', '2026-01-15T00:00:00.000Z', '2029-01-15T00:00:00.000Z'],
  ] as const)('DEL-4 %s from %s ends at %s', (period, from, to) => {
    expect(retentionEndsAt(new Date(from), period).toISOString()).toBe(to);
  });
});
