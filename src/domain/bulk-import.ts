import { checkEligibility } from './eligibility.js';
import { countedLicenses, noLicenseLeft, type LicensePolicy, type LicenseUsage } from './licenses.js';

/**
 * IMP-1: a bulk add from CSV is checked against the file itself, the directory and the voice
 * portal before anything is created. The vendor's own bulk add skipped the uniqueness check
 * against Azure AD (seeds/nerdio-office365-user-mapping.txt); this one never does, and every
 * problem is reported with its row number in words a support agent can act on.
 */

/** The CSV's columns (header names, case- and space-insensitive), in the order the README lists them. */
export const IMPORT_COLUMNS = ['userName', 'firstName', 'lastName', 'email', 'location', 'extension', 'did', 'licenses'] as const;
export const REQUIRED_IMPORT_COLUMNS = ['userName', 'firstName', 'lastName', 'email', 'location'] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];

/** One data row; `row` is its line in the file (the header is row 1). */
export interface ImportRow {
  row: number;
  fields: Partial<Record<ImportColumn, string>>;
}

/** Who already holds a value, in words ("directory user jane@contoso.com"). */
export type Holders = ReadonlyMap<string, string>;

export interface ImportContext {
  accountDomains: readonly string[];
  /** Location name → portal location id (a registration's location map). */
  locationMap: Readonly<Record<string, string>>;
  /** Lower-cased user names, emails, extensions and DIDs held in the directory or the portal. */
  taken: { userName: Holders; email: Holders; extension: Holders; did: Holders };
  /** Voice users made by an earlier import or by hand, by lower-cased user name: a rerun leaves them alone. */
  portalMade: ReadonlyMap<string, { primaryEmail: string }>;
  policy: LicensePolicy;
  usage: LicenseUsage;
}

export interface ImportedVoiceUser {
  userName: string;
  firstName: string;
  lastName: string;
  primaryEmail: string;
  locationId: string;
  extension?: string;
  did?: string;
  licenses: string[];
}

export type RowVerdict =
  | { row: number; kind: 'create'; voiceUser: ImportedVoiceUser }
  | { row: number; kind: 'unchanged'; userName: string; reason: string }
  | { row: number; kind: 'conflict'; userName: string; problems: string[] };

/** Maps a header cell to its column, or undefined for a column we do not read. */
export function importColumnOf(header: string): ImportColumn | undefined {
  const key = header.toLowerCase().replace(/[\s_-]/g, '');
  const aliases: Record<string, ImportColumn> = { username: 'userName', firstname: 'firstName', givenname: 'firstName', lastname: 'lastName', surname: 'lastName', familyname: 'lastName', email: 'email', primaryemail: 'email', location: 'location', extension: 'extension', did: 'did', phonenumber: 'did', licenses: 'licenses', licences: 'licenses' };
  return aliases[key];
}

