/**
 * Audit trail at scale, on each store: appends N events (default 1,000,000) in recorder-sized
 * batches, then times the searches support staff make; also measures what the audit middleware
 * adds to one request.
 *   npx tsx bench/audit-search.ts [--store sqlite|mongodb|both] [--events 1000000] [--overhead-seconds 5]  (0 skips it)
 * MongoDB: MONGODB_URI (a fresh database is made on that server and dropped afterwards).
 * Prints milliseconds (median of 3 runs per search).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import express from 'express';
import winston from 'winston';
import { completeAuditEvent, type AuditAction, type AuditEvent } from '../src/audit/audit-event.js';
import type { AuditLog, AuditQuery } from '../src/audit/audit-log.js';
import { openPersistence } from '../src/main.js';
import type { Store } from '../src/persistence/persistence.js';

type AuditStores = Pick<Store, 'auditLog' | 'supportAccounts' | 'close'>;
import { createAuditRecorder } from '../src/audit/recorder.js';
import { createRefusalLedger } from '../src/audit/refusal-ledger.js';
import { auditedAs, createScimAudit, scimAudit } from '../src/http/audit-context.js';
import { jsonBody } from '../src/http/json-body.js';
import { correlationId } from '../src/http/request-context.js';
import { readPatchOperations } from '../src/scim/patch.js';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'both' },
    events: { type: 'string', default: '1000000' },
    'overhead-seconds': { type: 'string', default: '5' },
  },
});
const EVENTS = Number(values.events);
const BATCH = 5000;
const REGISTRATIONS = 50;
const USERS_PER_REGISTRATION = 2000;
const NOW = Date.now();
const YEAR_MS = 365 * 86_400_000;
const ACTIONS: AuditAction[] = ['User.Patch', 'User.Patch', 'User.Patch', 'User.Create', 'User.Read', 'Group.Patch', 'User.List', 'VoiceUser.Update', 'VoiceUser.Error', 'User.Delete'];

/** Deterministic synthetic traffic: event i is at a time spread over the last year, newest last. */
function syntheticEvent(i: number): AuditEvent {
  const registration = i % REGISTRATIONS;
  const user = (i * 7919) % USERS_PER_REGISTRATION;
  const action = ACTIONS[i % ACTIONS.length]!;
  const failed = i % 17 === 0;
  return completeAuditEvent({
    time: new Date(NOW - YEAR_MS + Math.floor((i / EVENTS) * YEAR_MS)).toISOString(),
    registrationId: `reg-${registration}`,
    correlationId: `corr-${i}`,
    actor: { kind: 'client-certificate', subject: `CN=entra-${registration}`, fingerprint256: 'AB:CD' },
    action,
    resourceType: 'User',
    resourceId: `dir-${registration}-${user}`,
    subjectUser: { userName: `user${user}@tenant${registration}.example`, email: `user${user}@tenant${registration}.example`, directoryId: `dir-${registration}-${user}` },
    summary: `PATCH user user${user}@tenant${registration}.example: active → false`,
    outcome: failed ? { status: 400, success: false, scimType: 'invalidValue', detail: 'bad value' } : { status: 200, success: true },
    durationMs: 3.2,
    ...(action.startsWith('VoiceUser') ? { runId: `run-${Math.floor(i / 1000)}`, rule: 'MAP-6' } : {}),
  });
}

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = process.hrtime.bigint();
  const result = await work();
  return [Number(process.hrtime.bigint() - started) / 1e6, result];
}

async function fill(log: AuditLog): Promise<number> {
  const [ms] = await timed(async () => {
    for (let start = 0; start < EVENTS; start += BATCH) {
      await log.append(Array.from({ length: Math.min(BATCH, EVENTS - start) }, (_, k) => syntheticEvent(start + k)));
      if ((start / BATCH) % 20 === 0) process.stderr.write(`\r  appended ${start + BATCH} / ${EVENTS}`);
    }
  });
  process.stderr.write('\n');
  return ms;
}

const SEARCHES: [string, AuditQuery][] = [
  ['newest 50, all registrations', {}],
  ['newest 50 of one registration', { registrationIds: ['reg-7'] }],
  ['user prefix in one registration', { registrationIds: ['reg-7'], user: 'user12' }],
  ['exact user, all registrations', { user: syntheticEvent(Math.floor(EVENTS / 3)).subjectUser!.userName! }],
  ['registration + last 7 days + failures', { registrationIds: ['reg-7'], since: new Date(NOW - 7 * 86_400_000).toISOString(), outcome: 'failure' }],
  ['one action, last 30 days', { actions: ['VoiceUser.Error'], since: new Date(NOW - 30 * 86_400_000).toISOString() }],
  ['correlation id', { correlationId: `corr-${Math.floor(EVENTS / 2)}` }],
  ['reconcile run', { runId: `run-${Math.floor(EVENTS / 2000)}` }],
];

async function median(work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < 3; run++) times.push((await timed(work))[0]);
  return times.sort((a, b) => a - b)[1]!;
}

