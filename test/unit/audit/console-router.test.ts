import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import Database from 'better-sqlite3';
import winston from 'winston';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { completeAuditEvent, type AuditEventInput } from '../../../src/audit/audit-event.js';
import { createAuditAdminRouter } from '../../../src/audit/admin-router.js';
import { createAuditRecorder } from '../../../src/audit/recorder.js';
import { createConsoleRouter, type ConsoleReconcile } from '../../../src/console/console-router.js';
import { createAuditSearch } from '../../../src/audit/audit-search.js';
import { createSupportAccountService } from '../../../src/console/support-account-service.js';
import type { ReconcileService } from '../../../src/reconcile/reconcile-service.js';
import { createAdminApp } from '../../../src/http/admin-app.js';
import type { RegistrationService } from '../../../src/registrations/registration-service.js';
import { createAuditTables, SqliteAuditLog, SqliteSupportAccounts } from '../../../src/persistence/sqlite/audit-log.js';
import { SqliteConnection } from '../../../src/persistence/sqlite/connection.js';
import { SqliteConsoleSessions, SqliteLoginFailures } from '../../../src/persistence/sqlite/console-state.js';
import { migrateSqlite } from '../../../src/persistence/sqlite/migrations.js';

const ADMIN_TOKEN = 'a'.repeat(40);
const PASSWORD = 'correct horse battery';
const registrations = [
  { id: 'reg-contoso', name: 'contoso' },
  { id: 'reg-fabrikam', name: 'fabrikam' },
];

function event(registrationId: string, extra: Partial<AuditEventInput> = {}) {
  return completeAuditEvent({
    registrationId,
    correlationId: `corr-${registrationId}`,
    actor: { kind: 'client-certificate', subject: 'CN=entra' },
    action: 'User.Create',
    resourceType: 'User',
    subjectUser: { userName: `jane@${registrationId}.example` },
    summary: 'POST user jane',
    outcome: { status: 201, success: true },
    ...extra,
  });
}

/** A browser-less client that keeps cookies and reads the CSRF field of the last page. */
function browser(base: string) {
  const cookies = new Map<string, string>();
  let lastPage = '';
  async function go(method: string, path: string, form?: Record<string, string>) {
    const response = await fetch(base + path, {
      method,
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const [name, value] = pair!.split('=');
      if (value) cookies.set(name!, value);
      else cookies.delete(name!);
    }
    lastPage = await response.text();
    return { status: response.status, location: response.headers.get('location'), body: lastPage, setCookie: response.headers.getSetCookie() };
  }
  const csrf = () => /name="csrf" value="([^"]+)"/.exec(lastPage)?.[1] ?? '';
  return {
    go,
    csrf,
    async signIn(name: string, password = PASSWORD) {
      await go('GET', '/console/login');
      return go('POST', '/console/login', { csrf: csrf(), name, password });
    },
  };
}

