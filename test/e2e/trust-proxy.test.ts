import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/test-service.js';
import { createHttpsClient } from '../support/https-client.js';

const PASSWORD = 'correct horse battery';
const FAILURES_BEFORE_THROTTLE = 5;

describe.each([
  ['TRUST_PROXY=loopback: the throttle keys on the address the proxy forwards', { TRUST_PROXY: 'loopback' }, '203.0.113.7', 401],
  ['TRUST_PROXY unset: X-Forwarded-For is ignored, the throttle keys on the connection', {}, '127.0.0.1', 429],
])('%s', (_title, env: Record<string, string>, auditedAddress, otherClientStatus) => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService('sqlite', env);
    expect((await service.admin.post('/support-accounts', { name: 'alice', password: PASSWORD })).status).toBe(201);
  });
  afterAll(() => service.stop());

  /** One sign-in through the form (its CSRF cookie and field) as if forwarded for `clientAddress`. */
  const signIn = async (clientAddress: string, password: string) => {
    const browser = createHttpsClient(`${service.adminUrl}/console`, { ca: service.ca.certificatePem });
    try {
      const form = await browser.get('/login');
      const cookie = ([] as string[]).concat(form.headers['set-cookie'] ?? []).map((header) => header.split(';')[0]).join('; ');
      const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
      const raw = new URLSearchParams({ csrf, name: 'alice', password }).toString();
      return (await browser.send('POST', '/login', undefined, { raw, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': clientAddress } })).status;
    } finally {
      browser.close();
    }
  };

  it('AUD-2: guessing from one client is throttled; another client behind the same proxy is or is not', async () => {
    for (let attempt = 0; attempt < FAILURES_BEFORE_THROTTLE; attempt++) expect(await signIn('203.0.113.7', 'wrong password!')).toBe(401);
    expect(await signIn('203.0.113.7', PASSWORD)).toBe(429);
    expect(await signIn('203.0.113.8', 'wrong password!')).toBe(otherClientStatus);
    await service.service.audit.recorder.flush();
    const events = await service.admin.get('/audit/events?action=Support.LoginFailed');
    expect(events.status).toBe(200);
    expect(JSON.stringify(events.body)).toContain(`"address":"${auditedAddress}`);
  });
});
