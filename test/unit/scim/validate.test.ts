import { describe, expect, it } from 'vitest';
import { readGroupBody, readResourceBody } from '../../../src/scim/validate.js';
import { ENTERPRISE, entraUser, GROUP, MS_GROUP, USER, VOICE } from './fixtures.js';
import { scimAnswerOf } from '../../support/scim-answer.js';

describe('readResourceBody: what is stored from a User body', () => {
  it('keeps an Entra user exactly as sent', () => {
    expect(readResourceBody('User', entraUser(), 'create')).toEqual(entraUser());
  });

  it.each([
    ['id and meta (service-owned)', { id: 'client-id', meta: { resourceType: 'User' } }],
    ['password (never stored)', { password: 'S3cret' }],
    ['the read-only voice-portal extension', { [VOICE]: { extension: '1234', did: '+15550100' } }],
    ['read-only groups', { groups: [{ value: 'g1' }] }],
    ['unknown attributes, without error', { favouriteColour: 'green', 'urn:example:custom:2.0:User': { x: 1 } }],
  ])('drops %s', (_name, extra) => {
    expect(readResourceBody('User', entraUser(extra), 'create')).toEqual(entraUser());
  });

  it.each([
    ['Entra: active "False" string becomes false', { active: 'False' }, { active: false }],
    ['Entra: active "TRUE" string becomes true', { active: 'TRUE' }, { active: true }],
    ['Entra: primary "True" inside emails becomes true', { emails: [{ type: 'work', value: 'a@x', primary: 'True' }] }, { emails: [{ type: 'work', value: 'a@x', primary: true }] }],
    ['non-canonical type "Work" kept as sent', { emails: [{ type: 'Work', value: 'a@x' }] }, { emails: [{ type: 'Work', value: 'a@x' }] }],
    ['phone number kept unformatted', { phoneNumbers: [{ type: 'mobile', value: '+1 (555) 0100' }] }, { phoneNumbers: [{ type: 'mobile', value: '+1 (555) 0100' }] }],
    ['Entra: manager as a plain id becomes { value }', { [ENTERPRISE]: { manager: 'boss-id' } }, { [ENTERPRISE]: { manager: { value: 'boss-id' } } }],
    ['manager as a one-element array becomes { value }', { [ENTERPRISE]: { manager: [{ value: 'boss-id' }] } }, { [ENTERPRISE]: { manager: { value: 'boss-id' } } }],
    ['attribute names in any case are stored under their canonical names', { DisplayName: 'Ada', NAME: { GivenName: 'Ada' } }, { displayName: 'Ada', name: { givenName: 'Ada' } }],
    ['null means unassigned', { title: null }, {}],
  ])('%s', (_name, sent, stored) => {
    const body = { schemas: [USER, ENTERPRISE], userName: 'ada@contoso.example', ...sent };
    expect(readResourceBody('User', body, 'replace')).toEqual({ schemas: [USER, ENTERPRISE], userName: 'ada@contoso.example', ...stored });
  });

  it('adds the enterprise URN to schemas when enterprise attributes are present', () => {
    expect(readResourceBody('User', { schemas: [USER], userName: 'a', [ENTERPRISE]: { department: 'Sales' } }, 'create').schemas).toEqual([USER, ENTERPRISE]);
  });

  it('accepts schema URNs in any case and stores them canonically', () => {
    expect(readResourceBody('User', { schemas: [USER.toUpperCase()], userName: 'a' }, 'create').schemas).toEqual([USER]);
  });

  it.each([
    ['a JSON array', [], 'invalidSyntax', 'must be a JSON object'],
    ['no schemas', { userName: 'a' }, 'invalidSyntax', 'schemas must be an array'],
    ['schemas without the core User schema', { schemas: [ENTERPRISE], userName: 'a' }, 'invalidValue', `schemas must include "${USER}"`],
    ['a missing userName', { schemas: [USER] }, 'invalidValue', 'userName is required'],
    ['an empty userName', { schemas: [USER], userName: '' }, 'invalidValue', 'userName is required'],
    ['userName: 123', { schemas: [USER], userName: 123 }, 'invalidValue', 'userName must be a string, not 123'],
    ['active: "maybe"', { schemas: [USER], userName: 'a', active: 'maybe' }, 'invalidValue', 'active must be true or false, not "maybe"'],
    ['emails: "x"', { schemas: [USER], userName: 'a', emails: 'x' }, 'invalidValue', 'emails must be an array, not "x"'],
    ['a bad element inside emails', { schemas: [USER], userName: 'a', emails: [{ value: 5 }] }, 'invalidValue', 'emails[0].value must be a string'],
    ['manager of the wrong type', { schemas: [USER], userName: 'a', [ENTERPRISE]: { manager: 5 } }, 'invalidValue', `${ENTERPRISE}:manager must be an object`],
  ])('refuses %s with 400', (_name, body, scimType, detail) => {
    expect(scimAnswerOf(() => readResourceBody('User', body, 'create'))).toMatchObject({ status: 400, scimType, detail: expect.stringContaining(detail) });
  });
});

describe('readGroupBody', () => {
  it('Entra: accepts the Microsoft group schema and returns members apart from the group', () => {
    const body = { schemas: [GROUP, MS_GROUP], externalId: 'g-ext', displayName: 'Sales', members: [{ value: 'u1' }, { value: 'u2', display: 'Two' }] };
    expect(readGroupBody(body, 'create')).toEqual({
      resource: { schemas: [GROUP, MS_GROUP], externalId: 'g-ext', displayName: 'Sales' },
      members: [{ value: 'u1' }, { value: 'u2', display: 'Two' }],
    });
  });

  it('a member listed twice is one membership', () => {
    expect(readGroupBody({ schemas: [GROUP], displayName: 'G', members: [{ value: 'u1' }, { value: 'u1' }] }, 'replace').members).toEqual([{ value: 'u1' }]);
  });

  it('no members means an empty list', () => {
    expect(readGroupBody({ schemas: [GROUP], displayName: 'G' }, 'replace').members).toEqual([]);
  });

  it.each([
    ['a missing displayName', { schemas: [GROUP] }, 'displayName is required'],
    ['a member without value', { schemas: [GROUP], displayName: 'G', members: [{ display: 'x' }] }, 'members[0] must be an object whose "value" is the id of a user'],
    ['a User schema', { schemas: [USER], displayName: 'G' }, `schemas must include "${GROUP}"`],
  ])('refuses %s with 400 invalidValue', (_name, body, detail) => {
    expect(scimAnswerOf(() => readGroupBody(body, 'create'))).toMatchObject({ status: 400, scimType: 'invalidValue', detail: expect.stringContaining(detail) });
  });
});