async function deepPage(log: AuditLog, query: AuditQuery, pages: number): Promise<void> {
  let cursor: string | undefined;
  for (let page = 0; page < pages; page++) cursor = (await log.search({ ...query, cursor })).nextCursor;
}

async function measureSearches(kind: string, stores: AuditStores): Promise<void> {
  const appendMs = await fill(stores.auditLog);
  console.log(`${kind}: appended ${EVENTS} events in ${(appendMs / 1000).toFixed(1)} s (${Math.round(EVENTS / (appendMs / 1000))} events/s, batches of ${BATCH})`);
  for (const [name, query] of SEARCHES) {
    const [, page] = await timed(() => stores.auditLog.search(query));
    console.log(`${kind}: ${name.padEnd(40)} ${(await median(() => stores.auditLog.search(query))).toFixed(1).padStart(8)} ms  (${page.events.length} events)`);
  }
  const [pagingMs] = await timed(() => deepPage(stores.auditLog, { registrationIds: ['reg-7'] }, 10));
  console.log(`${kind}: ${'10 pages of one registration, per page'.padEnd(40)} ${(pagingMs / 10).toFixed(1).padStart(8)} ms`);
}

async function withStore(kind: 'sqlite' | 'mongodb', work: (stores: AuditStores) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'audit-bench-'));
  const mongoUri = process.env.MONGODB_URI ? Object.assign(new URL(process.env.MONGODB_URI), { pathname: `/auditbench${randomBytes(4).toString('hex')}` }).toString() : undefined;
  if (kind === 'mongodb' && !mongoUri) throw new Error('Set MONGODB_URI to measure the MongoDB store');
  const stores: AuditStores = await openPersistence(kind === 'mongodb' ? { kind, uri: mongoUri!, writeMode: 'auto' } : { kind, file: path.join(dir, 'audit.db') });
  try {
    await work(stores);
  } finally {
    if (kind === 'mongodb') {
      const { default: mongoose } = await import('mongoose');
      const connection = await mongoose.createConnection(mongoUri!).asPromise();
      await connection.dropDatabase();
      await connection.close();
    }
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same tiny SCIM-shaped app without auditing, with auditing into a log that stores nothing
 * (the middleware and recorder alone), and with auditing into the store, each loaded for a few
 * seconds on 127.0.0.1.
 */
async function measureOverhead(stores: AuditStores, seconds: number): Promise<void> {
  const logger = winston.createLogger({ silent: true });
  const discard: AuditLog = { append: async () => undefined, search: async () => ({ events: [] }), get: async () => null, purgeOlderThan: async () => 0 };
  const variants: [string, AuditLog | undefined][] = [['no audit', undefined], ['audit, discarded', discard], ['audit, stored', stores.auditLog]];
  const body = JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: false }, { op: 'Add', path: 'title', value: 'Engineer' }] });
  for (const [name, log] of [...variants, ...variants]) {
    const recorder = log ? createAuditRecorder({ log, logger }) : undefined;
    const audit = recorder && createScimAudit({ recorder, refusals: createRefusalLedger({ recorder }), logger });
    const server = scimShapedApp(audit?.scimRequests).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2/Users/u-1`;
    const result = await autocannon({ url, method: 'PATCH', body, headers: { 'content-type': 'application/scim+json' }, connections: 8, duration: seconds });
    await new Promise((resolve) => server.close(resolve));
    await recorder?.close();
    console.log(`overhead: ${name.padEnd(17)} ${Math.round(result.requests.average)} req/s, mean ${result.latency.average.toFixed(3)} ms, p99 ${result.latency.p99} ms`);
  }
}

/** Tells the audit context what the SCIM router's PATCH handler tells it: the route, the caller, the operations, the user written. */
function scimShapedApp(audit?: express.RequestHandler): express.Express {
  const app = express();
  app.use(correlationId);
  if (audit) app.use(audit);
  app.use((_req, res, next) => {
    scimAudit(res).authenticated({ registration: { id: 'reg-1' }, caller: { method: 'client-certificate', subject: 'CN=entra' } });
    next();
  });
  app.patch('/scim/v2/Users/:id', auditedAs('User.Patch', 'User'), jsonBody({ limit: '1mb', type: () => true }), (req, res) => {
    scimAudit(res).patched(readPatchOperations(req.body));
    scimAudit(res).wrote({ id: req.params.id, userName: 'jane@contoso.example', emails: [{ value: 'jane@contoso.example', primary: true }] });
    res.status(204).end();
  });
  return app;
}

const kinds = values.store === 'both' ? (['sqlite', 'mongodb'] as const) : [values.store as 'sqlite' | 'mongodb'];
const overheadSeconds = Number(values['overhead-seconds']);
if (overheadSeconds > 0) await withStore('sqlite', (stores) => measureOverhead(stores, overheadSeconds));
for (const kind of kinds) await withStore(kind, (stores) => measureSearches(kind, stores));
