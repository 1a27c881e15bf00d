import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { AppError, isAppError } from '../kernel/app-error.js';
import { checkImport, importColumnOf, missingImportColumns, type ImportColumn, type ImportContext, type ImportRow, type RowVerdict } from '../domain/bulk-import.js';
import { usageOf } from '../domain/licenses.js';
import { mapDirectoryUser } from '../domain/map-user.js';
import type { RegistrationSettings } from '../registrations/settings.js';
import type { PortalService } from '../portal/portal-service.js';
import type { UserCollection } from '../directory/directory-port.js';
import type { VoiceUserCollection } from '../portal/portal-port.js';

/** More rows than this are refused before anything is checked (a mistake, not an import). */
export const MAX_IMPORT_ROWS = 200_000;
/** A CSV record longer than this is refused (no cell of ours is longer than a few hundred bytes). */
const MAX_RECORD_BYTES = 16 * 1024;

export interface ImportOptions {
  dryRun: boolean;
  /** Create the valid rows even when others have problems (default: nothing is created then). */
  skipInvalid: boolean;
  onProgress?: (phase: 'check' | 'apply', done: number, total: number) => void;
}

export interface ImportReport {
  dryRun: boolean;
  applied: boolean;
  summary: string;
  counts: { rows: number; valid: number; unchanged: number; conflicts: number; created: number; failed: number };
  conflicts: { row: number; userName: string; problems: string[] }[];
  /** Rows that were valid when checked but refused at write time (e.g. a name taken meanwhile). */
  failed: { row: number; userName: string; problem: string }[];
}

/** What the import reads to check a file: the directory Entra pushed and the portal's voice users. */
export interface ImportReads {
  users: Pick<UserCollection, 'listAll'>;
  voiceUsers: Pick<VoiceUserCollection, 'list'>;
}

export interface ImportServiceDeps {
  store: ImportReads;
  portal: PortalService;
  settingsOf(registrationId: string): Promise<RegistrationSettings>;
}

/** IMP-1: CSV bulk add of voice users, checked in full before anything is created. */
export function createImportService({ store, portal, settingsOf }: ImportServiceDeps) {
  async function importCsv(registrationId: string, csv: Readable, options: ImportOptions): Promise<ImportReport> {
    const rows = await readRows(csv);
    const verdicts = checkImport(rows, await contextOf(registrationId, await settingsOf(registrationId)));
    options.onProgress?.('check', rows.length, rows.length);
    const conflicts = verdicts.filter((verdict) => verdict.kind === 'conflict');
    const creates = verdicts.filter((verdict) => verdict.kind === 'create');
    const apply = !options.dryRun && (conflicts.length === 0 || options.skipInvalid);
    const failed = apply ? await create(registrationId, creates, options.onProgress) : [];
    return report(verdicts, options, apply, failed);
  }

  /** Everything the checks compare against, read in a few whole-registration queries (no query per row). */
  async function contextOf(registrationId: string, settings: RegistrationSettings): Promise<ImportContext> {
    const [directoryUsers, voiceUsers] = await Promise.all([store.users.listAll(registrationId), store.voiceUsers.list(registrationId)]);
    const taken = { userName: new Map<string, string>(), email: new Map<string, string>(), extension: new Map<string, string>(), did: new Map<string, string>() };
    const hold = (holders: Map<string, string>, value: string | undefined, holder: string) => {
      if (value && !holders.has(value.toLowerCase())) holders.set(value.toLowerCase(), holder);
    };
    for (const user of directoryUsers) {
      const mapped = mapDirectoryUser(user.resource, settings.locationSource);
      const holder = `directory user ${user.userName} (from Azure AD)`;
      hold(taken.userName, mapped.userName, holder);
      for (const email of [user.userName, mapped.primaryEmail, ...mapped.additionalEmails]) hold(taken.email, email, holder);
    }
    for (const voiceUser of voiceUsers) {
      const holder = `voice user ${voiceUser.userName}`;
      hold(taken.userName, voiceUser.userName, holder);
      for (const email of [voiceUser.primaryEmail, ...voiceUser.additionalEmails]) hold(taken.email, email, holder);
      hold(taken.extension, voiceUser.extension, holder);
      hold(taken.did, voiceUser.did, holder);
    }
    const portalMade = new Map(voiceUsers.filter((voiceUser) => voiceUser.origin === 'portal').map((voiceUser) => [voiceUser.userName.toLowerCase(), voiceUser]));
    return {
      accountDomains: settings.accountDomains,
      locationMap: settings.locationMap,
      taken,
      portalMade,
      policy: settings.licensing,
      usage: usageOf(settings.licensing, voiceUsers),
    };
  }

  /** Writes the valid rows; each create is re-checked by the store (uniqueness, seats) at write time. */
  async function create(registrationId: string, creates: Extract<RowVerdict, { kind: 'create' }>[], onProgress: ImportOptions['onProgress']) {
    const failed: ImportReport['failed'] = [];
    for (const [index, { row, voiceUser }] of creates.entries()) {
      try {
        await portal.createByHand(registrationId, voiceUser, 'IMP-1');
      } catch (error) {
        // A refusal of this row (no licence left, a duplicate) is reported with it; a failure stops the import.
        if (!isAppError(error, 'voice_user')) throw error;
        failed.push({ row, userName: voiceUser.userName, problem: error.message });
      }
      onProgress?.('apply', index + 1, creates.length);
    }
    return failed;
  }

  return { importCsv };
}

