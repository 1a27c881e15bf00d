/**
 * Resident memory of the service while Entra's initial cycle provisions `--users` users (issue 9:
 * under 300 MiB after 100k, on the embedded store with auditing on, on-demand registration).
 *   npx tsx bench/rss.ts [--users 100000] [--connections 32] [--every 10000] [--group-members 10000]
 *       [--settle-seconds 180] [--node-options=--max-semi-space-size=16] [--heap-snapshot DIR]
 * Compiles src/ (`npm run build`) and runs the service as production does (`node dist/server.js`,
 * NODE_ENV=production) in a process of its own, so that its memory is the service's alone: nothing
 * of the load generator, the seeding or a test harness. Each user is pushed as Entra's initial cycle
 * does it: `GET /Users?filter=userName eq "…"` (no match), then `POST /Users`, over `--connections`
 * keep-alive connections. Every `--every` users, and at the end, it reads the service's VmRSS and
 * VmHWM (peak) from /proc/<pid>/status, with the V8 heap and external memory from its /metrics.
 * Then the registration turns just-in-time, scoped to a group, and `--group-members` users join
 * that group 100 per PATCH (as Entra sends them): each PATCH creates their voice users before it
 * answers. Memory is read again after that, then every 30 s while the service idles for
 * `--settle-seconds`: V8 shrinks its heap only once it has seen the allocation rate stay low (its
 * memory reducer), which took about 100 s here, so the table shows both the peak under Entra's load
 * and what the service settles to between cycles. The service gets the image's NODE_ENV and
 * NODE_OPTIONS (bench/image-environment.ts); `--node-options=…` replaces the latter, and
 * `--node-options=` (empty) measures Node's defaults. `--heap-snapshot DIR` also has the service
 * write a heap snapshot into DIR at the end (`--heapsnapshot-signal`), for Chrome DevTools.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startServiceProcess, type ServiceProcess } from '../test/support/service-process.js';
import { startTestService, type TestService } from '../test/support/test-service.js';
import { entraGroup, entraUser, patch } from '../test/e2e/scim-fixtures.js';
import { imageEnvironment } from './image-environment.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    connections: { type: 'string', default: '32' },
    every: { type: 'string', default: '10000' },
    'group-members': { type: 'string', default: '10000' },
    'settle-seconds': { type: 'string', default: '180' },
    'node-options': { type: 'string' },
    'heap-snapshot': { type: 'string' },
  },
});
const USERS = Number(values.users);
const CONNECTIONS = Number(values.connections);
const EVERY = Number(values.every);
const GROUP_MEMBERS = Math.min(Number(values['group-members']), USERS);
const SETTLE_SECONDS = Number(values['settle-seconds']);
const SAMPLE_WHILE_IDLE_MS = 30_000;
/** Entra adds group members in PATCHes of this many. */
const MEMBERS_PER_PATCH = 100;
const TARGET_MIB = 300;

const ROOT = path.resolve(import.meta.dirname, '..');
const MIB = 2 ** 20;
const NODE_OPTIONS = values['node-options'] ?? imageEnvironment().NODE_OPTIONS ?? '';
/** The image's settings; request log lines off, as in the other benchmarks (the start line is at info, and the harness waits for it). */
const SERVICE_ENV = { NODE_ENV: imageEnvironment().NODE_ENV!, LOG_LEVEL: 'info', REQUEST_LOG_LEVEL: 'http', ...(NODE_OPTIONS ? { NODE_OPTIONS } : {}) };
const SETTINGS = { accountDomains: ['rss.example'], locationMap: { Seattle: 'loc-sea' } };

interface Sample {
  step: string;
  /** Seconds since the first user was pushed. */
  seconds: number;
  rssMiB: number;
  peakRssMiB: number;
  anonMiB: number;
  fileMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
}

