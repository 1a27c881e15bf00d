import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFUSAL_LIMITS } from '../../src/audit/refusal-ledger.js';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { ERROR_SCHEMA } from '../../src/scim/to-scim-error.js';
import { createHttpsClient } from '../support/https-client.js';
import { STORE_KINDS, startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';

const REFUSED_REQUESTS = 400;
/** What the issue measured: a 12 kB path, stored twice per refused request. */
const HUGE_PATH = `/Users/${'p'.repeat(12_000)}`;

describe.each(STORE_KINDS)('refused requests cannot fill the audit store (%s store)', (kind) => {
  let service: TestService;
  let contoso: RegisteredClient;
  let started: string;

  beforeAll(async () => {
    service = await startTestService(kind);
    contoso = await service.registration('contoso');
    started = new Date().toISOString();
  });
  afterAll(() => service?.stop());

  /** The refusals stored since the test began, read back through the audit search of the admin API. */
  async function storedRefusals(): Promise<AuditEvent[]> {
    await service.service.audit.recorder.flush();
    const found = await service.admin.get(`/audit/events?action=Auth.Refused&since=${started}&limit=500`);
    expect(found.status).toBe(200);
    return found.body.events as AuditEvent[];
  }

  it(`AUD-1: ${REFUSED_REQUESTS} requests with 12 kB paths and no credentials store a bounded excerpt; the address is answered 429 past its limit`, async () => {
    const anonymous = service.scimClient({});
    const answers = [];
    for (let i = 0; i < REFUSED_REQUESTS; i += 1) answers.push(await anonymous.get(HUGE_PATH));

    const statuses = answers.map((answer) => answer.status);
    expect(statuses.slice(0, REFUSAL_LIMITS.maxPerAddress).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(REFUSAL_LIMITS.maxPerAddress).every((status) => status === 429)).toBe(true);
    const limited = answers[REFUSAL_LIMITS.maxPerAddress]!;
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(REFUSAL_LIMITS.windowMs / 1000);
    expect(limited.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(limited.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: 429, detail: expect.stringMatching(/retry in \d+ s/) });
    expect(limited.text.length).toBeLessThan(400);

    const stored = await storedRefusals();
    expect(stored).toHaveLength(1);
    const bytes = JSON.stringify(stored).length;
    // Before: about 24 kB per refused request (15.6 MB for 400 requests of the run).
    expect(bytes).toBeLessThan(2_000);
    expect(stored[0]!.details).toMatchObject({ reason: 'no-credentials', path: expect.stringContaining('…(12015 chars)') });
  });

  it('a client that authenticates from the same address is never limited', async () => {
    expect((await contoso.scim.get('/Users')).status).toBe(200);
  });

  it('AUD-1: unknown paths outside the SCIM API, asked without credentials, are stored within the same bounds', async () => {
    const root = createHttpsClient(`https://127.0.0.1:${service.service.scim.port}`, { ca: service.ca.certificatePem });
    const before = (await storedRefusals()).length;
    for (let i = 0; i < 50; i += 1) expect((await root.get(`/${'q'.repeat(12_000)}`)).status).toBe(404);
    root.close();
    const added = (await storedRefusals()).slice(0, (await storedRefusals()).length - before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ outcome: { status: 404 }, details: { reason: 'unauthenticated-request' } });
    expect(JSON.stringify(added).length).toBeLessThan(2_000);
  });
});
