import { describe, expect, it } from 'vitest';
import type { FilterNode } from '../../../src/persistence/query.js';
import { parseFilter, resolveSortBy } from '../../../src/scim/filter.js';
import { scimAnswerOf } from '../../support/scim-answer.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** A compact rendering of a filter tree: attribute names, operators and values only. */
function show(node: FilterNode): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${node.operands.map(show).join(` ${node.kind} `)})`;
    case 'not':
      return `not ${show(node.operand)}`;
    case 'present':
      return `${node.attribute.name} pr`;
    case 'element':
      return `${node.parent}[${show(node.filter)}]`;
    case 'compare':
      return `${node.attribute.name} ${node.op} ${JSON.stringify(node.value)}`;
  }
}

describe('parseFilter: structure', () => {
  it.each([
    ['Entra Test Connection lookup', 'userName eq "6f2c1c8e"', 'userName eq "6f2c1c8e"'],
    ['and binds tighter than or', 'title eq "a" and active eq true or userName eq "b"', '((title eq "a" and active eq true) or userName eq "b")'],
    ['or on the left of and', 'title eq "a" or active eq true and userName eq "b"', '(title eq "a" or (active eq true and userName eq "b"))'],
    ['parentheses group', 'title eq "a" and (active eq true or userName eq "b")', '(title eq "a" and (active eq true or userName eq "b"))'],
    ['not (A or B) stays a negated or (scimmy turns it into not A or not B)', 'not (title eq "a" or active eq false)', 'not (title eq "a" or active eq false)'],
    ['nested parentheses', '((userName eq "a"))', 'userName eq "a"'],
    ['valuePath with and inside', 'emails[type eq "work" and value co "@x"]', 'emails[(emails.type eq "work" and emails.value co "@x")]'],
    ['valuePath followed by a sub-attribute constrains one element', 'emails[type eq "work"].value eq "a@x"', 'emails[(emails.type eq "work" and emails.value eq "a@x")]'],
    ['bare multi-valued attribute means its value', 'emails co "@contoso"', 'emails.value co "@contoso"'],
    ['present', 'title pr', 'title pr'],
    ['operators and keywords in any case', 'userName Eq "a" AND NOT (title PR)', '(userName eq "a" and not title pr)'],
  ])('%s', (_name, text, expected) => {
    expect(show(parseFilter('User', text))).toBe(expected);
  });
});

describe('parseFilter: attributes are case-insensitive and mapped to where the store keeps them', () => {
  it.each([
    ['Microsoft: name.FamilyName', 'name.FamilyName eq "x"', { name: 'name.familyName', path: ['name', 'familyName'] }],
    ['Microsoft: emails.Value', 'emails.Value eq "x"', { name: 'emails.value', multiValuedParent: 'emails', path: ['value'] }],
    ['Microsoft: meta.Created', 'meta.Created gt "2020-01-01T00:00:00Z"', { name: 'meta.created', column: 'created', type: 'dateTime' }],
    ['Microsoft: DisplayName', 'DisplayName eq "x"', { name: 'displayName', path: ['displayName'] }],
    ['userName uses the lower-cased column', 'USERNAME eq "x"', { name: 'userName', column: 'userNameLower', caseExact: false }],
    ['externalId is case-exact', 'externalId eq "x"', { column: 'externalId', caseExact: true }],
    ['enterprise attribute by URN', `${ENTERPRISE}:employeeNumber eq "1"`, { name: `${ENTERPRISE}:employeeNumber`, path: [ENTERPRISE, 'employeeNumber'] }],
    ['enterprise manager.value by URN', `${ENTERPRISE}:manager.value eq "m"`, { path: [ENTERPRISE, 'manager', 'value'] }],
    ['addresses sub-attributes', 'addresses.postalCode eq "98101"', { multiValuedParent: 'addresses', path: ['postalCode'] }],
  ])('%s', (_name, text, expected) => {
    const node = parseFilter('User', text);
    expect(node.kind).toBe('compare');
    expect(node.kind === 'compare' && node.attribute).toMatchObject(expected);
  });

  it('Group displayName uses the lower-cased column', () => {
    expect(parseFilter('Group', 'displayName eq "Sales"')).toMatchObject({ attribute: { column: 'displayNameLower' }, value: 'Sales' });
  });
});

describe('parseFilter: values are normalised', () => {
  it.each([
    ['dateTime with offset and 7 fraction digits to UTC ISO', 'meta.lastModified gt "2015-10-10T14:38:21.8617979-07:00"', '2015-10-10T21:38:21.861Z'],
    ['dateTime without zone read as UTC', 'meta.created ge "2015-10-10T14:38:21"', '2015-10-10T14:38:21.000Z'],
    ['unquoted True (scimmy parses it as false)', 'active eq True', true],
    ['quoted "False" on a boolean attribute', 'active eq "False"', false],
    ['escaped quote inside a string', 'displayName eq "Say \\"hi\\""', 'Say "hi"'],
    ['escaped backslash inside a string', 'userName eq "CONTOSO\\\\ada"', 'CONTOSO\\ada'],
    ['string ending in a backslash', 'userName eq "ada\\\\"', 'ada\\'],
    ['a number compared with a string attribute becomes text', 'externalId eq 42', '42'],
    ['null with eq', 'title eq null', null],
  ])('%s', (_name, text, value) => {
    expect(parseFilter('User', text)).toMatchObject({ kind: 'compare', value });
  });
});

describe('parseFilter: refuses with 400 invalidFilter and a detail a person can act on', () => {
  it.each([
    ['an incomplete comparison', 'userName eq', "Filter 'userName eq' is incomplete: expected a value"],
    ['an unknown operator', 'userName xx "a"', "unexpected 'xx' after 'userName': expected an operator"],
    ['an unclosed parenthesis', '(userName eq "a"', "expected 'and', 'or' or ')'"],
    ['a stray closing parenthesis', 'userName eq "a")', "unexpected ')'"],
    ['an unclosed bracket', 'emails[type eq "work"', "expected 'and', 'or' or ']'"],
    ['single-quoted strings', "userName eq 'a'", 'double-quoted'],
    ['a dangling and', 'userName eq "a" and', "expected an attribute name, 'not' or '(' after 'and'"],
    ['password cannot be searched', 'password eq "x"', "the attribute 'password' cannot be searched"],
    ['members cannot be searched', 'members eq "x"', "the attribute 'members' cannot be searched"],
    ['an unknown attribute', 'favouriteColour eq "green"', "'favouriteColour' cannot be searched"],
    ['gt on a boolean', 'active gt true', 'active is a boolean: it can only be compared with eq or ne'],
    ['a boolean compared with text', 'active eq "maybe"', 'compare it with true or false'],
    ['an invalid date', 'meta.created gt "yesterday"', 'is not a dateTime'],
    ['co on a dateTime', 'meta.created co "2015"', 'meta.created is a dateTime'],
    ['gt null', 'title gt null', 'only eq and ne can'],
    ['a valuePath on a simple attribute', 'userName[value eq "x"]', 'needs a complex attribute'],
  ])('%s', (_name, text, detail) => {
    expect(scimAnswerOf(() => parseFilter('User', text))).toMatchObject({ status: 400, scimType: 'invalidFilter', detail: expect.stringContaining(detail) });
  });

  it('a Group filter cannot use User attributes', () => {
    expect(scimAnswerOf(() => parseFilter('Group', 'userName eq "a"'))).toMatchObject({ scimType: 'invalidFilter' });
  });
});

describe('resolveSortBy', () => {
  it.each([
    ['userName', 'userName'],
    ['name.givenname', 'name.givenName'],
    ['meta.LastModified', 'meta.lastModified'],
  ])('sorts User by %s', (sortBy, name) => {
    expect(resolveSortBy('User', sortBy).name).toBe(name);
  });

  it.each([
    ['an unknown attribute', 'favouriteColour'],
    ['a multi-valued attribute', 'emails.value'],
    ['password', 'password'],
  ])('refuses %s with 400 invalidValue', (_name, sortBy) => {
    expect(scimAnswerOf(() => resolveSortBy('User', sortBy))).toMatchObject({ status: 400, scimType: 'invalidValue' });
  });
});
