/**
 * Where the service's CPU goes on one SCIM scenario: the embedded (SQLite) store, auditing on (it
 * always is), an on-demand registration, the same requests and load as bench/scim-bench.ts.
 *   npx tsx bench/cpu-profile.ts [--scenario get-user|patch-user|all] [--seconds 15] [--top 25]
 *       [--users 3000] [--connections 50] [--request-log] [--keep-profiles DIR]
 * Compiles src/ (`npm run build`) and runs the service as production does, `node dist/server.js` with
 * the image's NODE_ENV and NODE_OPTIONS (bench/image-environment.ts), under `node --cpu-prof`,
 * pinned to core 1 with the load generator on core 0 (bench/load.ts). After the load it stops the
 * service with SIGTERM, whose normal exit writes the `.cpuprofile`, and prints markdown: the commit,
 * req/s and latency, the top functions by self time (dist/ frames mapped back to src/) and the self
 * time per package, counting only the samples taken during the load. Request log lines are off, as
 * in scim-bench (`--request-log` turns them on). `--keep-profiles` keeps the `.cpuprofile` files in
 * DIR (Chrome DevTools and speedscope open them).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startServiceProcess } from '../test/support/service-process.js';
import { startTestService, type TestService } from '../test/support/test-service.js';
import { type CpuProfile, renderSummary, summariseProfile } from './cpu-profile-summary.js';
import { imageEnvironment } from './image-environment.js';
import { pinServerCore, runLoad, type LoadResult, type PlannedRequest } from './load.js';
import { getUser, patchUser, planRequests, seedUsers, type SeededUser } from './workload.js';

const SCENARIOS: Record<string, { title: string; requests: (users: SeededUser[]) => () => PlannedRequest }> = {
  'get-user': { title: 'GET /Users/{id}', requests: getUser },
  'patch-user': { title: 'PATCH /Users/{id} (displayName, active)', requests: patchUser },
};

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'all' },
    seconds: { type: 'string', default: '15' },
    top: { type: 'string', default: '25' },
    users: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '50' },
    'request-log': { type: 'boolean', default: false },
    'keep-profiles': { type: 'string' },
  },
});
const scenarioNames = values.scenario === 'all' ? Object.keys(SCENARIOS) : [values.scenario!];
const unknown = scenarioNames.filter((name) => !(name in SCENARIOS));
if (unknown.length > 0) throw new Error(`--scenario must be one of ${[...Object.keys(SCENARIOS), 'all'].join(', ')}, not ${unknown.join(', ')}`);

const ROOT = path.resolve(import.meta.dirname, '..');
/** The image's settings (NODE_ENV, NODE_OPTIONS), except that request log lines are not written unless asked for. */
const SERVICE_ENV = { ...imageEnvironment(), LOG_LEVEL: 'info', REQUEST_LOG_LEVEL: values['request-log'] ? 'info' : 'http' };

interface Tls {
  cert: string;
  key: string;
  ca: string;
}

async function main(): Promise<void> {
  const pinning = pinServerCore();
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  const service = await startTestService('sqlite', { LOG_LEVEL: 'warn' });
  try {
    const client = await service.registration('profile', { accountDomains: ['bench.example'], syncMode: { kind: 'on-demand' } });
    const tls = { cert: client.certificate.certificatePem, key: client.certificate.privateKeyPem, ca: service.ca.certificatePem };
    const users = await seedUsers(service, client.id, Number(values.users));
    console.log(`# CPU profile of the service\n\n${describeRun(pinning)}\n`);
    for (const name of scenarioNames) {
      const { title, requests } = SCENARIOS[name]!;
      const { load, profile, window } = await profileScenario(service, tls, requests(users));
      console.log(`## ${title}\n\n${describeLoad(load)}\n\n${renderSummary(summariseProfile(profile, window, ROOT), Number(values.top))}\n`);
    }
  } finally {
    await service.stop();
  }
}

/**
 * Starts the service under `--cpu-prof` on the seeded database, loads it, stops it with SIGTERM and
 * reads the profile its exit wrote. The window is the load's start and end on the monotonic clock
 * that V8 stamps the samples with (shared by every process of the machine).
 */
async function profileScenario(service: TestService, tls: Tls, next: () => PlannedRequest): Promise<{ load: LoadResult; profile: CpuProfile; window: { from: number; to: number } }> {
  const profileDir = profileFolder();
  try {
    const child = await startServiceProcess(service, SERVICE_ENV, { fromDist: true, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] });
    let load: LoadResult;
    const from = monotonicMicros();
    try {
      load = await runLoad({ url: child.scimUrl, tls, headers: {}, requests: planRequests(next), seconds: Number(values.seconds), connections: Number(values.connections) });
    } finally {
      child.child.kill('SIGTERM');
    }
    const to = monotonicMicros();
    const exit = await child.exited;
    if (exit !== 0) throw new Error(`the service ended with ${exit} instead of exiting 0, so it wrote no profile:\n${child.output()}`);
    return { load, profile: readOnlyProfile(profileDir), window: { from, to } };
  } finally {
    if (values['keep-profiles']) console.error(`profile kept in ${profileDir}`);
    else rmSync(profileDir, { recursive: true, force: true });
  }
}

/** A fresh folder for one profile: under --keep-profiles (kept), else in the temporary folder (removed after). */
function profileFolder(): string {
  const keep = values['keep-profiles'];
  if (keep) mkdirSync(keep, { recursive: true });
  return mkdtempSync(path.join(keep ? path.resolve(keep) : os.tmpdir(), 'cpu-profile-'));
}

function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function readOnlyProfile(dir: string): CpuProfile {
  const files = readdirSync(dir).filter((file) => file.endsWith('.cpuprofile'));
  if (files.length !== 1) throw new Error(`expected one .cpuprofile in ${dir}, found ${files.length}`);
  return JSON.parse(readFileSync(path.join(dir, files[0]!), 'utf8')) as CpuProfile;
}

function describeRun(pinning: string): string {
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim() ? ' (src/ has uncommitted changes)' : '';
  return [
    `- commit ${commit}${dirty}, Node ${process.version}, ${pinning}`,
    `- service: \`node --cpu-prof dist/server.js\` (compiled, as the image runs it), ${Object.entries(imageEnvironment()).map(([name, value]) => `${name}=${value}`).join(', ')}, request log lines ${values['request-log'] ? 'on' : 'off'}`,
    `- embedded SQLite store, auditing on, on-demand registration, ${values.users} users; ${values.connections} keep-alive connections with a client certificate for ${values.seconds} s per scenario`,
  ].join('\n');
}

function describeLoad(load: LoadResult): string {
  return `Load: ${load.requestsPerSecond} req/s, mean ${load.mean} ms, p50 ${load.p50} ms, p99 ${load.p99} ms, errors ${load.errors} ${JSON.stringify(load.statuses)}.`;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
