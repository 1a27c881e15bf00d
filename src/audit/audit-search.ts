import { AUDIT_ACTIONS, isAuditAction, type AuditAction, type AuditEvent } from './audit-event.js';
import { decodeCursor, MAX_AUDIT_PAGE_SIZE, type AuditLog, type AuditPage, type AuditQuery } from './audit-log.js';
import { AppError } from '../kernel/app-error.js';

/** Names of registrations, to accept `registration=contoso` and to show names instead of ids. */
export interface RegistrationDirectory {
  list(): Promise<{ id: string; name: string }[]>;
}

/** What the searcher may see: absent registrationIds means every registration. */
export interface AuditAccess {
  registrationIds?: string[];
}

export interface AuditSearchDeps {
  auditLog: AuditLog;
  registrations?: RegistrationDirectory;
  now?: () => Date;
}

type Params = Record<string, unknown>;

const RELATIVE_TIME = /^(\d{1,6})\s*(m|min|h|d|w)$/i;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
const UNIT_MS: Record<string, number> = { m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const MAX_TEXT = 256;

export const TIME_HINT = 'a duration back from now (30m, 2h, 7d, 2w) or an ISO 8601 time (2026-11-23T10:02Z; UTC when no zone is given)';

/**
 * The audit search of the console, the admin API and the CLI (AUD-2): reads the query-string
 * parameters, resolves a registration name, confines the search to what the caller may see,
 * and refuses malformed parameters with a message a person can act on.
 */
export function createAuditSearch({ auditLog, registrations, now = () => new Date() }: AuditSearchDeps) {
  /**
   * A registration the caller may see, by id or name. Another registration's and one that never
   * existed are refused alike (404), so a limited support account cannot learn which customers exist.
   */
  async function resolveRegistration(ref: string, access: AuditAccess): Promise<string> {
    if (!registrations) return ref;
    const visible = (await registrations.list()).filter((r) => maySeeRegistration(r.id, access));
    const found = visible.find((r) => r.id === ref) ?? visible.find((r) => r.name.toLowerCase() === ref.toLowerCase()) ?? (await endedRegistration(ref));
    if (!found || !maySeeRegistration(found.id, access)) throw new AppError('audit.unknown_registration', `No registration you may see is named or has the id "${ref}"`, { status: 404 });
    return found.id;
  }

  /** REG-4: the trail of an ended registration stays searchable by its name; its deletion event is the tombstone. */
  async function endedRegistration(ref: string): Promise<{ id: string } | undefined> {
    let cursor: string | undefined;
    do {
      const page = await auditLog.search({ actions: ['Registration.Delete'], limit: MAX_AUDIT_PAGE_SIZE, ...(cursor ? { cursor } : {}) });
      const match = page.events.find((event) => event.registrationId === ref || String(event.details?.name ?? '').toLowerCase() === ref.toLowerCase());
      if (match?.registrationId) return { id: match.registrationId };
      cursor = page.nextCursor;
    } while (cursor);
    return undefined;
  }

  async function queryOf(params: Params, access: AuditAccess): Promise<AuditQuery> {
    const ref = single(params, 'registration');
    const registrationId = ref === undefined ? undefined : await resolveRegistration(ref, access);
    const since = timeOf(params, 'since');
    const until = timeOf(params, 'until');
    if (since && until && since >= until) throw new AppError('audit.invalid_time_range', '"since" must be earlier than "until"');
    return {
      registrationIds: registrationId ? [registrationId] : access.registrationIds,
      user: single(params, 'user'),
      since,
      until,
      actions: actionsOf(params),
      outcome: outcomeOf(params),
      correlationId: single(params, 'correlationId'),
      runId: single(params, 'runId'),
      limit: limitOf(params),
      cursor: cursorOf(params),
    };
  }

  function timeOf(params: Params, name: string): string | undefined {
    const value = single(params, name);
    if (value === undefined) return undefined;
    const relative = RELATIVE_TIME.exec(value);
    if (relative) return new Date(now().getTime() - Number(relative[1]) * UNIT_MS[relative[2]!.toLowerCase()]!).toISOString();
    const withZone = /T\d{2}:\d{2}/.test(value) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? `${value}Z` : value;
    const parsed = ISO_TIME.test(value) ? Date.parse(withZone) : Number.NaN;
    if (Number.isNaN(parsed)) throw new AppError('audit.invalid_time', `"${name}" must be ${TIME_HINT}; got "${value}"`);
    return new Date(parsed).toISOString();
  }

  return {
    /** Parses `params` and searches within `access`; throws AuditSearchError on bad input. */
    async search(params: Params, access: AuditAccess = {}): Promise<AuditPage & { query: AuditQuery }> {
      const query = await queryOf(params, access);
      return { ...(await auditLog.search(query)), query };
    },
    /** Events matching a query the caller has already confined to what the reader may see (recent runs, a user's timeline). */
    events(query: AuditQuery): Promise<AuditPage> {
      return auditLog.search(query);
    },
    /** One event, if the caller may see it: another registration's event is as absent as one that never existed. */
    async get(id: string, access: AuditAccess = {}): Promise<AuditEvent | null> {
      const event = await auditLog.get(id);
      return event && maySee(event, access) ? event : null;
    },
    /** id → name of every registration the caller may see (for labels and pickers). */
    async registrationNames(access: AuditAccess = {}): Promise<Map<string, string>> {
      const known = registrations ? await registrations.list() : [];
      return new Map(known.filter((r) => maySeeRegistration(r.id, access)).map((r) => [r.id, r.name]));
    },
  };
}

export type AuditSearch = ReturnType<typeof createAuditSearch>;

function maySee(event: AuditEvent, access: AuditAccess): boolean {
  return !access.registrationIds || (event.registrationId !== undefined && maySeeRegistration(event.registrationId, access));
}

function maySeeRegistration(registrationId: string, access: AuditAccess): boolean {
  return !access.registrationIds || access.registrationIds.includes(registrationId);
}

function single(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new AppError('audit.invalid_parameter', `"${name}" may be given once`);
  const trimmed = value.trim();
  if (trimmed.length > MAX_TEXT) throw new AppError('audit.invalid_parameter', `"${name}" is longer than ${MAX_TEXT} characters`);
  return trimmed === '' ? undefined : trimmed;
}

/** `action=User.Patch,Group.*` or repeated `action=` parameters; `Noun.*` means every verb of the noun. */
function actionsOf(params: Params): AuditAction[] | undefined {
  const raw = params.action;
  if (raw === undefined || raw === '') return undefined;
  const names = [raw].flat().flatMap((value) => String(value).split(',')).map((name) => name.trim()).filter(Boolean);
  const actions = names.flatMap((name) => {
    if (isAuditAction(name)) return [name];
    const prefix = /^(\w+)\.\*$/.exec(name)?.[1];
    const matching = prefix ? AUDIT_ACTIONS.filter((action) => action.startsWith(`${prefix}.`)) : [];
    if (matching.length === 0) throw new AppError('audit.unknown_action', `Unknown action "${name}"; actions are Noun.Verb keys such as User.Patch or Group.* (see the list in the console)`);
    return matching;
  });
  return actions.length ? [...new Set(actions)] : undefined;
}

function outcomeOf(params: Params): 'success' | 'failure' | undefined {
  const value = single(params, 'outcome');
  if (value === undefined || value === 'success' || value === 'failure') return value;
  throw new AppError('audit.invalid_outcome', `"outcome" must be success or failure; got "${value}"`);
}

function limitOf(params: Params): number | undefined {
  const value = single(params, 'limit');
  if (value === undefined) return undefined;
  const limit = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_AUDIT_PAGE_SIZE)) throw new AppError('audit.invalid_limit', `"limit" must be a whole number from 1 to ${MAX_AUDIT_PAGE_SIZE}; got "${value}"`);
  return limit;
}

function cursorOf(params: Params): string | undefined {
  const value = single(params, 'cursor');
  if (value === undefined) return undefined;
  decodeCursor(value);
  return value;
}
