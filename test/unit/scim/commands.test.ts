import { describe, expect, it } from 'vitest';
import { scimCommands } from '../../../src/scim/commands.js';
import { ENTERPRISE, entraUser, GROUP, patchBody, USER } from './fixtures.js';
import { scimAnswerOf } from '../../support/scim-answer.js';

const ID = '9f0c1c2e-4c4b-4d0e-9b57-0f6d3c1f2a10';

describe('scimCommands: request bodies become the directory\'s typed commands', () => {
  it('a POST /Users body becomes CreateUser with the userName and externalId the directory keys on', () => {
    expect(scimCommands.createUser(entraUser())).toEqual({ attributes: { userName: 'ada.lovelace@contoso.example', externalId: 'ext-ada', resource: entraUser() } });
  });

  it('an empty externalId is no external id', () => {
    expect(scimCommands.replaceUser(ID, entraUser({ externalId: '' })).attributes.externalId).toBeUndefined();
  });

  it('a POST /Groups body becomes CreateGroup: the group\'s attributes, and its members apart', () => {
    const body = { schemas: [GROUP], displayName: 'Sales', externalId: 'g-1', members: [{ value: 'u1', display: 'Ada' }, { value: 'u1' }] };
    expect(scimCommands.createGroup(body)).toEqual({
      attributes: { displayName: 'Sales', externalId: 'g-1', resource: { schemas: [GROUP], displayName: 'Sales', externalId: 'g-1' } },
      members: [{ value: 'u1', display: 'Ada' }],
    });
  });

  it.each([
    ['a User body that is not an object', 'invalidSyntax', () => scimCommands.createUser('nope')],
    ['a User without userName', 'invalidValue', () => scimCommands.replaceUser(ID, { schemas: [USER] })],
    ['a Group with a member without value', 'invalidValue', () => scimCommands.replaceGroup(ID, { schemas: [GROUP], displayName: 'G', members: [{ display: 'x' }] })],
    ['a PATCH with a malformed path', 'invalidPath', () => scimCommands.patchUser(ID, patchBody({ op: 'replace', path: 'emails[type eq "work"', value: 'x' }))],
    ['a PATCH of a read-only attribute', 'mutability', () => scimCommands.patchGroup(ID, patchBody({ op: 'replace', path: 'id', value: 'x' }))],
  ])('%s is refused (400 %s) before any command reaches the directory', (_name, scimType, read) => {
    expect(scimAnswerOf(read)).toMatchObject({ status: 400, scimType });
  });

  it('a PATCH /Users becomes PatchUser whose edit derives userName and externalId from the edited document', () => {
    const { id, edit } = scimCommands.patchUser(ID, patchBody({ op: 'replace', path: 'userName', value: 'ada@fabrikam.example' }, { op: 'remove', path: 'externalId' }));
    expect(id).toBe(ID);
    const edited = edit(entraUser());
    expect(edited).toMatchObject({ userName: 'ada@fabrikam.example', externalId: undefined, resource: { userName: 'ada@fabrikam.example', [ENTERPRISE]: { department: 'Sales' } } });
    expect(edited.resource.externalId).toBeUndefined();
  });

  it('a PATCH /Users removing userName compiles; its edit refuses it against the stored user (400 invalidValue)', () => {
    const { edit } = scimCommands.patchUser(ID, patchBody({ op: 'remove', path: 'userName' }));
    expect(scimAnswerOf(() => edit(entraUser()))).toEqual({ status: 400, scimType: 'invalidValue', detail: 'userName is required and cannot be removed' });
  });

  it('a PATCH /Groups becomes PatchGroup: member operations as data, attributes through the edit', () => {
    const command = scimCommands.patchGroup(ID, patchBody({ op: 'Replace', path: 'displayName', value: 'New' }, { op: 'Add', path: 'members', value: [{ value: 'u1' }] }, { op: 'remove', path: 'members[value eq "u2"]' }));
    expect(command.memberOps).toEqual([{ kind: 'add', members: [{ value: 'u1' }] }, { kind: 'remove', ids: ['u2'] }]);
    expect(command.edit({ schemas: [GROUP], displayName: 'Old' })).toEqual({ displayName: 'New', externalId: undefined, resource: { schemas: [GROUP], displayName: 'New' } });
  });

  it.each([
    ['no If-Match', undefined, {}],
    ['If-Match: *', '*', {}],
    ['a weak tag', 'W/"3"', { expectedVersions: [3] }],
    ['a strong tag, as some clients send the version back', '"4"', { expectedVersions: [4] }],
    ['a list of tags', 'W/"3", W/"5"', { expectedVersions: [3, 5] }],
    ['a tag the service never issued', 'W/"abc"', { expectedVersions: [] }],
  ])('DELETE with %s: the precondition the directory checks', (_name, ifMatch, precondition) => {
    expect(scimCommands.deleteUser(ID, ifMatch)).toEqual({ id: ID, ...precondition });
    expect(scimCommands.deleteGroup(ID, ifMatch)).toEqual({ id: ID, ...precondition });
  });
});
