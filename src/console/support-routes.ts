import type { Request, RequestHandler, Response, Router } from 'express';
import { AUDIT_ACTIONS } from '../audit/audit-event.js';
import type { AuditAccess, AuditSearch } from '../audit/audit-search.js';
import { decodeCursor } from '../audit/audit-log.js';
import { isAppError } from '../kernel/app-error.js';
import { USER_STATUSES, type UserStatus } from '../domain/user-status.js';
import { settingsOf } from '../registrations/registration-service.js';
import type { RegistrationOverviewOf } from '../reconcile/registration-overview.js';
import type { UserStandingService } from '../reconcile/user-standing-service.js';
import type { RegistrationRecord } from '../registrations/registrations-port.js';
import type { RetentionRecord } from '../portal/portal-port.js';
import type { SafeHtml } from './html.js';
import { pageError } from './page-error.js';
import type { Viewer } from './pages.js';
import { historyPage, overviewSection, registrationHref, retentionPage, userPage, usersPage, type UserFilters } from './support-pages.js';

/** The services behind the support pages; the console shows their data and computes none of it. */
export interface ConsoleSupportDeps {
  records: { get(id: string): Promise<RegistrationRecord | null>; list(): Promise<RegistrationRecord[]> };
  overviewOf: RegistrationOverviewOf;
  standings: Pick<UserStandingService, 'list' | 'get'>;
  /** DEL-4: the deleted voice users whose recordings are still kept. */
  retained(registrationId: string): Promise<RetentionRecord[]>;
  now?: () => Date;
}

interface SignedIn {
  viewer: Viewer;
  access: AuditAccess;
}

type RequireSignIn = (handler: (req: Request, res: Response, signed: SignedIn) => Promise<void>) => RequestHandler;

const USERS_PER_PAGE = 50;
const TIMELINE_LENGTH = 50;
const HISTORY_PER_PAGE = 20;
const REGISTRATION_ACTIONS = AUDIT_ACTIONS.filter((action) => action.startsWith('Registration.'));

/**
 * A registration the account may see. Another registration's is answered exactly like one that
 * never existed (404), so a limited account cannot learn which customers there are.
 */
export async function visibleRecord(support: ConsoleSupportDeps, id: string, access: AuditAccess): Promise<RegistrationRecord> {
  const record = access.registrationIds && !access.registrationIds.includes(id) ? null : await support.records.get(id);
  if (!record || record.status !== 'active') throw pageError(404, 'No such registration', 'There is no registration with this id that your support account may see.');
  return record;
}

/** The overview shown at the top of a registration's page. */
export async function overviewMarkup(support: ConsoleSupportDeps, registrationId: string): Promise<SafeHtml | undefined> {
  const record = await support.records.get(registrationId);
  return record && record.status === 'active' ? overviewSection(await support.overviewOf(record)) : undefined;
}

/** Bearer-token id → label, over the registrations the account may see (to name actors). */
export async function tokenLabelsOf(support: ConsoleSupportDeps, access: AuditAccess): Promise<Map<string, string>> {
  const records = (await support.records.list()).filter((record) => !access.registrationIds || access.registrationIds.includes(record.id));
  return new Map(records.flatMap((record) => record.tokens.flatMap((token) => (token.label ? [[token.id, token.label] as const] : []))));
}