async function main(): Promise<void> {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  const service = await startTestService('sqlite', { LOG_LEVEL: 'warn' });
  let child: ServiceProcess | undefined;
  try {
    const registration = await service.registration('rss', { ...SETTINGS, syncMode: { kind: 'on-demand' } });
    const snapshotDir = values['heap-snapshot'] ? path.resolve(values['heap-snapshot']) : undefined;
    if (snapshotDir) mkdirSync(snapshotDir, { recursive: true });
    const snapshotArgs = snapshotDir ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`] : [];
    child = await startServiceProcess(service, SERVICE_ENV, { fromDist: true, nodeArgs: snapshotArgs });
    const running = child;
    const scim = scimAgent(service, registration.certificate, CONNECTIONS);
    const started = Date.now();
    const samples: Sample[] = [await sample(service, running, 'service started', started)];
    const userIds = await pushUsers(scim, running.scimUrl, async (done) => {
      if (done % EVERY === 0 || done === USERS) samples.push(await sample(service, running, `${done} users`, started));
    });
    await joinGroupJustInTime(service, scim, running.scimUrl, userIds.slice(0, GROUP_MEMBERS));
    samples.push(await sample(service, running, `just-in-time: ${GROUP_MEMBERS} members joined the voice group`, started));
    for (let idle = SAMPLE_WHILE_IDLE_MS; idle <= SETTLE_SECONDS * 1000; idle += SAMPLE_WHILE_IDLE_MS) {
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_WHILE_IDLE_MS));
      samples.push(await sample(service, running, `idle ${idle / 1000} s`, started));
    }
    const voiceUsers = (await service.admin.get('/registrations/rss/voice-users')).body as unknown[];
    console.log(`${renderTable(samples)}\nVoice users created by the group's just-in-time PATCHes: ${voiceUsers.length}.`);
    if (snapshotDir) console.log(`\nheap snapshot: ${await heapSnapshot(running, snapshotDir)}`);
  } finally {
    child?.child.kill('SIGTERM');
    await child?.exited;
    await service.stop();
  }
}

interface ScimAgent {
  send(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/** One keep-alive agent with the registration's client certificate: at most `connections` requests at a time. */
function scimAgent(service: TestService, certificate: { certificatePem: string; privateKeyPem: string }, connections: number): ScimAgent {
  const agent = new https.Agent({ ca: service.ca.certificatePem, cert: certificate.certificatePem, key: certificate.privateKeyPem, keepAlive: true, maxSockets: connections });
  return {
    send: (method, url, body) =>
      new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const headers = { accept: 'application/scim+json', ...(payload ? { 'content-type': 'application/scim+json' } : {}) };
        const request = https.request(url, { method, agent, headers }, (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
        });
        request.on('error', reject);
        request.end(payload);
      }),
  };
}

/** Entra's initial cycle for `USERS` users, `CONNECTIONS` at a time; `onCreated` sees the running count. */
async function pushUsers(scim: ScimAgent, scimUrl: string, onCreated: (done: number) => Promise<void>): Promise<string[]> {
  const ids: string[] = new Array(USERS);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let index = next++; index < USERS; index = next++) {
      const userName = `user${index}@rss.example`;
      const found = await scim.send('GET', `${scimUrl}/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
      if (found.status !== 200 || found.body.totalResults !== 0) throw new Error(`GET ${userName}: ${found.status} ${JSON.stringify(found.body)}`);
      const created = await scim.send('POST', `${scimUrl}/Users`, entraUser(userName, { addresses: [{ type: 'work', locality: 'Seattle' }] }));
      if (created.status !== 201) throw new Error(`POST ${userName}: ${created.status} ${JSON.stringify(created.body)}`);
      ids[index] = created.body.id;
      await onCreated(++done);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  return ids;
}

/**
 * The registration turns just-in-time and scoped to the group "Voice"; the members join 100 per
 * PATCH, one PATCH at a time, and each PATCH creates the voice users of the members it adds.
 */
async function joinGroupJustInTime(service: TestService, scim: ScimAgent, scimUrl: string, members: string[]): Promise<void> {
  const changed = await service.admin.patch('/registrations/rss', { syncMode: { kind: 'just-in-time' }, scope: { kind: 'groups', groups: [{ displayName: 'Voice' }] } });
  if (changed.status !== 200) throw new Error(`registration not changed: ${changed.status} ${JSON.stringify(changed.body)}`);
  const group = await scim.send('POST', `${scimUrl}/Groups`, entraGroup('Voice'));
  if (group.status !== 201) throw new Error(`POST /Groups: ${group.status} ${JSON.stringify(group.body)}`);
  for (let i = 0; i < members.length; i += MEMBERS_PER_PATCH) {
    const value = members.slice(i, i + MEMBERS_PER_PATCH).map((id) => ({ value: id }));
    const added = await scim.send('PATCH', `${scimUrl}/Groups/${group.body.id}`, patch({ op: 'add', path: 'members', value }));
    if (added.status !== 204 && added.status !== 200) throw new Error(`PATCH /Groups: ${added.status} ${JSON.stringify(added.body)}`);
  }
}

async function sample(service: TestService, child: ServiceProcess, step: string, started: number): Promise<Sample> {
  const status = readFileSync(`/proc/${child.child.pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  const metrics = await scrape(service, child);
  const mib = (bytes: number) => Math.round(bytes / MIB);
  const row = {
    step,
    seconds: Math.round((Date.now() - started) / 1000),
    rssMiB: mib(kib('VmRSS')),
    peakRssMiB: mib(kib('VmHWM')),
    anonMiB: mib(kib('RssAnon')),
    fileMiB: mib(kib('RssFile') + kib('RssShmem')),
    heapUsedMiB: mib(metrics.nodejs_heap_size_used_bytes ?? Number.NaN),
    heapTotalMiB: mib(metrics.nodejs_heap_size_total_bytes ?? Number.NaN),
    externalMiB: mib(metrics.nodejs_external_memory_bytes ?? Number.NaN),
  };
  // Progress while it runs (the table comes at the end).
  console.error(JSON.stringify(row));
  return row;
}

/** The service's own gauges (prom-client's default Node metrics) from its admin /metrics. */
async function scrape(service: TestService, child: ServiceProcess): Promise<Record<string, number>> {
  const text = await new Promise<string>((resolve, reject) => {
    const request = https.get(`${child.adminUrl}/metrics`, { ca: service.ca.certificatePem, headers: { authorization: `Bearer ${service.adminToken}` }, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`/metrics answered ${response.statusCode}: ${body}`))));
    });
    request.on('error', reject);
  });
  return Object.fromEntries(text.split('\n').flatMap((line) => {
    const gauge = /^(nodejs_\w+_bytes) (\S+)$/.exec(line);
    return gauge ? [[gauge[1]!, Number(gauge[2])]] : [];
  }));
}

