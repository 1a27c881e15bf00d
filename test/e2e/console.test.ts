import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { entraUser, patch } from './scim-fixtures.js';

const SUPPORT_PASSWORD = 'support staff passphrase 42';
const HOSTILE_NAME = '<script>window.__injected=1</script><b>bold</b>';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

describe.each(STORE_KINDS)('Support console in headless Chromium (%s store)', (kind) => {
  let service: TestService;
  let client: RegisteredClient;
  let browser: Browser;
  let janeId: string;

  beforeAll(async () => {
    service = await startTestService(kind);
    client = await service.registration('contoso');
    const created = await client.scim.post('/Users', entraUser('jane.doe@contoso.example', { displayName: HOSTILE_NAME }));
    expect(created.status, created.text).toBe(201);
    janeId = created.body.id;
    expect([200, 204]).toContain((await client.scim.patch(`/Users/${janeId}`, patch({ op: 'Replace', path: 'active', value: false }))).status);
    await service.service.audit.recorder.flush();
    const account = await service.admin.post('/support-accounts', { name: 'support1', password: SUPPORT_PASSWORD }, { headers: { 'content-type': 'application/json' } });
    expect(account.status, account.text).toBe(201);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  async function signedInPage(): Promise<Page> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, timezoneId: 'America/New_York', locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${service.adminUrl}/console`);
    await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
    await page.getByLabel('Support account').fill('support1');
    await page.getByLabel('Password').fill(SUPPORT_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Audit events' }).waitFor();
    return page;
  }

  it('AUD-2: sign in, search for Jane, read why she is not in the portal, follow her to the PATCH; a <script> display name stays text', async () => {
    const page = await signedInPage();
    await page.getByLabel('Registration').selectOption({ label: 'contoso' });
    await page.getByLabel('User', { exact: true }).fill('JANE');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/user=JANE/);

    await expect(page.locator('table tbody tr', { hasText: 'VoiceUser.Error' }).count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('table tbody tr', { hasText: 'User.Patch' }).count()).resolves.toBeGreaterThan(0);
    await expect(page.getByText(HOSTILE_NAME, { exact: false }).count()).resolves.toBeGreaterThan(0);
    await expect(page.evaluate('window.__injected')).resolves.toBeUndefined();
    const time = page.locator('td.time time').first();
    await expect(time.getAttribute('title')).resolves.toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    await expect(time.textContent()).resolves.toMatch(/[EC][SD]T|GMT-/);

    await page.getByRole('link', { name: /not provisioned: .*no location is set/ }).first().click();
    await page.getByRole('heading', { name: 'VoiceUser.Error' }).waitFor();
    const error = (await page.locator('main').textContent()) ?? '';
    expect(error).toContain('422 failure');
    expect(error).toMatch(/no location is set in Azure AD/);
    await page.screenshot({ path: path.join(os.tmpdir(), `support-console-error-${kind}.png`), fullPage: true });
    await page.getByRole('link', { name: 'all events about this user' }).click();
    await page.getByRole('link', { name: /^PATCH user .+: active → false$/ }).click();
    await page.getByRole('heading', { name: 'User.Patch' }).waitFor();
    await expect(page.locator('main').textContent()).resolves.toMatch(/20[04] success/);
    await expect(page.locator('a[href*="correlationId="]').count()).resolves.toBe(1);
    await page.screenshot({ path: path.join(os.tmpdir(), `support-console-patch-${kind}.png`), fullPage: true });
  }, 30_000);

  it('SYNC-5: the registration page shows the last reconcile runs and the users it could not provision', async () => {
    const page = await signedInPage();
    await page.getByRole('link', { name: 'Registrations' }).click();
    await page.getByRole('link', { name: 'contoso' }).click();
    await page.getByRole('heading', { name: 'Registration contoso' }).waitFor();
    await expect(page.getByRole('table', { name: 'Last reconcile runs, newest first' }).textContent()).resolves.toContain('reconcile (just-in-time)');
    await expect(page.getByRole('table', { name: 'Users the portal could not provision, newest first' }).textContent()).resolves.toContain('jane.doe@contoso.example not provisioned');
    await page.screenshot({ path: path.join(os.tmpdir(), `support-console-registration-${kind}.png`), fullPage: true });
  }, 30_000);

  it('AUD-2: a malformed search is a 400 page that says what is wrong', async () => {
    const page = await signedInPage();
    const response = await page.goto(`${service.adminUrl}/console/events?since=yesterday`);
    expect(response?.status()).toBe(400);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('"since" must be a duration back from now');
  }, 30_000);

  it('AUD-1: the SCIM requests, the reconcile error and the sign-in are in the audit trail, found from the admin API as the CLI does', async () => {
    await service.service.audit.recorder.flush();
    const found = await service.admin.get(`/audit/events?registration=contoso&user=${janeId}&action=User.*`);
    expect(found.status, found.text).toBe(200);
    expect(found.body.events.map((event: { action: string }) => event.action)).toEqual(['User.Patch', 'User.Create']);
    const failures = await service.admin.get('/audit/events?registration=contoso&user=jane&outcome=failure');
    expect(failures.body.events[0]).toMatchObject({ action: 'VoiceUser.Error', subjectUser: { userName: 'jane.doe@contoso.example' } });
    const signIns = await service.admin.get('/audit/events?action=Support.Login');
    expect(signIns.body.events[0]).toMatchObject({ actor: { kind: 'support', subject: 'support1' }, outcome: { success: true } });
  });

  it('AUD-3: neither the service log nor the audit trail holds the support password, the admin token or the client key', async () => {
    const keyBody = client.certificate.privateKeyPem.split('\n').filter((line) => line && !line.startsWith('-----')).join('');
    const secrets = [SUPPORT_PASSWORD, service.adminToken, keyBody.slice(0, 48)];
    await service.service.audit.recorder.flush();
    const log = readFileSync(service.logFile, 'utf8');
    const trail = (await service.admin.get('/audit/events?limit=500')).text;
    expect(log.length).toBeGreaterThan(0);
    expect(trail).toContain('Support.Login');
    for (const secret of secrets) {
      expect(log).not.toContain(secret);
      expect(trail).not.toContain(secret);
    }
  });
});
