import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { AuditAccess, AuditSearch } from '../audit/audit-search.js';
import type { AuditRecorder } from '../audit/recorder.js';
import { excerpt } from '../audit/refusal-ledger.js';
import type { Logger } from '../log/logger.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import type { SafeHtml } from './html.js';
import { createLoginThrottle } from './login-throttle.js';
import { pageError, toProblemPage } from './page-error.js';
import {
  CONSOLE_PATH,
  eventPage,
  loginPage,
  problemPage,
  reconcilePage,
  registrationPage,
  registrationsPage,
  searchPage,
  type ReconcileOutcome,
  type RegistrationRef,
  type Viewer,
} from './pages.js';
import { createSessionStore, randomToken, type ConsoleSession } from './sessions.js';
import type { ConsoleState } from './console-state.js';
import type { SupportAccountService } from './support-account-service.js';
import { roleOf, type SupportAccountRecord } from './support-accounts.js';
import { addSupportPages, overviewMarkup, tokenLabelsOf, type ConsoleSupportDeps } from './support-routes.js';
import { Readable } from 'node:stream';
import type { ImportService } from '../import/import-service.js';
import { importPage } from './import-page.js';

export interface ConsoleDeps {
  /** The audit search the admin API uses too (one per service, built in main.ts); it names registrations. */
  search: AuditSearch;
  /** The support accounts signed in with (the admin API manages them). */
  accounts: SupportAccountService;
  recorder: AuditRecorder;
  logger: Logger;
  /** On-demand Reconcile from a registration's page (dry run first); absent, the page only reports. */
  reconcile?: ConsoleReconcile;
  /** Sessions and the sign-in throttle, in the store (shared by every instance). */
  consoleState: ConsoleState;
  /** The overview, users, retention and history pages (issue 12); absent, the console is the audit trail alone. */
  support?: ConsoleSupportDeps;
  /** IMP-1: the CSV bulk add, for the import page. */
  imports?: Pick<ImportService, 'importCsv'>;
  sessionIdleMs?: number;
  sessionMaxMs?: number;
  /** Failed logins allowed per account + address within `loginWindowMs`. */
  maxLoginFailures?: number;
  loginWindowMs?: number;
}

/** The part of the reconcile service the console uses. */
export interface ConsoleReconcile {
  reconcileRegistration(registrationId: string, options: { trigger: 'on-demand'; dryRun: boolean }): Promise<ReconcileOutcome>;
}

const SESSION_COOKIE = '__Host-support-session';
/** A CSV pasted into the import page; bigger files go through the CLI or the admin API. */
const MAX_PASTED_CSV = '2mb';
const LOGIN_COOKIE = '__Host-support-login';
const HOUR = 3_600_000;
/** A name typed at the sign-in form is attacker-controlled: only this much of it is kept. */
const MAX_AUDITED_NAME = 64;

interface Signed {
  session: ConsoleSession;
  account: SupportAccountRecord;
  viewer: Viewer;
  access: AuditAccess;
}

/**
 * The support console (AUD-2), mounted before the admin token check: its own login with support
 * accounts, server-side sessions, CSRF tokens on every POST, rate-limited login, and
 * server-rendered pages where every value is escaped.
 */
