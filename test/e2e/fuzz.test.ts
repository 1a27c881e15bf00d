import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { createTargets, hostileRequests, malformedHttp, problemWith, sendHostile, sendRaw, snapshot, type Targets } from '../support/hostile-requests.js';

/** Fixed seeds: a failure names its seed and counterexample, and reruns the same way. */
const SEED = 20261126;
/** FerretDB answers more slowly than SQLite; the two together stay well under 30 s. */
const RUNS = { sqlite: 1_000, mongodb: 400 } as const;
const MALFORMED_RUNS = 100;

describe.each(STORE_KINDS)('Fuzz: hostile requests never answer 5xx, kill the process or change data (%s store)', (kind) => {
  let service: TestService;
  let anchor: RegisteredClient;
  let fuzzer: RegisteredClient;
  let anchors: Targets;
  let targets: Targets;
  let before: string[];
  beforeAll(async () => {
    service = await startTestService(kind);
    anchor = await service.registration('anchor');
    fuzzer = await service.registration('fuzzer');
    anchors = await createTargets(anchor, 'anchor');
    const own = await createTargets(fuzzer, 'fuzzer');
    targets = { userIds: [...anchors.userIds, ...own.userIds], groupIds: [...anchors.groupIds, ...own.groupIds] };
    before = await snapshot(anchor.scim, anchors);
  });
  afterAll(() => service.stop());

  it(`${RUNS[kind]} generated SCIM requests (seed ${SEED}) are each answered below 500, errors as SCIM Errors`, async () => {
    await fc.assert(
      fc.asyncProperty(hostileRequests(targets), async (request) => {
        const response = await sendHostile(fuzzer.scim, request);
        const problem = problemWith({ status: response.status, contentType: response.headers['content-type'] as string | undefined, text: response.text });
        if (problem) throw new Error(`${request.method} ${request.path.slice(0, 200)}: ${problem}`);
      }),
      { seed: SEED, numRuns: RUNS[kind], endOnFailure: true },
    );
  }, 180_000);

  it(`${MALFORMED_RUNS} malformed HTTP requests are answered below 500 as SCIM Errors, or the connection closed`, async () => {
    const target = { port: service.service.scim.port, ca: service.ca.certificatePem, cert: fuzzer.certificate.certificatePem, key: fuzzer.certificate.privateKeyPem };
    await fc.assert(
      fc.asyncProperty(malformedHttp(), async (request) => {
        const answer = await sendRaw(target, request);
        if (answer.status === 0) return;
        const problem = problemWith({ status: answer.status, contentType: answer.headers['content-type'], text: answer.body });
        if (problem) throw new Error(`${JSON.stringify(request.slice(0, 200))}: ${problem}`);
      }),
      { seed: SEED, numRuns: MALFORMED_RUNS, endOnFailure: true },
    );
  }, 60_000);

  it('afterwards the process serves, the other registration is byte-identical and no audit hook failed', async () => {
    expect(await snapshot(anchor.scim, anchors)).toEqual(before);
    expect((await fuzzer.scim.get('/Users?count=5')).status).toBe(200);
    await service.service.audit.recorder.flush();
    const log = readFileSync(service.logFile, 'utf8');
    expect(log).not.toContain('audit event not recorded');
    expect(log).not.toContain('"request failed"');
  });
});
