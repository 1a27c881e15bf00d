import { describe, expect, it } from 'vitest';
import { checkImport, importColumnOf, missingImportColumns, type ImportContext, type ImportRow } from '../../../src/domain/bulk-import.js';

const context = (overrides: Partial<ImportContext> = {}): ImportContext => ({
  accountDomains: ['contoso.com'],
  locationMap: { Seattle: 'loc-sea', Oslo: 'loc-osl' },
  taken: { userName: new Map(), email: new Map(), extension: new Map(), did: new Map() },
  portalMade: new Map(),
  policy: { seats: {}, assignOnCreate: [] },
  usage: {},
  ...overrides,
});

let nextRow = 2;
const row = (fields: ImportRow['fields']): ImportRow => ({
  row: nextRow++,
  fields: { userName: 'jane', firstName: 'Jane', lastName: 'Doe', email: 'jane@contoso.com', location: 'Seattle', ...fields },
});

const problemsOf = (rows: ImportRow[], ctx = context()) => checkImport(rows, ctx).map((verdict) => (verdict.kind === 'conflict' ? verdict.problems.join(' | ') : verdict.kind));

describe('IMP-1 checks every row of a CSV bulk add before anything is created', () => {
  it('IMP-1 a valid row becomes a voice user with the mapped location, extension, DID and licences', () => {
    const [verdict] = checkImport([row({ extension: '2001', did: '+12065550100', licenses: 'voice-standard; voicemail' })], context());
    expect(verdict).toMatchObject({ kind: 'create', voiceUser: { userName: 'jane', primaryEmail: 'jane@contoso.com', locationId: 'loc-sea', extension: '2001', did: '+12065550100', licenses: ['voice-standard', 'voicemail'] } });
  });

  it.each([
    ['an empty required cell', { firstName: '' }, 'firstName is empty'],
    ['a malformed email', { email: 'jane.contoso.com' }, 'email "jane.contoso.com" is not an email address'],
    ['an email outside the account domains (ELIG-3)', { email: 'jane@fabrikam.com' }, "not in one of the account's domains"],
    ['a guest account (ELIG-1)', { email: 'jane_x.com#EXT#@contoso.com' }, 'external or guest account'],
    ['an unknown location', { location: 'Atlantis' }, 'location "Atlantis" is not in the account\'s location map (known: Seattle, Oslo)'],
  ])('IMP-1 refuses %s with a sentence naming it', (_case, fields, expected) => {
    expect(problemsOf([row(fields)])[0]).toContain(expected);
  });

  it('IMP-1 accepts a location given by name in any case, or by its portal id', () => {
    const verdicts = checkImport([row({ userName: 'a', email: 'a@contoso.com', location: 'seattle' }), row({ userName: 'b', email: 'b@contoso.com', location: 'loc-osl' })], context());
    expect(verdicts.map((v) => v.kind === 'create' && v.voiceUser.locationId)).toEqual(['loc-sea', 'loc-osl']);
  });

  it('IMP-1 refuses every row of a duplicate in the file (user name and email case-insensitive), naming the other rows', () => {
    const first = row({ userName: 'Sam', email: 'sam@contoso.com' });
    const second = row({ userName: 'sam', email: 'SAM@contoso.com' });
    const [a, b] = problemsOf([first, second]);
    expect(a).toContain(`user name "sam" is also on row ${second.row} of this file`);
    expect(a).toContain(`email "sam@contoso.com" is also on row ${second.row}`);
    expect(b).toContain(`user name "sam" is also on row ${first.row}`);
  });

  it('IMP-1 refuses user names, emails, extensions and DIDs already held in the directory or the portal, saying by whom', () => {
    const taken = {
      userName: new Map([['jane', 'directory user jane@contoso.com (from Azure AD)']]),
      email: new Map([['jane@contoso.com', 'directory user jane@contoso.com (from Azure AD)']]),
      extension: new Map([['2001', 'voice user bob']]),
      did: new Map([['+12065550100', 'voice user bob']]),
    };
    const [problems] = problemsOf([row({ extension: '2001', did: '+12065550100' })], context({ taken }));
    expect(problems).toContain('user name "jane" is already used by directory user jane@contoso.com (from Azure AD)');
    expect(problems).toContain('email "jane@contoso.com" is already used by directory user');
    expect(problems).toContain('extension "2001" is already used by voice user bob');
    expect(problems).toContain('DID "+12065550100" is already used by voice user bob');
  });

  it('IMP-1 / SYNC-5 gives counted licences to the earliest valid rows and refuses the rest with the seat count', () => {
    const rows = ['a', 'b', 'c'].map((name) => row({ userName: name, email: `${name}@contoso.com`, licenses: 'voice-standard' }));
    const verdicts = problemsOf(rows, context({ policy: { seats: { 'voice-standard': 3 }, assignOnCreate: [] }, usage: { 'voice-standard': 1 } }));
    expect(verdicts.slice(0, 2)).toEqual(['create', 'create']);
    expect(verdicts[2]).toContain('no "voice-standard" licence left (all 3 seats are in use)');
  });

  it('IMP-1 a rerun leaves rows it imported before alone instead of calling them duplicates', () => {
    const portalMade = new Map([['jane', { primaryEmail: 'Jane@contoso.com' }]]);
    const taken = { ...context().taken, userName: new Map([['jane', 'voice user jane']]) };
    expect(checkImport([row({})], context({ portalMade, taken }))[0]).toMatchObject({ kind: 'unchanged' });
  });

  it('IMP-1 quotes hostile input only in part', () => {
    const [problems] = problemsOf([row({ location: 'x'.repeat(10_000) })]);
    expect(problems!.length).toBeLessThan(300);
  });

  it('IMP-1 reads header names in any spelling and names the missing ones', () => {
    expect(['User Name', 'first_name', 'Surname', 'E-mail', 'Location', 'Licences', 'Notes'].map(importColumnOf)).toEqual(['userName', 'firstName', 'lastName', 'email', 'location', 'licenses', undefined]);
    expect(missingImportColumns(['userName', 'firstName', undefined])).toEqual(['lastName', 'email', 'location']);
  });
});