describe('support console and audit admin API', () => {
  const db = new Database(':memory:');
  createAuditTables(db);
  const connection = new SqliteConnection(db);
  migrateSqlite(db);
  const consoleState = { consoleSessions: new SqliteConsoleSessions(connection), loginFailures: new SqliteLoginFailures(connection) };
  const auditLog = new SqliteAuditLog(connection);
  const supportAccounts = new SqliteSupportAccounts(connection);
  const logger = winston.createLogger({ silent: true });
  const recorder = createAuditRecorder({ log: auditLog, logger, flushIntervalMs: 1 });
  const directory = { list: async () => registrations };
  // One search and one account service behind both routers, as main.ts wires them.
  const search = createAuditSearch({ auditLog, registrations: directory });
  const accounts = createSupportAccountService({ accounts: supportAccounts, registrations: directory });
  const reconcileCalls: { registrationId: string; dryRun: boolean }[] = [];
  const reconcile: ConsoleReconcile = {
    async reconcileRegistration(registrationId, { dryRun }) {
      reconcileCalls.push({ registrationId, dryRun });
      return {
        runId: `run-${reconcileCalls.length}`,
        dryRun,
        counts: { create: 1, error: 1 },
        plan: [
          { kind: 'create', rule: 'MAP-1', userName: 'new.hire@contoso.example' },
          { kind: 'error', rule: 'MAP-6', userName: 'lost@contoso.example', message: 'location "<Atlantis>" is not mapped' },
        ],
        durationMs: 3,
      };
    },
  };
  let server: Server;
  let base: string;

  const admin = (method: string, path: string, body?: unknown, token = ADMIN_TOKEN) =>
    fetch(`${base}/admin/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });

  beforeAll(async () => {
    const app = createAdminApp({
      adminToken: ADMIN_TOKEN,
      registrations: directory as unknown as RegistrationService,
      logger,
      reloadTls: () => undefined,
      publicRouters: [createConsoleRouter({ search, accounts, recorder, logger, reconcile, consoleState, maxLoginFailures: 3 })],
      extraRouters: [createAuditAdminRouter({ search, accounts, recorder })],
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await auditLog.append([
      event('reg-contoso', { summary: 'POST user <script>alert(1)</script>', subjectUser: { userName: 'mallory@contoso.example' } }),
      event('reg-fabrikam', { summary: 'POST user fabrikam-only' }),
    ]);
    expect((await admin('POST', '/support-accounts', { name: 'alice', password: PASSWORD, role: 'operator' })).status).toBe(201);
    expect((await admin('POST', '/support-accounts', { name: 'guessed', password: PASSWORD })).status).toBe(201);
    expect((await admin('POST', '/support-accounts', { name: 'limited', password: PASSWORD, registrations: ['contoso'] })).status).toBe(201);
  });
  afterAll(async () => {
    await recorder.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('AUD-2: signing in needs a support account; the session cookie is HttpOnly, Secure and SameSite=Strict', async () => {
    const user = browser(base);
    expect((await user.go('GET', '/console/events')).location).toBe('/console/login');
    const signedIn = await user.signIn('alice');
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe('/console/events');
    expect(signedIn.setCookie.find((c) => c.startsWith('__Host-support-session='))).toMatch(/HttpOnly.*Secure.*SameSite=Strict|Secure.*HttpOnly.*SameSite=Strict/);
    const page = await user.go('GET', '/console/events');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Signed in as <strong>alice</strong>');
  });

  it('AUD-2: the sign-in form refuses a post without its CSRF token', async () => {
    const user = browser(base);
    await user.go('GET', '/console/login');
    expect((await user.go('POST', '/console/login', { name: 'alice', password: PASSWORD, csrf: 'forged' })).status).toBe(403);
  });

  it('AUD-2: every sign-in and failed sign-in is audited; guessing is stopped with a 429', async () => {
    const guesser = browser(base);
    for (let attempt = 0; attempt < 3; attempt++) expect((await guesser.signIn('guessed', 'wrong password!')).status).toBe(401);
    const refused = await guesser.signIn('guessed');
    expect(refused.status).toBe(429);
    expect(refused.body).toContain('Too many failed sign-ins');
    await recorder.flush();
    const failed = await auditLog.search({ actions: ['Support.LoginFailed'] });
    expect(failed.events.map((e) => e.outcome.status)).toEqual([429, 401, 401, 401]);
    expect(JSON.stringify(failed.events)).not.toContain('wrong password!');
    expect((await auditLog.search({ actions: ['Support.Login'] })).events.length).toBeGreaterThan(0);
  });

  it('AUD-1: a failed sign-in stores a short excerpt of its User-Agent, not the 8 kB it was sent', async () => {
    const form = await fetch(`${base}/console/login`);
    const cookie = form.headers.getSetCookie()[0]!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const userAgent = `agent-${'u'.repeat(8_000)}`;
    const body = new URLSearchParams({ csrf, name: 'long-agent', password: 'wrong password!' }).toString();
    const answer = await fetch(`${base}/console/login`, { method: 'POST', headers: { cookie, 'user-agent': userAgent, 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(answer.status).toBe(401);
    await recorder.flush();
    const [failed] = (await auditLog.search({ actions: ['Support.LoginFailed'], limit: 1 })).events;
    expect(failed!.details!.userAgent).toMatch(/^agent-u+…\(8006 chars\)$/);
    expect(JSON.stringify(failed).length).toBeLessThan(1_000);
  });

  it('AUD-2: an attacker-controlled value is shown as text, never as markup', async () => {
    const user = browser(base);
    await user.signIn('alice');
    const page = await user.go('GET', '/console/events?user=mallory');
    expect(page.body).toContain('POST user &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).not.toContain('<script>alert(1)');
  });

  it.each([
    ['since=yesterday', /"since" must be a duration/],
    ['action=User.Frobnicate', /Unknown action "User.Frobnicate"/],
    ['limit=100000', /"limit" must be a whole number from 1 to 500/],
    ['cursor=garbage', /cursor/],
    ['since=2h&until=3h', /"since" must be earlier than "until"/],
  ])('AUD-2: malformed search %s is a 400 page that says why', async (query, message) => {
    const user = browser(base);
    await user.signIn('alice');
    const page = await user.go('GET', `/console/events?${query}`);
    expect(page.status).toBe(400);
    expect(page.body.replace(/&quot;/g, '"')).toMatch(message);
  });

  it('AUD-2: an account limited to some registrations sees only those; the others answer 404 exactly like values that never existed', async () => {
    const user = browser(base);
    await user.signIn('limited');
    const page = await user.go('GET', '/console/events');
    expect(page.body).not.toContain('fabrikam-only');
    expect(page.body).toContain('alert(1)');
    const [other] = (await auditLog.search({ registrationIds: ['reg-fabrikam'] })).events;
    const neverExisted = completeAuditEvent({ ...other!, id: undefined }).id;
    const sameAnswer = async (existing: string, missing: string) => {
      const [forOther, forMissing] = [await user.go('GET', existing), await user.go('GET', missing)];
      expect(forOther.status).toBe(404);
      expect({ status: forMissing.status, body: forMissing.body.replaceAll(missing.split(/[/=]/).pop()!, '…') }).toEqual({ status: forOther.status, body: forOther.body.replaceAll(existing.split(/[/=]/).pop()!, '…') });
    };
    await sameAnswer('/console/events?registration=fabrikam', '/console/events?registration=nobody');
    await sameAnswer('/console/events?registration=reg-fabrikam', '/console/events?registration=reg-nobody');
    await sameAnswer(`/console/events/${other!.id}`, `/console/events/${neverExisted}`);
    await sameAnswer('/console/registrations/reg-fabrikam', '/console/registrations/reg-nobody');
  });

  it('an event opens to its detail, with links to the other events of its request', async () => {
    const user = browser(base);
    await user.signIn('alice');
    const [shown] = (await auditLog.search({ registrationIds: ['reg-contoso'], user: 'mallory' })).events;
    const page = await user.go('GET', `/console/events/${shown!.id}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`/console/events?correlationId=${shown!.correlationId}`);
    expect((await user.go('GET', '/console/events/nope')).status).toBe(404);
  });

  it('signing out needs the CSRF token and ends the session', async () => {
    const user = browser(base);
    await user.signIn('alice');
    await user.go('GET', '/console/events');
    expect((await user.go('POST', '/console/logout', { csrf: 'forged' })).status).toBe(403);
    await user.go('GET', '/console/events');
    expect((await user.go('POST', '/console/logout', { csrf: user.csrf() })).location).toBe('/console/login');
    expect((await user.go('GET', '/console/events')).location).toBe('/console/login');
  });

  it('a password change from the CLI ends existing sessions', async () => {
    const user = browser(base);
    await user.signIn('alice');
    expect((await admin('POST', '/support-accounts/alice/password', { password: `${PASSWORD}!` })).status).toBe(204);
    expect((await user.go('GET', '/console/events')).location).toBe('/console/login');
    expect((await admin('POST', '/support-accounts/alice/password', { password: PASSWORD })).status).toBe(204);
  });

  it('admin API: search with JSON errors, support accounts without hashes, admin token required', async () => {
    const bad = await admin('GET', '/audit/events?outcome=maybe');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'audit.invalid_outcome', message: expect.stringContaining('success or failure') });
    const unknown = await admin('GET', '/audit/events?registration=nobody');
    expect({ status: unknown.status, body: await unknown.json() }).toMatchObject({ status: 404, body: { code: 'audit.unknown_registration' } });
    const found = (await (await admin('GET', '/audit/events?registration=contoso&user=MALLORY')).json()) as { events: unknown[] };
    expect(found.events).toHaveLength(1);
    const listed = await (await admin('GET', '/support-accounts')).text();
    expect(listed).toContain('"name":"limited"');
    expect(listed).not.toContain('argon2');
    expect((await admin('POST', '/support-accounts', { name: 'weak', password: 'short' })).status).toBe(400);
    expect((await admin('POST', '/support-accounts', { name: 'ALICE', password: PASSWORD })).status).toBe(409);
    expect((await admin('GET', '/audit/events', undefined, 'not-the-token')).status).toBe(401);
    expect((await admin('DELETE', '/support-accounts/nobody')).status).toBe(404);
  });

  it('support account passwords are stored as argon2id hashes', async () => {
    expect((await supportAccounts.get('alice'))?.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it('the reconcile service fits the console\'s port', () => {
    expectTypeOf<ReconcileService>().toMatchTypeOf<ConsoleReconcile>();
  });

  it('a registration page lists its last reconcile runs and per-user errors; limited accounts see only theirs', async () => {
    await auditLog.append([
      event('reg-contoso', { action: 'Reconcile.Run', summary: 'reconcile (batched): 2 create, 1 error', runId: 'run-b' }),
      event('reg-contoso', { action: 'VoiceUser.Error', summary: 'lost@contoso.example not provisioned: unknown location', outcome: { status: 422, success: false } }),
    ]);
    const user = browser(base);
    await user.signIn('limited');
    const list = await user.go('GET', '/console/registrations');
    expect(list.body).toContain('contoso');
    expect(list.body).not.toContain('fabrikam');
    const page = await user.go('GET', '/console/registrations/reg-contoso');
    expect(page.body).toContain('reconcile (batched): 2 create, 1 error');
    expect(page.body).toContain('lost@contoso.example not provisioned');
    expect((await user.go('GET', '/console/registrations/reg-fabrikam')).status).toBe(404);
  });

  it('on-demand reconcile: a dry run shows the plan, applying it is a second, explicit step; both are audited', async () => {
    const user = browser(base);
    await user.signIn('alice');
    await user.go('GET', '/console/registrations/reg-contoso');
    expect((await user.go('POST', '/console/registrations/reg-contoso/reconcile', { csrf: 'forged', dryRun: 'true' })).status).toBe(403);
    await user.go('GET', '/console/registrations/reg-contoso');
    const preview = await user.go('POST', '/console/registrations/reg-contoso/reconcile', { csrf: user.csrf(), dryRun: 'true' });
    expect(preview.status).toBe(200);
    expect(preview.body).toContain('dry run');
    expect(preview.body).toContain('location &quot;&lt;Atlantis&gt;&quot; is not mapped');
    expect(preview.body).toContain('Apply these changes');
    const applied = await user.go('POST', '/console/registrations/reg-contoso/reconcile', { csrf: user.csrf(), dryRun: 'false' });
    expect(applied.body).toContain('applied');
    expect(reconcileCalls.slice(-2)).toEqual([{ registrationId: 'reg-contoso', dryRun: true }, { registrationId: 'reg-contoso', dryRun: false }]);
    await recorder.flush();
    const started = await auditLog.search({ actions: ['Reconcile.Start'] });
    expect(started.events[0]).toMatchObject({ registrationId: 'reg-contoso', actor: { kind: 'support', subject: 'alice' } });
  });

  it('AUD-2: a reader account (the default role) sees a registration but may not start a Reconcile; an unknown role is refused', async () => {
    const created = await admin('POST', '/support-accounts', { name: 'reader', password: PASSWORD });
    expect(await created.json()).toMatchObject({ name: 'reader', role: 'reader' });
    expect((await admin('POST', '/support-accounts', { name: 'boss', password: PASSWORD, role: 'admin' })).status).toBe(400);
    const user = browser(base);
    await user.signIn('reader');
    const page = await user.go('GET', '/console/registrations/reg-contoso');
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('Preview a reconcile');
    const before = reconcileCalls.length;
    const refused = await user.go('POST', '/console/registrations/reg-contoso/reconcile', { csrf: user.csrf(), dryRun: 'true' });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('may read but not start a Reconcile');
    expect(reconcileCalls.length).toBe(before);
  });

  it('SYNC-2: a dry run that found per-user errors is shown as a dry run with findings, not as a red failure', async () => {
    await auditLog.append([
      event('reg-contoso', { action: 'Reconcile.Run', summary: 'reconcile (on-demand, dry run): 1 create, 2 errors', runId: 'run-dry', outcome: { status: 207, success: false }, details: { dryRun: true, errors: 2 } }),
    ]);
    const user = browser(base);
    await user.signIn('alice');
    const page = await user.go('GET', '/console/events?runId=run-dry');
    const row = /<tr>(?:(?!<\/tr>).)*dry run\): 1 create(?:(?!<\/tr>).)*<\/tr>/s.exec(page.body)?.[0] ?? '';
    expect(row).toContain('<span class="neutral">dry run with findings</span>');
    expect(row).not.toContain('failure');
  });
});