/** Required columns the header lacks, for a refusal before any row is read. */
export function missingImportColumns(columns: readonly (ImportColumn | undefined)[]): string[] {
  return REQUIRED_IMPORT_COLUMNS.filter((column) => !columns.includes(column));
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const UNIQUE_FIELDS = [
  { key: 'userName', label: 'user name' },
  { key: 'email', label: 'email' },
  { key: 'extension', label: 'extension' },
  { key: 'did', label: 'DID' },
] as const;

/** IMP-1: a verdict for every row. Rows are judged in file order; seats go to the earliest valid rows. */
export function checkImport(rows: readonly ImportRow[], context: ImportContext): RowVerdict[] {
  const duplicates = duplicatesInFile(rows);
  const usage: LicenseUsage = { ...context.usage };
  return rows.map((row) => {
    const userName = clean(row.fields.userName) ?? '';
    const rerun = alreadyImported(row, context);
    if (rerun) return { row: row.row, kind: 'unchanged', userName, reason: rerun };
    const problems = [...fieldProblems(row, context), ...(duplicates.get(row.row) ?? []), ...takenProblems(row, context)];
    const licenses = listOf(row.fields.licenses);
    if (problems.length === 0) {
      const exhausted = countedLicenses(context.policy, licenses).find((license) => (usage[license] ?? 0) >= context.policy.seats[license]!);
      if (exhausted) problems.push(noLicenseLeft(context.policy, exhausted));
    }
    if (problems.length > 0) return { row: row.row, kind: 'conflict', userName, problems };
    for (const license of countedLicenses(context.policy, licenses)) usage[license] = (usage[license] ?? 0) + 1;
    return { row: row.row, kind: 'create', voiceUser: voiceUserOf(row, context, licenses) };
  });
}

function fieldProblems(row: ImportRow, context: ImportContext): string[] {
  const problems: string[] = [];
  for (const column of REQUIRED_IMPORT_COLUMNS) if (!clean(row.fields[column])) problems.push(`${column} is empty`);
  const email = clean(row.fields.email);
  if (email && !EMAIL.test(email)) problems.push(`email "${excerpt(email)}" is not an email address`);
  else if (email) {
    const eligibility = checkEligibility(email, [...context.accountDomains]);
    if (!eligibility.eligible) problems.push(`${eligibility.reason} (${eligibility.rule})`);
  }
  const location = clean(row.fields.location);
  if (location && locationIdOf(location, context) === undefined) {
    const known = Object.keys(context.locationMap);
    problems.push(`location "${excerpt(location)}" is not in the account's location map${known.length ? ` (known: ${known.slice(0, 10).join(', ')})` : ' (the map is empty)'}`);
  }
  return problems;
}

/** Values that appear on more than one row: every such row is refused, naming the others. */
function duplicatesInFile(rows: readonly ImportRow[]): Map<number, string[]> {
  const problems = new Map<number, string[]>();
  for (const { key, label } of UNIQUE_FIELDS) {
    const rowsByValue = new Map<string, number[]>();
    for (const row of rows) {
      const value = clean(row.fields[key])?.toLowerCase();
      if (value) rowsByValue.set(value, [...(rowsByValue.get(value) ?? []), row.row]);
    }
    for (const [value, rowNumbers] of rowsByValue) {
      if (rowNumbers.length < 2) continue;
      for (const rowNumber of rowNumbers) {
        const others = rowNumbers.filter((other) => other !== rowNumber);
        problems.set(rowNumber, [...(problems.get(rowNumber) ?? []), `${label} "${excerpt(value)}" is also on row${others.length > 1 ? 's' : ''} ${others.slice(0, 5).join(', ')}${others.length > 5 ? ', …' : ''} of this file`]);
      }
    }
  }
  return problems;
}

function takenProblems(row: ImportRow, context: ImportContext): string[] {
  return UNIQUE_FIELDS.flatMap(({ key, label }) => {
    const value = clean(row.fields[key])?.toLowerCase();
    const holder = value ? context.taken[key].get(value) : undefined;
    return holder ? [`${label} "${excerpt(value!)}" is already used by ${holder}`] : [];
  });
}

/** A rerun of the same file: the voice user this row made is there with the same email. */
function alreadyImported(row: ImportRow, context: ImportContext): string | undefined {
  const userName = clean(row.fields.userName)?.toLowerCase();
  const existing = userName ? context.portalMade.get(userName) : undefined;
  if (!existing || existing.primaryEmail.toLowerCase() !== clean(row.fields.email)?.toLowerCase()) return undefined;
  return 'a voice user with this user name and email already exists (imported before)';
}

function voiceUserOf(row: ImportRow, context: ImportContext, licenses: string[]): ImportedVoiceUser {
  const { fields } = row;
  return {
    userName: clean(fields.userName)!,
    firstName: clean(fields.firstName)!,
    lastName: clean(fields.lastName)!,
    primaryEmail: clean(fields.email)!,
    locationId: locationIdOf(clean(fields.location)!, context)!,
    ...(clean(fields.extension) ? { extension: clean(fields.extension) } : {}),
    ...(clean(fields.did) ? { did: clean(fields.did) } : {}),
    licenses,
  };
}

/** A location is named as in the map (case-insensitive) or given as one of its portal ids. */
function locationIdOf(location: string, context: ImportContext): string | undefined {
  const wanted = location.toLowerCase();
  const byName = Object.entries(context.locationMap).find(([name]) => name.toLowerCase() === wanted);
  if (byName) return byName[1];
  return Object.values(context.locationMap).find((id) => id.toLowerCase() === wanted);
}

/** Licences are listed in one cell, separated by `;` or `,`. */
function listOf(cell: string | undefined): string[] {
  return [...new Set((cell ?? '').split(/[;,]/).map((item) => item.trim()).filter(Boolean))];
}

function clean(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Input is quoted back only in part, so a hostile cell cannot blow up a report. */
function excerpt(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}…` : value;
}