/** Asks the service for a heap snapshot (`--diagnostic-dir` is `dir`) and waits until V8 has written it. */
async function heapSnapshot(child: ServiceProcess, dir: string): Promise<string> {
  child.child.kill('SIGUSR2');
  const deadline = Date.now() + 120_000;
  let size = -1;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const file = readdirSync(dir).find((name) => name.endsWith('.heapsnapshot'));
    // V8 streams the snapshot into the file: done once its size holds still.
    const now = file ? statSync(path.join(dir, file)).size : -1;
    if (file && now > 0 && now === size) return path.join(dir, file);
    if (Date.now() > deadline) throw new Error(`the service wrote no complete heap snapshot in ${dir} within 2 minutes`);
    size = now;
  }
}

function renderTable(samples: Sample[]): string {
  const loaded = samples.find((row) => row.step === `${USERS} users`)!;
  const last = samples.at(-1)!;
  const peak = Math.max(...samples.map((row) => row.peakRssMiB));
  const header = '| step | s | VmRSS MiB | VmHWM MiB | anon MiB | file+shmem MiB | V8 heap used / total MiB | external MiB |\n|---|---:|---:|---:|---:|---:|---:|---:|';
  const rows = samples.map((row) => `| ${row.step} | ${row.seconds} | ${row.rssMiB} | ${row.peakRssMiB} | ${row.anonMiB} | ${row.fileMiB} | ${row.heapUsedMiB} / ${row.heapTotalMiB} | ${row.externalMiB} |`);
  const verdict = (what: string, mib: number) => `${what} ${mib} MiB: ${mib < TARGET_MIB ? 'under' : 'OVER'} the ${TARGET_MIB} MiB target.`;
  const options = NODE_OPTIONS ? `NODE_OPTIONS=${NODE_OPTIONS}` : 'no NODE_OPTIONS';
  return [
    `# Service RSS (embedded store, auditing on, ${CONNECTIONS} connections, node ${process.version}, ${options})`,
    '',
    header,
    ...rows,
    '',
    verdict(`VmRSS right after ${USERS} users:`, loaded.rssMiB),
    verdict('Peak (VmHWM):', peak),
    verdict(`VmRSS after idling ${SETTLE_SECONDS} s:`, last.rssMiB),
  ].join('\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