/** Adds the users, user, retention and history pages of a registration to the console router. */
export function addSupportPages(router: Router, { support, search, requireSignIn, send }: { support: ConsoleSupportDeps; search: Pick<AuditSearch, 'events'>; requireSignIn: RequireSignIn; send: (res: Response, page: SafeHtml) => void }): void {
  const now = support.now ?? (() => new Date());
  const refOf = (record: RegistrationRecord) => ({ id: record.id, name: record.name });
  const locationNamesOf = (record: RegistrationRecord) => new Map(Object.entries(settingsOf(record).locationMap).map(([name, id]) => [id, name]));

  router.get('/registrations/:id/users', requireSignIn(async (req, res, { viewer, access }) => {
    const record = await visibleRecord(support, String(req.params.id), access);
    const filters = userFiltersOf(req);
    const page = await support.standings.list(record.id, {
      status: filters.status as UserStatus | undefined,
      rule: filters.rule,
      search: filters.search,
      offset: Number(filters.offset ?? 0),
      limit: USERS_PER_PAGE,
    });
    send(res, usersPage({ registration: refOf(record), filters, page, limit: USERS_PER_PAGE, locationNames: locationNamesOf(record) }, viewer));
  }));

  router.get('/registrations/:id/users/:userId', requireSignIn(async (req, res, { viewer, access }) => {
    const record = await visibleRecord(support, String(req.params.id), access);
    const userId = String(req.params.userId);
    const [found, timeline, tokenLabels] = await Promise.all([
      support.standings.get(record.id, userId),
      search.events({ registrationIds: [record.id], user: userId, limit: TIMELINE_LENGTH }),
      tokenLabelsOf(support, access),
    ]);
    if (!found) throw pageError(404, 'No such user', 'This registration has no directory user with this id (it may have been deleted: search the audit events for it).');
    const scope = settingsOf(record).scope;
    const synced = (group: { id: string; displayName: string }) =>
      scope.kind === 'groups' && scope.groups.some((wanted) => wanted.displayName?.toLowerCase() === group.displayName.toLowerCase());
    send(res, userPage({
      registration: refOf(record),
      row: found.row,
      resource: found.resource,
      groups: found.groups.map((group) => ({ ...group, synced: synced(group) })),
      timeline: timeline.events,
      tokenLabels,
      locationNames: locationNamesOf(record),
    }, viewer));
  }));

  router.get('/registrations/:id/retention', requireSignIn(async (req, res, { viewer, access }) => {
    const record = await visibleRecord(support, String(req.params.id), access);
    send(res, retentionPage(refOf(record), await support.retained(record.id), now(), viewer));
  }));

  router.get('/registrations/:id/history', requireSignIn(async (req, res, { viewer, access }) => {
    const record = await visibleRecord(support, String(req.params.id), access);
    const cursor = historyCursorOf(req);
    const [page, tokenLabels] = await Promise.all([
      search.events({ registrationIds: [record.id], actions: [...REGISTRATION_ACTIONS], limit: HISTORY_PER_PAGE, ...(cursor ? { cursor } : {}) }),
      tokenLabelsOf(support, access),
    ]);
    const historyHref = (next?: string) => `${registrationHref(record.id, 'history')}${next ? `?cursor=${encodeURIComponent(next)}` : ''}`;
    send(res, historyPage({
      registration: refOf(record),
      events: page.events,
      tokenLabels,
      ...(page.nextCursor ? { olderHref: historyHref(page.nextCursor) } : {}),
      ...(cursor ? { newestHref: historyHref() } : {}),
    }, viewer));
  }));
}

function historyCursorOf(req: Request): string | undefined {
  const cursor = typeof req.query.cursor === 'string' && req.query.cursor !== '' ? req.query.cursor : undefined;
  try {
    if (cursor) decodeCursor(cursor);
  } catch (error) {
    if (isAppError(error, 'audit.invalid_cursor')) throw pageError(400, 'Page not found', 'This link to older changes is not one the console made; start from the newest changes.');
    throw error;
  }
  return cursor;
}

/** The users page's filters as given; a status that is not one is a 400 that lists them. */
function userFiltersOf(req: Request): UserFilters {
  const text = (name: string) => (typeof req.query[name] === 'string' && (req.query[name] as string).trim() !== '' ? (req.query[name] as string).trim().slice(0, 256) : undefined);
  const status = text('status');
  if (status && !(USER_STATUSES as readonly string[]).includes(status)) throw pageError(400, 'Filter not understood', `The status must be one of ${USER_STATUSES.join(', ')}.`);
  const offset = text('offset');
  if (offset && !/^\d{1,9}$/.test(offset)) throw pageError(400, 'Filter not understood', 'The page offset must be a whole number.');
  return { status, rule: text('rule'), search: text('search'), offset };
}
