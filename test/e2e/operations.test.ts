import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { createHttpsClient, type HttpsClient } from '../support/https-client.js';
import { startSlowRequest } from '../support/slow-request.js';
import { entraUser, patch } from './scim-fixtures.js';

const SEATED = {
  locationMap: { Seattle: 'loc-sea' },
  syncMode: { kind: 'just-in-time' },
  licensing: { seats: { 'voice-standard': 5 }, assignOnCreate: ['voice-standard'] },
};
const inSeattle = { addresses: [{ type: 'work', locality: 'Seattle' }] };

/** The value of one sample of the Prometheus text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text.split('\n').find((candidate) => {
    if (!candidate.startsWith(`${name}{`) && !candidate.startsWith(`${name} `)) return false;
    return wanted.every((label) => candidate.includes(label));
  });
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The log is written through a stream: waits (bounded) until `wanted` lines are there. */
async function logLinesOnceThere(service: TestService, wanted: (lines: Record<string, unknown>[]) => boolean): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lines = logLines(service);
    if (wanted(lines) || Date.now() > deadline) return lines;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function logLines(service: TestService): Record<string, unknown>[] {
  return readFileSync(service.logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe.each(STORE_KINDS)('Operations: probes, metrics and logs (%s store)', (kind) => {
  const metricsToken = randomBytes(32).toString('base64url');
  let service: TestService;
  let client: RegisteredClient;
  let scimProbe: HttpsClient;
  let adminRoot: HttpsClient;
  beforeAll(async () => {
    service = await startTestService(kind, { METRICS_TOKEN: metricsToken });
    client = await service.registration('metered', SEATED);
    // No client certificate and no token: what a load balancer or a kubelet presents.
    scimProbe = createHttpsClient(service.scimUrl.replace('/scim/v2', ''), { ca: service.ca.certificatePem });
    adminRoot = createHttpsClient(service.adminUrl, { ca: service.ca.certificatePem });
  });
  afterAll(async () => {
    scimProbe.close();
    adminRoot.close();
    await service.stop();
  });

  it('/healthz and /readyz answer on both listeners without any credential, and are neither audited nor logged', async () => {
    for (const probe of [scimProbe, adminRoot]) {
      expect((await probe.get('/healthz')).body).toEqual({ status: 'ok' });
      const ready = await probe.get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ready', checks: { draining: 'ok', tls: 'ok', store: 'ok' } });
    }
    await service.service.audit.recorder.flush();
    const trail = await service.admin.get('/audit/events?limit=500');
    expect(trail.status).toBe(200);
    expect(trail.text).not.toMatch(/healthz|readyz/);
    expect(readFileSync(service.logFile, 'utf8')).not.toMatch(/healthz|readyz/);
  });

  it('/metrics needs the admin token or METRICS_TOKEN; a provisioning credential is refused', async () => {
    expect((await adminRoot.get('/metrics')).status).toBe(401);
    const token = await service.admin.post('/registrations/metered/tokens', { label: 'scim' });
    expect((await adminRoot.get('/metrics', { headers: { authorization: `Bearer ${token.body.token}` } })).status).toBe(401);
    for (const accepted of [service.adminToken, metricsToken]) {
      const scraped = await adminRoot.get('/metrics', { headers: { authorization: `Bearer ${accepted}` } });
      expect(scraped.status).toBe(200);
      expect(scraped.headers['content-type']).toMatch(/^text\/plain/);
    }
  });

  it('SYNC-1/SYNC-5 metrics: requests by route template and registration, auth refusals by reason, reconcile rows by rule, seats used vs bought, TLS expiry, audit queue, event-loop lag, DB round trip', async () => {
    const created = await client.scim.post('/Users', entraUser('meter.one@metered.example', inSeattle));
    expect(created.status, created.text).toBe(201);
    expect((await client.scim.get(`/Users/${created.body.id}`)).status).toBe(200);
    expect((await service.scimClient({}).get('/Users')).status).toBe(401);
    await scimProbe.get('/readyz');

    const text = (await adminRoot.get('/metrics', { headers: { authorization: `Bearer ${metricsToken}` } })).text;
    const byRoute = { listener: 'scim', route: '/scim/v2/Users/:id', method: 'GET', status: '200', registration: client.id };
    expect(sample(text, 'scim_http_requests_total', byRoute)).toBe(1);
    expect(sample(text, 'scim_http_requests_total', { route: '/scim/v2/Users', method: 'POST', status: '201', registration: client.id })).toBe(1);
    expect(sample(text, 'scim_http_requests_total', { status: '401', registration: 'none' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'scim_http_request_duration_seconds_count', { listener: 'scim', route: '/scim/v2/Users/:id', method: 'GET' })).toBe(1);
    // Raw paths never become labels (one series per user would be unbounded).
    expect(text).not.toContain(created.body.id);
    expect(sample(text, 'scim_auth_refusals_total', { reason: 'no-credentials' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'scim_reconcile_runs_total', { trigger: 'just-in-time', outcome: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^scim_reconcile_rows_total\{rule="[A-Z]+-\d+"\} [1-9]/m);
    expect(sample(text, 'scim_license_seats', { registration: client.id, license: 'voice-standard', kind: 'used' })).toBe(1);
    expect(sample(text, 'scim_license_seats', { registration: client.id, license: 'voice-standard', kind: 'bought' })).toBe(5);
    // The test certificates, CA and CRL are made for 30 days.
    for (const material of ['serverCertificate', 'clientCa', 'crl']) {
      expect(sample(text, 'scim_tls_expiry_days', { material })).toBeGreaterThan(29);
      expect(sample(text, 'scim_tls_expiry_days', { material })).toBeLessThanOrEqual(30);
    }
    expect(sample(text, 'scim_audit_queue_depth')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'scim_audit_events_dropped')).toBe(0);
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'scim_store_ping_seconds_count', { outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'scim_store_up')).toBe(1);
  });

  it('logs: every line names the service and version; a request\'s lines (its reconcile too) carry its correlation id; one request line at info', async () => {
    const correlationId = `ops-${randomUUID()}`;
    const created = await client.scim.post('/Users', entraUser('meter.two@metered.example', inSeattle));
    const patched = await client.scim.patch(`/Users/${created.body.id}`, patch({ op: 'replace', path: 'name.givenName', value: 'Logged' }), { headers: { 'client-request-id': correlationId } });
    expect(patched.status, patched.text).toBe(204);

    const lines = await logLinesOnceThere(service, (all) => all.filter((line) => line.correlationId === correlationId).length >= 2);
    expect(lines.every((line) => line.service === 'scim-voice-portal' && typeof line.version === 'string')).toBe(true);
    const ofRequest = lines.filter((line) => line.correlationId === correlationId);
    expect(ofRequest.map((line) => line.message).sort()).toEqual(['reconcile run finished', 'request']);
    expect(ofRequest.find((line) => line.message === 'reconcile run finished')).toMatchObject({ trigger: 'just-in-time', registrationId: client.id, runId: expect.any(String) });
    expect(ofRequest.find((line) => line.message === 'request')).toMatchObject({ level: 'info', listener: 'scim', route: '/scim/v2/Users/:id', method: 'PATCH', status: 204 });
  });
});

describe('A per-registration cap on SCIM requests in progress (MAX_CONCURRENT_REQUESTS_PER_REGISTRATION)', () => {
  let service: TestService;
  let busy: RegisteredClient;
  let other: RegisteredClient;
  beforeAll(async () => {
    service = await startTestService('sqlite', { MAX_CONCURRENT_REQUESTS_PER_REGISTRATION: '2' });
    busy = await service.registration('busy', { syncMode: { kind: 'on-demand' } });
    other = await service.registration('other', { syncMode: { kind: 'on-demand' } });
  });
  afterAll(() => service.stop());

  it('over the cap answers 503 with Retry-After and a SCIM error; other registrations and later requests are served', async () => {
    const slowCreate = (upn: string) =>
      startSlowRequest(`${service.scimUrl}/Users`, { method: 'POST', body: entraUser(upn), ca: service.ca.certificatePem, cert: busy.certificate.certificatePem, key: busy.certificate.privateKeyPem });
    const inProgress = [await slowCreate('first.slow@busy.example'), await slowCreate('second.slow@busy.example')];

    const refused = await busy.scim.get('/Users');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: 503 });
    expect(refused.body.detail).toContain('MAX_CONCURRENT_REQUESTS_PER_REGISTRATION');
    expect((await other.scim.get('/Users')).status).toBe(200);

    const finished = await Promise.all(inProgress.map((request) => request.finish()));
    expect(finished.map((answer) => answer.status)).toEqual([201, 201]);
    const listed = await busy.scim.get('/Users');
    expect(listed.status).toBe(200);
    expect(listed.body.totalResults).toBe(2);
  });
});

describe('REQUEST_LOG_LEVEL', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService('sqlite', { LOG_LEVEL: 'info', REQUEST_LOG_LEVEL: 'debug' });
  });
  afterAll(() => service.stop());

  it('below LOG_LEVEL hides the request lines, and only them', async () => {
    const client = await service.registration('quiet');
    expect((await client.scim.get('/Users')).status).toBe(200);
    expect((await service.scimClient({}).get('/Users')).status).toBe(401);
    const lines = await logLinesOnceThere(service, (all) => all.some((line) => line.message === 'authentication refused'));
    expect(lines.some((line) => line.message === 'authentication refused')).toBe(true);
    expect(lines.filter((line) => line.message === 'request')).toEqual([]);
  });
});
