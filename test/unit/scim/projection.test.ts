import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/kernel/json.js';
import { projectResource, wantsMembers } from '../../../src/scim/projection.js';
import { schemaDocuments, resourceTypeDocuments, findAttribute } from '../../../src/scim/schemas.js';
import { ENTERPRISE, GROUP, MAILBOX, USER, VOICE } from './fixtures.js';
import { scimAnswerOf } from '../../support/scim-answer.js';

const emails: JsonObject[] = [
  { type: 'work', value: 'ada@contoso.example', primary: true },
  { type: 'home', value: 'ada@home.example' },
];
const user: JsonObject = {
  schemas: [USER, ENTERPRISE],
  id: 'u1',
  userName: 'ada@contoso.example',
  displayName: 'Ada',
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails,
  password: 'never-returned',
  [ENTERPRISE]: { employeeNumber: '1001', manager: { value: 'boss' } },
  meta: { resourceType: 'User', location: 'https://scim.example/Users/u1' },
};
const always = { schemas: user.schemas, id: 'u1', meta: user.meta };

describe('projectResource (RFC 7644 §3.4.2.5, §3.9)', () => {
  it.each([
    ['no parameters: everything but returned:never (password)', {}, (({ password: _password, ...rest }) => rest)(user)],
    ['attributes=userName,emails: those plus id, schemas, meta', { attributes: 'userName,emails' }, { ...always, userName: user.userName, emails }],
    ['attribute names are case-insensitive', { attributes: 'USERNAME' }, { ...always, userName: user.userName }],
    ['a sub-attribute: name.givenName', { attributes: 'name.givenName' }, { ...always, name: { givenName: 'Ada' } }],
    ['a sub-attribute of a multi-valued attribute: emails.value', { attributes: 'emails.value' }, { ...always, emails: [{ value: 'ada@contoso.example' }, { value: 'ada@home.example' }] }],
    ['an extension attribute by URN', { attributes: `${ENTERPRISE}:employeeNumber` }, { ...always, [ENTERPRISE]: { employeeNumber: '1001' } }],
    ['an extension sub-attribute by URN', { attributes: `${ENTERPRISE}:manager.value` }, { ...always, [ENTERPRISE]: { manager: { value: 'boss' } } }],
    ['a whole extension by its URN', { attributes: ENTERPRISE }, { ...always, [ENTERPRISE]: user[ENTERPRISE] }],
    ['Microsoft: emails[type eq "work"] returns emails, only the matching elements', { attributes: 'emails[type eq "Work"]' }, { ...always, emails: [emails[0]!] }],
    ['a plain name wins over a filtered one', { attributes: 'emails[type eq "work"],emails' }, { ...always, emails }],
    ['password is not returned even when asked for', { attributes: 'password,userName' }, { ...always, userName: user.userName }],
    ['unknown names are ignored', { attributes: 'favouriteColour,userName' }, { ...always, userName: user.userName }],
    ['excludedAttributes removes attributes', { excludedAttributes: 'emails,name,password,displayName' }, { ...always, userName: user.userName, [ENTERPRISE]: user[ENTERPRISE] }],
    ['excludedAttributes removes one sub-attribute', { excludedAttributes: 'name.familyName,emails,displayName,' + ENTERPRISE }, { ...always, userName: user.userName, name: { givenName: 'Ada' } }],
    ['id, schemas and meta cannot be excluded', { excludedAttributes: 'id,schemas,meta,userName,displayName,name,emails,' + ENTERPRISE }, always],
  ])('%s', (_name, view, expected) => {
    expect(projectResource('User', user, view)).toEqual(expected);
  });

  it('Group: excludedAttributes=members drops members', () => {
    const group = { schemas: [GROUP], id: 'g1', displayName: 'Sales', members: [{ value: 'u1' }], meta: { resourceType: 'Group' } };
    expect(projectResource('Group', group, { excludedAttributes: 'members' })).toEqual({ schemas: [GROUP], id: 'g1', displayName: 'Sales', meta: group.meta });
  });

  it('refuses a malformed filter in attributes with 400 invalidFilter', () => {
    expect(scimAnswerOf(() => projectResource('User', user, { attributes: 'emails[type eq]' }))).toMatchObject({ status: 400, scimType: 'invalidFilter' });
  });
});

describe('wantsMembers: group members are loaded only when they will be returned', () => {
  it.each([
    ['no parameters', undefined, undefined, true],
    ['Entra: excludedAttributes=members', 'members', undefined, false],
    ['excludedAttributes in another case', 'Members', undefined, false],
    ['excludedAttributes of other attributes', 'externalId', undefined, true],
    ['attributes=displayName', undefined, 'displayName', false],
    ['attributes=members', undefined, 'displayName,members', true],
    ['attributes=members.value', undefined, 'members.value', true],
  ])('%s → %s', (_name, excluded, attributes, expected) => {
    expect(wantsMembers(excluded, attributes)).toBe(expected);
  });
});

describe('schemas', () => {
  it('/Schemas documents User, Enterprise User, the voice extension (read-only), the mailbox extension and Group', () => {
    const documents = schemaDocuments() as { id: string; attributes: { name: string; mutability: string }[] }[];
    expect(documents.map((document) => document.id)).toEqual([USER, ENTERPRISE, VOICE, MAILBOX, GROUP]);
    const voice = documents.find((document) => document.id === VOICE)!;
    expect(Object.fromEntries(voice.attributes.map((attribute) => [attribute.name, attribute.mutability]))).toEqual({
      extension: 'readOnly',
      did: 'readOnly',
      locationId: 'readOnly',
      licenses: 'readOnly',
    });
  });

  it('/ResourceTypes lists User with its three extensions, and Group', () => {
    expect(resourceTypeDocuments()).toMatchObject([
      { name: 'User', endpoint: '/Users', schema: USER, schemaExtensions: [{ schema: ENTERPRISE, required: false }, { schema: VOICE, required: false }, { schema: MAILBOX, required: false }] },
      { name: 'Group', endpoint: '/Groups', schema: GROUP, schemaExtensions: [] },
    ]);
  });

  it.each([
    ['userName', ['userName']],
    ['NAME.familyname', ['name', 'familyName']],
    [`${USER}:userName`, ['userName']],
    [`${ENTERPRISE}:employeeNumber`, [ENTERPRISE, 'employeeNumber']],
    [`${ENTERPRISE.toLowerCase()}:manager.value`, [ENTERPRISE, 'manager', 'value']],
    [ENTERPRISE, [ENTERPRISE]],
    [`${VOICE}:did`, [VOICE, 'did']],
  ])('findAttribute(User, %s)', (path, expected) => {
    expect(findAttribute('User', path)?.path).toEqual(expected);
  });

  it.each([['favouriteColour'], ['name.nickname'], ['userName.x'], ['members']])('findAttribute(User, %s) finds nothing', (path) => {
    expect(findAttribute('User', path)).toBeUndefined();
  });
});