export type ImportService = ReturnType<typeof createImportService>;

/** Streams the CSV: header mapped to our columns (unknown ones ignored), rows numbered as a spreadsheet shows them. */
async function readRows(csv: Readable): Promise<ImportRow[]> {
  const parser = parse({
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      max_record_size: MAX_RECORD_BYTES,
      columns: (header: string[]) => {
        const columns = header.map((cell) => importColumnOf(cell));
        const missing = missingImportColumns(columns);
        if (missing.length > 0) throw new AppError('import.bad_header', `The CSV header lacks ${missing.join(', ')}; the header row must name: ${headerHelp()}`);
        return columns.map((column) => column ?? false);
      },
    });
  // pipe() does not pass the source's failure on (a body over the size limit, a client gone).
  csv.once('error', (error) => parser.destroy(error));
  csv.pipe(parser);
  const rows: ImportRow[] = [];
  try {
    for await (const record of parser as AsyncIterable<Partial<Record<ImportColumn, string>>>) {
      if (rows.length === MAX_IMPORT_ROWS) throw new AppError('import.too_many_rows', `The file has more than ${MAX_IMPORT_ROWS} rows; split it`, { status: 413 });
      rows.push({ row: rows.length + 2, fields: record });
    }
  } catch (error) {
    throw asImportError(error);
  } finally {
    csv.unpipe();
    csv.resume();
  }
  if (rows.length === 0) throw new AppError('import.empty', `The file has no rows below its header (${headerHelp()})`);
  return rows;
}

function asImportError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const cause = (error as { cause?: unknown }).cause;
  if (isAppError(cause)) return cause;
  const parserError = error as { code?: string; message?: string; lines?: number };
  if (typeof parserError?.code === 'string' && parserError.code.startsWith('CSV_')) {
    return new AppError('import.bad_csv', `The file is not valid CSV near line ${parserError.lines ?? '?'}: ${String(parserError.message).slice(0, 160)}`);
  }
  throw error;
}

function headerHelp(): string {
  return 'userName, firstName, lastName, email, location, and optionally extension, did, licenses (separated by ";")';
}

function report(verdicts: RowVerdict[], options: ImportOptions, applied: boolean, failed: ImportReport['failed']): ImportReport {
  const conflicts = verdicts.flatMap((verdict) => (verdict.kind === 'conflict' ? [{ row: verdict.row, userName: verdict.userName, problems: verdict.problems }] : []));
  const valid = verdicts.filter((verdict) => verdict.kind === 'create').length;
  const unchanged = verdicts.length - valid - conflicts.length;
  const counts = { rows: verdicts.length, valid, unchanged, conflicts: conflicts.length, created: applied ? valid - failed.length : 0, failed: failed.length };
  return { dryRun: options.dryRun, applied, summary: summaryOf(counts, options, applied), counts, conflicts, failed };
}

function summaryOf(counts: ImportReport['counts'], options: ImportOptions, applied: boolean): string {
  const problems = counts.conflicts > 0 ? `${counts.conflicts} of ${counts.rows} rows have problems (listed with their row numbers)` : `All ${counts.rows} rows are valid`;
  const already = counts.unchanged > 0 ? `; ${counts.unchanged} were imported before and are left as they are` : '';
  if (options.dryRun) {
    const next = counts.conflicts > 0 ? `fix them and check again, or apply with skip-invalid to create only the ${counts.valid} valid rows` : `applying would create ${counts.valid} voice users`;
    return `Dry run, nothing was created. ${problems}${already}; ${next}.`;
  }
  if (!applied) return `Nothing was created. ${problems}${already}; fix them and import again, or import with skip-invalid to create only the ${counts.valid} valid rows.`;
  const failures = counts.failed > 0 ? `; ${counts.failed} could not be created (listed under failed)` : '';
  return `Created ${counts.created} voice users. ${problems}${already}${failures}.`;
}
