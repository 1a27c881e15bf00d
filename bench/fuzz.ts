/**
 * The long hostile-input run (issue 13): the generator of test/e2e/fuzz.test.ts, many more cases.
 *   npx tsx bench/fuzz.ts [--store sqlite|mongodb|both] [--runs 10000] [--malformed 1000] [--seed 42]
 * Unlike the test, it does not stop at the first problem: it prints every distinct problem, the
 * answers by status, requests/s, and exits 1 if any answer was a 5xx or not a SCIM Error, or if
 * another registration's data changed.
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { startTestService, type StoreKind } from '../test/support/test-service.js';
import { startMongoServer } from '../test/support/mongo-server.js';
import { createTargets, hostileRequests, malformedHttp, problemWith, sendHostile, sendRaw, snapshot } from '../test/support/hostile-requests.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'both' },
    runs: { type: 'string', default: '10000' },
    malformed: { type: 'string', default: '1000' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
  },
});

async function fuzzStore(kind: StoreKind, mongoUri: () => string): Promise<number> {
  const seed = Number(values.seed);
  const service = await startTestService(kind, { LOG_LEVEL: 'warn' }, mongoUri);
  try {
    const anchor = await service.registration('anchor');
    const fuzzer = await service.registration('fuzzer');
    const anchors = await createTargets(anchor, 'anchor');
    const own = await createTargets(fuzzer, 'fuzzer');
    const targets = { userIds: [...anchors.userIds, ...own.userIds], groupIds: [...anchors.groupIds, ...own.groupIds] };
    const before = await snapshot(anchor.scim, anchors);
    const statuses = new Map<number, number>();
    const problems = new Map<string, string>();
    const started = performance.now();
    for (const request of fc.sample(hostileRequests(targets), { seed, numRuns: Number(values.runs) })) {
      const response = await sendHostile(fuzzer.scim, request);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const problem = problemWith({ status: response.status, contentType: response.headers['content-type'] as string | undefined, text: response.text });
      if (problem) problems.set(`${response.status} ${request.method} ${request.path.split('?')[0]!.slice(0, 60)}`, `${request.method} ${request.path.slice(0, 300)}: ${problem}`);
    }
    const seconds = (performance.now() - started) / 1000;
    const target = { port: service.service.scim.port, ca: service.ca.certificatePem, cert: fuzzer.certificate.certificatePem, key: fuzzer.certificate.privateKeyPem };
    for (const request of fc.sample(malformedHttp(), { seed, numRuns: Number(values.malformed) })) {
      const answer = await sendRaw(target, request);
      const problem = answer.status === 0 ? undefined : problemWith({ status: answer.status, contentType: answer.headers['content-type'], text: answer.body });
      if (problem) problems.set(`raw ${answer.status} ${request.split('\r\n')[2]?.slice(0, 40)}`, `${JSON.stringify(request.slice(0, 200))}: ${problem}`);
    }
    const unchanged = JSON.stringify(await snapshot(anchor.scim, anchors)) === JSON.stringify(before);
    console.log(`\n${kind}: ${values.runs} requests in ${seconds.toFixed(1)} s (${(Number(values.runs) / seconds).toFixed(0)}/s), seed ${seed}`);
    console.log('  answers by status:', Object.fromEntries([...statuses].sort(([a], [b]) => a - b)));
    console.log(`  other registration's data ${unchanged ? 'byte-identical' : 'CHANGED'}; ${problems.size} distinct problems`);
    for (const problem of problems.values()) console.log(`  - ${problem}`);
    return problems.size + (unchanged ? 0 : 1);
  } finally {
    await service.stop();
  }
}

async function main(): Promise<void> {
  const kinds: StoreKind[] = values.store === 'both' ? ['sqlite', 'mongodb'] : [values.store as StoreKind];
  const mongo = kinds.includes('mongodb') ? await startMongoServer() : undefined;
  let failures = 0;
  try {
    for (const kind of kinds) failures += await fuzzStore(kind, () => `${mongo!.uri.replace(/\/[^/]*$/, '')}/fuzz${Date.now()}`);
  } finally {
    await mongo?.stop();
  }
  process.exitCode = failures > 0 ? 1 : 0;
}

await main();
