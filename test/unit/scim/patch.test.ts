import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/kernel/json.js';
import { compilePatch } from '../../../src/scim/patch.js';
import type { ResourceType } from '../../../src/scim/schemas.js';
import { ENTERPRISE, entraUser, GROUP, PATCH_OP, patchBody, USER, VOICE } from './fixtures.js';
import { scimAnswerOf } from '../../support/scim-answer.js';

/** The PATCH read from its body, then its edit applied to the stored resource. */
const applyPatch = (resourceType: ResourceType, current: JsonObject, body: unknown) => {
  const { edit, memberOps } = compilePatch(resourceType, body);
  return { resource: edit(current), memberOps };
};

const user = entraUser() as JsonObject;
const patchUser = (...operations: unknown[]) => applyPatch('User', user, patchBody(...operations));
const group: JsonObject = { schemas: [GROUP], displayName: 'Sales' };
const patchGroup = (...operations: unknown[]) => applyPatch('Group', group, patchBody(...operations));

describe('applyPatch: Microsoft Entra shapes on a User', () => {
  it.each([
    ['Entra: Replace active "False" string deactivates', [{ op: 'Replace', path: 'active', value: 'False' }], { active: false }],
    ['Entra: op names are case-insensitive (Add, REPLACE)', [{ op: 'REPLACE', path: 'displayName', value: 'X' }, { op: 'Add', path: 'title', value: 'Y' }], { displayName: 'X', title: 'Y' }],
    ['Entra: name.familyName sub-attribute', [{ op: 'Replace', path: 'name.familyName', value: 'Byron' }], { name: { givenName: 'Ada', familyName: 'Byron', formatted: 'Ada Lovelace' } }],
    ['attribute names in paths are case-insensitive', [{ op: 'replace', path: 'Name.FamilyName', value: 'Byron' }], { name: { givenName: 'Ada', familyName: 'Byron', formatted: 'Ada Lovelace' } }],
    ['Entra: enterprise employeeNumber by URN path', [{ op: 'Replace', path: `${ENTERPRISE}:employeeNumber`, value: '2002' }], { [ENTERPRISE]: { employeeNumber: '2002', department: 'Sales' } }],
    ['Entra: manager added as a plain id', [{ op: 'Add', path: `${ENTERPRISE}:manager`, value: 'boss' }], { [ENTERPRISE]: { employeeNumber: '1001', department: 'Sales', manager: { value: 'boss' } } }],
    ['Entra: manager added as [{"value": id}]', [{ op: 'Add', path: `${ENTERPRISE}:manager`, value: [{ value: 'boss' }] }], { [ENTERPRISE]: { employeeNumber: '1001', department: 'Sales', manager: { value: 'boss' } } }],
    ['manager added as {value}', [{ op: 'add', path: `${ENTERPRISE}:manager`, value: { value: 'boss' } }], { [ENTERPRISE]: { employeeNumber: '1001', department: 'Sales', manager: { value: 'boss' } } }],
    ['Entra: emails[type eq "work"].value replaces the work address', [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'new@contoso.example' }], { emails: [{ primary: true, type: 'work', value: 'new@contoso.example' }] }],
    ['filters in paths compare case-insensitively', [{ op: 'Replace', path: 'emails[type eq "WORK"].value', value: 'new@x' }], { emails: [{ primary: true, type: 'work', value: 'new@x' }] }],
    ['Entra: Add phoneNumbers[type eq "mobile"].value creates the mobile element, number kept as sent', [{ op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 (555) 0100' }], { phoneNumbers: [{ type: 'work', value: '55555555555' }, { type: 'mobile', value: '+1 (555) 0100' }] }],
    ['Entra: several addresses[type eq "work"].x ops merge into one element', [
      { op: 'Add', path: 'addresses[type eq "work"].streetAddress', value: '1 Main St' },
      { op: 'Add', path: 'addresses[type eq "work"].locality', value: 'Seattle' },
      { op: 'Add', path: 'addresses[type eq "work"].postalCode', value: '98101' },
    ], { addresses: [{ type: 'work', streetAddress: '1 Main St', locality: 'Seattle', postalCode: '98101' }] }],
    ['Entra: add without path merges the value object, with dotted and URN keys inside', [{ op: 'Add', value: { displayName: 'X', 'name.givenName': 'Augusta', [`${ENTERPRISE}:department`]: 'R&D' } }], { displayName: 'X', name: { givenName: 'Augusta', familyName: 'Lovelace', formatted: 'Ada Lovelace' }, [ENTERPRISE]: { employeeNumber: '1001', department: 'R&D' } }],
    ['replace without path merges an extension object', [{ op: 'replace', value: { [ENTERPRISE]: { costCenter: 'CC1' } } }], { [ENTERPRISE]: { employeeNumber: '1001', department: 'Sales', costCenter: 'CC1' } }],
    ['replace of a multi-valued attribute replaces the whole list', [{ op: 'replace', path: 'emails', value: [{ type: 'home', value: 'h@x' }] }], { emails: [{ type: 'home', value: 'h@x' }] }],
    ['add to a multi-valued attribute appends; primary: true makes the others non-primary', [{ op: 'add', path: 'emails', value: [{ type: 'home', value: 'h@x', primary: 'True' }] }], { emails: [{ primary: false, type: 'work', value: 'ada.lovelace@contoso.example' }, { type: 'home', value: 'h@x', primary: true }] }],
    ['adding an element already present does not duplicate it', [{ op: 'add', path: 'emails', value: [{ primary: true, type: 'work', value: 'ada.lovelace@contoso.example' }] }], {}],
    ['remove → add → replace on one attribute are applied in order', [
      { op: 'remove', path: 'title' },
      { op: 'add', path: 'title', value: 'first' },
      { op: 'replace', path: 'title', value: 'second' },
    ], { title: 'second' }],
    ['password is silently dropped', [{ op: 'replace', path: 'password', value: 'S3cret' }, { op: 'replace', value: { password: 'S3cret' } }], {}],
    ['unknown attributes are ignored, as on POST', [{ op: 'add', path: 'favouriteColour', value: 'green' }, { op: 'add', value: { 'urn:example:custom:2.0:User:x': 1 } }], {}],
    ['the empty Operations array is a no-op', [], {}],
  ])('%s', (_name, operations, changes) => {
    expect(patchUser(...operations)).toEqual({ resource: { ...user, ...changes }, memberOps: [] });
  });

  it.each([
    ['Entra: Replace manager with an empty string', { op: 'Replace', path: `${ENTERPRISE}:manager`, value: '' }],
    ['Remove manager', { op: 'Remove', path: `${ENTERPRISE}:manager` }],
  ])('%s removes it, keeping the rest of the extension', (_name, operation) => {
    const managed = { ...user, [ENTERPRISE]: { employeeNumber: '1001', manager: { value: 'boss' } } };
    expect(applyPatch('User', managed, patchBody(operation)).resource[ENTERPRISE]).toEqual({ employeeNumber: '1001' });
  });

  it.each([
    ['remove a filtered element', { op: 'remove', path: 'emails[type eq "work"]' }, (resource: JsonObject) => expect(resource.emails).toBeUndefined()],
    ['remove a sub-attribute of the filtered elements', { op: 'remove', path: 'emails[type eq "work"].primary' }, (resource: JsonObject) => expect(resource.emails).toEqual([{ type: 'work', value: 'ada.lovelace@contoso.example' }])],
    ['remove with a filter matching nothing is a no-op', { op: 'remove', path: 'emails[type eq "home"]' }, (resource: JsonObject) => expect(resource.emails).toEqual(user.emails)],
    ['removing the last enterprise attribute removes the extension', { op: 'remove', path: ENTERPRISE }, (resource: JsonObject) => expect(resource[ENTERPRISE]).toBeUndefined()],
  ])('%s', (_name, operation, check) => {
    check(patchUser(operation).resource);
  });

  it('does not modify the resource it was given', () => {
    const before = structuredClone(user);
    patchUser({ op: 'replace', path: 'name.familyName', value: 'x' }, { op: 'add', path: 'emails', value: [{ value: 'y' }] });
    expect(user).toEqual(before);
  });

  it('adds the enterprise URN to schemas when the patch creates enterprise data', () => {
    const plain = { schemas: [USER], userName: 'a' };
    expect(applyPatch('User', plain, patchBody({ op: 'add', path: `${ENTERPRISE}:department`, value: 'Sales' })).resource.schemas).toEqual([USER, ENTERPRISE]);
  });
});

describe('applyPatch: MAP-8 the portal owns extension and DID', () => {
  it.each([
    ['a path to the DID', patchBody({ op: 'replace', path: `${VOICE}:did`, value: '+15550100' }, { op: 'replace', path: 'displayName', value: 'Renamed' })],
    ['a path-less value', patchBody({ op: 'add', value: { [VOICE]: { extension: '1234' }, displayName: 'Renamed' } })],
  ])('MAP-8 extension or DID pushed from Azure AD (%s) are ignored; the rest of the PATCH applies', (_name, body) => {
    const patched = applyPatch('User', user, body).resource;
    expect(patched.displayName).toBe('Renamed');
    expect(patched[VOICE]).toBeUndefined();
  });
});

describe('applyPatch: errors (all operations or none)', () => {
  it.each([
    ['a body that is not an object', 'invalidSyntax', 'nope', 'A PATCH body must be'],
    ['missing Operations', 'invalidSyntax', { schemas: [PATCH_OP] }, '"Operations" is missing'],
    ['wrong schemas', 'invalidSyntax', { schemas: [USER], Operations: [] }, 'do not include'],
    ['an unknown op', 'invalidSyntax', patchBody({ op: 'upsert', path: 'title', value: 'x' }), 'op must be "add", "replace" or "remove", not "upsert"'],
    ['remove with no path', 'noTarget', patchBody({ op: 'remove' }), 'a remove needs a "path"'],
    ['a malformed path', 'invalidPath', patchBody({ op: 'replace', path: 'emails[type eq "work"', value: 'x' }), 'is malformed'],
    ['a filter on a single-valued attribute', 'invalidPath', patchBody({ op: 'replace', path: 'name[givenName eq "Ada"].familyName', value: 'x' }), 'not a multi-valued complex attribute'],
    ['a broken filter in a path', 'invalidFilter', patchBody({ op: 'replace', path: 'emails[type xx "work"].value', value: 'x' }), "unexpected 'xx'"],
    ['replace id', 'mutability', patchBody({ op: 'replace', path: 'id', value: 'new' }), 'id is read-only'],
    ['replace meta.created', 'mutability', patchBody({ op: 'replace', path: 'meta.created', value: '2020-01-01T00:00:00Z' }), 'read-only'],
    ['a wrong type', 'invalidValue', patchBody({ op: 'replace', path: 'active', value: 'maybe' }), 'active must be true or false'],
    ['removing userName', 'invalidValue', patchBody({ op: 'remove', path: 'userName' }), 'userName is required and cannot be removed'],
    ['add without path and a non-object value', 'invalidValue', patchBody({ op: 'add', value: 'x' }), 'needs an object of attributes'],
    ['add on a filter that cannot describe a new element', 'noTarget', patchBody({ op: 'add', path: 'phoneNumbers[type ne "work"].value', value: '1' }), 'does not describe one to create'],
  ])('%s → 400 %s', (_name, scimType, body, detail) => {
    expect(scimAnswerOf(() => applyPatch('User', user, body))).toMatchObject({ status: 400, scimType, detail: expect.stringContaining(detail) });
  });
});

describe('applyPatch: Group members become member operations, never part of the resource', () => {
  it.each([
    ['Entra: several members added in one op', [{ op: 'Add', path: 'members', value: [{ value: 'u1' }, { value: 'u2' }] }], [{ kind: 'add', members: [{ value: 'u1' }, { value: 'u2' }] }]],
    ['Entra: Remove with a value array removes only those', [{ op: 'Remove', path: 'members', value: [{ value: 'u1' }] }], [{ kind: 'remove', ids: ['u1'] }]],
    ['Entra: remove members[value eq "id"]', [{ op: 'remove', path: 'members[value eq "u3"]' }], [{ kind: 'remove', ids: ['u3'] }]],
    ['remove members[value eq a or value eq b]', [{ op: 'remove', path: 'members[value eq "a" or value eq "b"]' }], [{ kind: 'remove', ids: ['a', 'b'] }]],
    ['remove members without value removes all', [{ op: 'remove', path: 'members' }], [{ kind: 'removeAll' }]],
    ['replace members is removeAll then add', [{ op: 'replace', path: 'members', value: [{ value: 'u9' }] }], [{ kind: 'removeAll' }, { kind: 'add', members: [{ value: 'u9' }] }]],
    ['members in a path-less add', [{ op: 'add', value: { members: [{ value: 'u1' }] } }], [{ kind: 'add', members: [{ value: 'u1' }] }]],
    ['operations keep request order', [
      { op: 'add', path: 'members', value: [{ value: 'a' }] },
      { op: 'remove', path: 'members', value: [{ value: 'a' }] },
      { op: 'add', path: 'members', value: [{ value: 'b' }] },
    ], [{ kind: 'add', members: [{ value: 'a' }] }, { kind: 'remove', ids: ['a'] }, { kind: 'add', members: [{ value: 'b' }] }]],
  ])('%s', (_name, operations, memberOps) => {
    expect(patchGroup(...operations)).toEqual({ resource: group, memberOps });
  });

  it('Entra: rename and add a member in one request', () => {
    expect(patchGroup({ op: 'Replace', path: 'displayName', value: 'New' }, { op: 'Add', path: 'members', value: [{ value: 'u1' }] })).toEqual({
      resource: { ...group, displayName: 'New' },
      memberOps: [{ kind: 'add', members: [{ value: 'u1' }] }],
    });
  });

  it.each([
    ['a member filter on something other than value', { op: 'remove', path: 'members[display eq "Ada"]' }, 'invalidFilter'],
    ['adding through a member filter', { op: 'add', path: 'members[value eq "u1"]', value: { value: 'u1' } }, 'invalidPath'],
    ['a member without a value', { op: 'add', path: 'members', value: [{ display: 'x' }] }, 'invalidValue'],
    ['removing displayName', { op: 'remove', path: 'displayName' }, 'invalidValue'],
  ])('refuses %s', (_name, operation, scimType) => {
    expect(scimAnswerOf(() => patchGroup(operation))).toMatchObject({ status: 400, scimType });
  });
});

describe('compilePatch: what the body says is checked before the stored resource is read', () => {
  it.each([
    ['an unknown op', 'User', 'invalidSyntax', patchBody({ op: 'upsert', path: 'title', value: 'x' })],
    ['a malformed path', 'User', 'invalidPath', patchBody({ op: 'replace', path: 'emails[type eq "work"', value: 'x' })],
    ['a broken filter in a path', 'User', 'invalidFilter', patchBody({ op: 'replace', path: 'emails[type xx "work"].value', value: 'x' })],
    ['a read-only attribute', 'User', 'mutability', patchBody({ op: 'replace', path: 'id', value: 'new' })],
    ['a wrong type in the second operation', 'User', 'invalidValue', patchBody({ op: 'replace', path: 'title', value: 'x' }, { op: 'replace', path: 'active', value: 'maybe' })],
    ['a member without a value', 'Group', 'invalidValue', patchBody({ op: 'add', path: 'members', value: [{ display: 'x' }] })],
  ] as const)('%s is refused (%s, 400 %s) by compilePatch, with no resource at hand', (_name, resourceType, scimType, body) => {
    expect(scimAnswerOf(() => compilePatch(resourceType, body))).toMatchObject({ status: 400, scimType });
  });

  it.each([
    ['a filter matching nothing that cannot describe a new element', 'noTarget', { op: 'add', path: 'phoneNumbers[type ne "work"].value', value: '1' }],
    ['removing userName', 'invalidValue', { op: 'remove', path: 'userName' }],
  ])('%s compiles, and is refused (400 %s) by the edit of a stored resource', (_name, scimType, operation) => {
    const { edit } = compilePatch('User', patchBody(operation));
    expect(scimAnswerOf(() => edit(user))).toMatchObject({ status: 400, scimType });
  });

  it('an edit applied twice (a PATCH retried after a concurrent write) gives the same result and leaves its input alone', () => {
    const { edit } = compilePatch('User', patchBody(
      { op: 'add', path: 'emails', value: [{ type: 'home', value: 'h@x', primary: true }] },
      { op: 'add', path: 'addresses[type eq "work"].locality', value: 'Seattle' },
      { op: 'remove', path: 'emails[type eq "home"].primary' },
    ));
    const before = structuredClone(user);
    const first = edit(user);
    expect(edit(user)).toEqual(first);
    expect(user).toEqual(before);
    expect(first.emails).toEqual([{ primary: false, type: 'work', value: 'ada.lovelace@contoso.example' }, { type: 'home', value: 'h@x' }]);
  });
});