export function createConsoleRouter(deps: ConsoleDeps): Router {
  const { search, accounts, recorder, logger, reconcile, support, imports } = deps;
  const sessions = createSessionStore({ sessions: deps.consoleState.consoleSessions, idleMs: deps.sessionIdleMs ?? 8 * HOUR, absoluteMs: deps.sessionMaxMs ?? 24 * HOUR });
  const throttle = createLoginThrottle({ failures: deps.consoleState.loginFailures, maxFailures: deps.maxLoginFailures ?? 5, windowMs: deps.loginWindowMs ?? 15 * 60_000 });
  const router = express.Router();

  async function signedIn(req: Request): Promise<Signed | undefined> {
    const session = await sessions.touch(cookiesOf(req)[SESSION_COOKIE]);
    const account = session ? await accounts.get(session.account) : null;
    // A deleted account or a password changed since sign-in ends the session.
    if (!session || !account || Date.parse(account.passwordChangedAt) > session.createdAt) {
      if (session) await sessions.destroy(session.id);
      return undefined;
    }
    return { session, account, viewer: { account: account.name, csrfToken: session.csrfToken }, access: account.registrationIds ? { registrationIds: account.registrationIds } : {} };
  }

  function requireSignIn(handler: (req: Request, res: Response, signed: Signed) => Promise<void>) {
    return async (req: Request, res: Response) => {
      const signed = await signedIn(req);
      if (!signed) return res.redirect(303, `${CONSOLE_PATH}/login`);
      res.locals.viewer = signed.viewer;
      await handler(req, res, signed);
    };
  }

  function audit(req: Request, res: Response, action: 'Support.Login' | 'Support.LoginFailed' | 'Support.Logout', typedName: string, status: number, detail?: string) {
    const name = typedName.slice(0, MAX_AUDITED_NAME);
    void recorder.record({
      correlationId: res.locals.correlationId as string,
      actor: { kind: 'support', subject: name },
      action,
      summary: `${action === 'Support.Login' ? 'sign-in' : action === 'Support.Logout' ? 'sign-out' : 'failed sign-in'} of support account ${name} from ${req.ip}`,
      outcome: { status, success: action !== 'Support.LoginFailed', ...(detail ? { detail } : {}) },
      details: { address: req.ip ?? 'unknown', userAgent: excerpt(req.get('user-agent') ?? '') },
    });
  }

  function showLogin(res: Response, status = 200, problem?: string, name?: string) {
    const token = randomToken();
    setCookie(res, LOGIN_COOKIE, token);
    send(res.status(status), loginPage(token, problem, name));
  }

  router.use(securityHeaders);
  router.get('/assets/console.css', (_req, res) => void res.type('text/css').set('Cache-Control', 'max-age=3600').send(CONSOLE_CSS));
  router.get('/assets/console.js', (_req, res) => void res.type('text/javascript').set('Cache-Control', 'max-age=3600').send(CONSOLE_JS));
  router.get('/', (_req, res) => res.redirect(303, `${CONSOLE_PATH}/events`));
  router.get('/login', (_req, res) => showLogin(res));

  router.post('/login', express.urlencoded({ extended: false, limit: '8kb' }), async (req, res) => {
    const name = typeof req.body?.name === 'string' ? req.body.name.trim() : '';
    const password = typeof req.body?.password === 'string' ? req.body.password : '';
    if (!sameToken(req.body?.csrf, cookiesOf(req)[LOGIN_COOKIE])) return showLogin(res, 403, 'The sign-in form expired; please try again.', name);
    const key = `${name.toLowerCase()}|${req.ip}`;
    const waitMs = await throttle.retryAfterMs(key);
    if (waitMs > 0) {
      audit(req, res, 'Support.LoginFailed', name, 429, 'too many failed sign-ins');
      res.set('Retry-After', String(Math.ceil(waitMs / 1000)));
      return showLogin(res, 429, `Too many failed sign-ins for this account from your address. Try again in ${Math.ceil(waitMs / 60_000)} minute(s).`, name);
    }
    const account = await accounts.authenticate(name, password);
    if (!account) {
      await throttle.fail(key);
      audit(req, res, 'Support.LoginFailed', name, 401, 'wrong account name or password');
      return showLogin(res, 401, 'Wrong account name or password.', name);
    }
    await throttle.succeed(key);
    const session = await sessions.create(account.name);
    setCookie(res, SESSION_COOKIE, session.id);
    clearCookie(res, LOGIN_COOKIE);
    audit(req, res, 'Support.Login', account.name, 200);
    res.redirect(303, `${CONSOLE_PATH}/events`);
  });

  router.post('/logout', express.urlencoded({ extended: false, limit: '8kb' }), requireSignIn(async (req, res, { session }) => {
    if (!sameToken(req.body?.csrf, session.csrfToken)) throw pageError(403, 'Request refused', 'The form expired; reload the page and try again.');
    await sessions.destroy(session.id);
    clearCookie(res, SESSION_COOKIE);
    audit(req, res, 'Support.Logout', session.account, 200);
    res.redirect(303, `${CONSOLE_PATH}/login`);
  }));

  router.get('/events', requireSignIn(async (req, res, { viewer, access }) => {
    const params = stringParams(req.query);
    const [page, registrationNames, tokenLabels] = await Promise.all([search.search(req.query, access), search.registrationNames(access), support && tokenLabelsOf(support, access)]);
    send(res, searchPage({ params, events: page.events, nextCursor: page.nextCursor, registrationNames, tokenLabels, query: page.query }, viewer));
  }));

  router.get('/events/:id', requireSignIn(async (req, res, { viewer, access }) => {
    const event = await search.get(String(req.params.id), access);
    if (!event) throw pageError(404, 'No such event', 'There is no audit event with this id that your support account may see (it may have passed the retention period).');
    send(res, eventPage(event, await search.registrationNames(access), viewer, support && (await tokenLabelsOf(support, access))));
  }));

  /** A registration the signed-in account may see; another's is as absent as one that never existed (404). */
  async function visibleRegistration(id: string, access: AuditAccess): Promise<RegistrationRef> {
    const name = (await search.registrationNames(access)).get(id);
    if (!name) throw pageError(404, 'No such registration', 'There is no registration with this id that your support account may see.');
    return { id, name };
  }

  router.get('/registrations', requireSignIn(async (_req, res, { viewer, access }) => {
    const names = await search.registrationNames(access);
    send(res, registrationsPage([...names].map(([id, name]) => ({ id, name })), viewer));
  }));

  router.get('/registrations/:id', requireSignIn(async (req, res, { viewer, access, account }) => {
    const registration = await visibleRegistration(String(req.params.id), access);
    const recent = (action: 'Reconcile.Run' | 'VoiceUser.Error', limit: number) => search.events({ registrationIds: [registration.id], actions: [action], limit });
    // With the overview, its own last runs stand in for the trail's.
    const [runs, errors, overview] = await Promise.all([support ? undefined : recent('Reconcile.Run', 10), recent('VoiceUser.Error', 20), support && overviewMarkup(support, registration.id)]);
    send(res, registrationPage({ registration, overview, runs: runs?.events ?? [], errors: errors.events, mayReconcile: Boolean(reconcile) && roleOf(account) === 'operator' }, viewer));
  }));

  router.get('/registrations/:id/import', requireSignIn(async (req, res, { viewer, access, account }) => {
    const registration = await visibleRegistration(String(req.params.id), access);
    if (!imports) throw pageError(404, 'Not available', 'CSV import is not available from this console.');
    send(res, importPage({ registration, mayApply: roleOf(account) === 'operator' }, viewer));
  }));

  /** IMP-1: a pasted CSV checked (any role) or imported (operators); every problem listed with its row. */
  router.post('/registrations/:id/import', express.urlencoded({ extended: false, limit: MAX_PASTED_CSV }), requireSignIn(async (req, res, { session, viewer, access, account }) => {
    if (!sameToken(req.body?.csrf, session.csrfToken)) throw pageError(403, 'Request refused', 'The form expired; reload the page and try again.');
    const registration = await visibleRegistration(String(req.params.id), access);
    if (!imports) throw pageError(404, 'Not available', 'CSV import is not available from this console.');
    const apply = req.body?.mode === 'apply';
    if (apply && roleOf(account) !== 'operator') throw pageError(403, 'Not allowed', 'Your support account may check a file but not import it; an administrator can give it the operator role.');
    const csv = typeof req.body?.csv === 'string' ? req.body.csv : '';
    const report = await imports.importCsv(registration.id, Readable.from([csv]), { dryRun: !apply, skipInvalid: req.body?.skipInvalid === 'true' });
    send(res, importPage({ registration, mayApply: roleOf(account) === 'operator', csv, report }, viewer));
  }));

  router.post('/registrations/:id/reconcile', express.urlencoded({ extended: false, limit: '8kb' }), requireSignIn(async (req, res, { session, viewer, access, account }) => {
    if (!sameToken(req.body?.csrf, session.csrfToken)) throw pageError(403, 'Request refused', 'The form expired; reload the page and try again.');
    const registration = await visibleRegistration(String(req.params.id), access);
    if (roleOf(account) !== 'operator') throw pageError(403, 'Not allowed', 'Your support account may read but not start a Reconcile; an administrator can give it the operator role.');
    if (!reconcile) throw pageError(404, 'Not available', 'Reconcile cannot be started from this console.');
    const dryRun = req.body?.dryRun !== 'false';
    void recorder.record({
      registrationId: registration.id,
      correlationId: res.locals.correlationId as string,
      actor: { kind: 'support', subject: session.account },
      action: 'Reconcile.Start',
      summary: `on-demand reconcile of ${registration.name}${dryRun ? ' (dry run)' : ''} started by ${session.account}`,
      outcome: { status: 202, success: true },
    });
    send(res, reconcilePage(registration, await reconcile.reconcileRegistration(registration.id, { trigger: 'on-demand', dryRun }), viewer));
  }));

  if (support) addSupportPages(router, { support, search, requireSignIn, send });

  router.use(() => {
    throw pageError(404, 'Not found', 'The console has no such page.');
  });

  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const page = toProblemPage(error);
    if (page.status >= 500) logger.error('console request failed', { correlationId: res.locals.correlationId, error: (error as Error)?.message });
    send(res.status(page.status), problemPage(page.status, page.title, page.message, res.locals.viewer as Viewer | undefined));
  });

  return express.Router().use(CONSOLE_PATH, router);
}

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({
    'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
  });
  next();
}

function send(res: Response, page: SafeHtml): void {
  res.type('text/html; charset=utf-8').send(page.value);
}

function setCookie(res: Response, name: string, value: string): void {
  res.cookie(name, value, { httpOnly: true, secure: true, sameSite: 'strict', path: '/' });
}

function clearCookie(res: Response, name: string): void {
  res.clearCookie(name, { httpOnly: true, secure: true, sameSite: 'strict', path: '/' });
}

function cookiesOf(req: Request): Record<string, string> {
  const pairs = (req.get('cookie') ?? '').split(';').map((pair) => pair.trim().split('='));
  return Object.fromEntries(pairs.filter((pair) => pair.length === 2 && pair[0]).map(([name, value]) => [name!, safelyDecoded(value!)]));
}

function safelyDecoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function sameToken(given: unknown, expected: string | undefined): boolean {
  if (typeof given !== 'string' || !expected || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

function stringParams(query: Request['query']): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
