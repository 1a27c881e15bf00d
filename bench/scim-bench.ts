/**
 * SCIM throughput and latency over mutual TLS with keep-alive, on each store, as a fraction of the
 * ceiling (a bare `node:https` server answering one SCIM user, measured first in the same run).
 *   npx tsx bench/scim-bench.ts [--store sqlite|mongodb|both] [--users 10000] [--seconds 10]
 *       [--connections 50] [--big-groups 5000,10000]
 * Prints requests/s, share of the ceiling, mean, p50 and p99 latency (ms) per scenario. The main
 * scenarios run on an on-demand registration, as the issue's targets are stated; the just-in-time
 * ones say so in their name. The load generator runs in its own process on core 0, the service on
 * core 1 (bench/load.ts). The MongoDB store runs on whatever test/support/mongo-server.ts finds
 * (MONGODB_URI, mongod, or FerretDB here). The service's memory is measured apart, in a process of
 * its own: bench/rss.ts.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createServer } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { startTestService, type StoreKind, type TestService } from '../test/support/test-service.js';
import { startMongoServer } from '../test/support/mongo-server.js';
import type { Member } from '../src/directory/directory-port.js';
import { ENTRA_PROVISIONING_AUDIENCE } from '../src/auth/entra-jwt.js';
import { pinServerCore, runLoad, startCeiling, type LoadResult, type PlannedRequest } from './load.js';
import { getUser, patchBody, patchUser, pick, planRequests, seedUsers, userBody, type SeededUser } from './workload.js';

const TENANT = '4f0a9c1e-2b7d-4c3a-9e8f-0a1b2c3d4e5f';

interface LocalJwks {
  url: string;
  sign(): Promise<string>;
  close(): void;
}

/** A JWKS on 127.0.0.1 standing in for Entra's, so JWT verification is measured without the internet. */
async function startLocalJwks(): Promise<LocalJwks> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
  const server = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/keys`,
    sign: () =>
      new SignJWT({ tid: TENANT, appid: 'bench' })
        .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
        .setIssuer(`https://sts.windows.net/${TENANT}/`)
        .setAudience(ENTRA_PROVISIONING_AUDIENCE)
        .setExpirationTime('1h')
        .sign(privateKey),
    close: () => server.close(),
  };
}

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'both' },
    users: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '10' },
    'big-groups': { type: 'string', default: '5000,10000' },
    connections: { type: 'string', default: '50' },
  },
});
const USERS = Number(values.users);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const BIG_GROUPS = values['big-groups']!.split(',').filter(Boolean).map(Number);

interface Row extends LoadResult {
  store: string;
  scenario: string;
  /** requests/s as a share of the bare node:https ceiling measured in this run. */
  ofCeiling: string;
}

interface Tls {
  cert?: string;
  key?: string;
  ca: string;
}

let ceilingRequestsPerSecond = 0;

async function main(): Promise<void> {
  console.log(JSON.stringify({ pinning: pinServerCore(), node: process.version }));
  const kinds: StoreKind[] = values.store === 'both' ? ['sqlite', 'mongodb'] : [values.store as StoreKind];
  const mongo = kinds.includes('mongodb') ? await startMongoServer() : undefined;
  if (mongo) console.log(JSON.stringify({ mongodbServer: mongo.kind }));
  const jwks = await startLocalJwks();
  const rows: Row[] = [];
  try {
    for (const kind of kinds) {
      const mongoUri = () => `${mongo!.uri.replace(/\/[^/]*$/, '')}/bench${Date.now()}`;
      const service = await startTestService(kind, { LOG_LEVEL: 'warn', ENTRA_JWKS_URL: jwks.url }, mongoUri);
      try {
        rows.push(...(await benchStore(kind, service, jwks)));
      } finally {
        await service.stop();
      }
    }
  } finally {
    jwks.close();
    await mongo?.stop();
  }
  console.table(rows);
}

async function benchStore(kind: StoreKind, service: TestService, jwks: LocalJwks): Promise<Row[]> {
  // The issue's targets are for an on-demand registration (the directory only); what just-in-time adds is measured apart (justInTimeCost).
  const client = await service.registration('bench', { entraTenantId: TENANT, syncMode: { kind: 'on-demand' } });
  const tls: Tls = { cert: client.certificate.certificatePem, key: client.certificate.privateKeyPem, ca: service.ca.certificatePem };
  const rows = [await measureCeiling(kind, service, tls)];
  const users = await seedUsers(service, client.id, USERS);
  const run = (scenario: string, request: () => PlannedRequest, options: MeasureOptions = {}) => measure(kind, scenario, service.scimUrl, tls, request, options);
  rows.push(
    await run('GET /Users/{id}', getUser(users)),
    await run(`GET /Users?filter=userName eq (random of ${USERS})`, () => ({ method: 'GET', path: `/Users?filter=${encodeURIComponent(`userName eq "${pick(users).userName}"`)}` })),
    await run('POST /Users', () => ({ method: 'POST', path: '/Users', body: JSON.stringify(userBody('new-{{uuid}}@bench.example')) })),
    await run('PATCH /Users/{id} (displayName, active)', patchUser(users)),
  );
  rows.push(...(await authOverhead(kind, service, jwks, users)));
  for (const size of BIG_GROUPS) rows.push(...(await bigGroup(kind, service, tls, client.id, size)));
  for (const mode of ['on-demand', 'just-in-time'] as const) rows.push(...(await justInTimeCost(kind, service, mode)));
  return rows;
}

/** The bare node:https server on the same certificates and the same load: the run's 100 %. */
async function measureCeiling(kind: StoreKind, service: TestService, tls: Tls): Promise<Row> {
  const ceiling = await startCeiling({ cert: readFileSync(path.join(service.dir, 'server.pem'), 'utf8'), key: readFileSync(path.join(service.dir, 'server-key.pem'), 'utf8'), ca: service.ca.certificatePem });
  try {
    const result = await runLoad({ url: ceiling.url, tls, headers: {}, requests: [{ method: 'GET', path: '/Users/x' }], seconds: SECONDS, connections: CONNECTIONS });
    ceilingRequestsPerSecond = result.requestsPerSecond;
    return report(kind, 'ceiling: bare node:https + mTLS, one 600-byte user', result);
  } finally {
    await ceiling.close();
  }
}

/**
 * SYNC-1's price: the same PATCHes on an on-demand registration (directory only) and on a
 * just-in-time one (the voice portal changes before the response), one connection, so the
 * difference in p50 is the latency just-in-time adds. Users carry a mapped location, so every
 * PATCH really updates a voice user, and the group PATCH really creates or deletes 100.
 */
async function justInTimeCost(kind: StoreKind, service: TestService, mode: 'on-demand' | 'just-in-time'): Promise<Row[]> {
  const name = mode === 'on-demand' ? 'ondemand' : 'jit';
  const client = await service.registration(name, { accountDomains: ['bench.example'], syncMode: { kind: mode }, locationMap: { Seattle: 'loc-sea' }, scope: { kind: 'groups', groups: [{ displayName: 'Voice' }] } });
  const tls: Tls = { cert: client.certificate.certificatePem, key: client.certificate.privateKeyPem, ca: service.ca.certificatePem };
  const users = await seedUsers(service, client.id, USERS + 100, name);
  const members = users.slice(0, USERS);
  const groupId = await seedGroup(service, client.id, 'Voice', members);
  const seeded = await service.admin.post(`/registrations/${name}/reconcile`, {});
  console.log(JSON.stringify({ store: kind, registration: name, voiceUsersCreated: seeded.body.counts.create }));
  const oneAtATime = { seconds: Math.min(SECONDS, 5), connections: 1 };
  return [
    await measure(kind, `${mode}: PATCH /Users/{id} name.givenName`, service.scimUrl, tls, () => ({
      method: 'PATCH',
      path: `/Users/${pick(members).id}`,
      body: JSON.stringify(patchBody([{ op: 'Replace', path: 'name.givenName', value: `Given ${Math.random()}` }])),
    }), oneAtATime),
    await measure(kind, `${mode}: PATCH add/remove 100 members of the synced group of ${USERS}`, service.scimUrl, tls, addThenRemove(groupId, users.slice(USERS)), oneAtATime),
  ];
}

/** Alternates adding and removing the same 100 members, so the group keeps its size. */
function addThenRemove(groupId: string, spare: { id: string }[]): () => PlannedRequest {
  let round = 0;
  return () => {
    const op = round++ % 2 === 0 ? 'Add' : 'Remove';
    return { method: 'PATCH', path: `/Groups/${groupId}`, body: JSON.stringify(patchBody([{ op, path: 'members', value: spare.map((m) => ({ value: m.id })) }])) };
  };
}

async function seedGroup(service: TestService, registrationId: string, displayName: string, members: { id: string }[]): Promise<string> {
  const now = new Date().toISOString();
  const groupId = randomUUID();
  await service.store.groups.insert({ id: groupId, registrationId, displayName, version: 1, created: now, lastModified: now, resource: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName } });
  for (let i = 0, version = 1; i < members.length; i += 5000) {
    const batch = members.slice(i, i + 5000).map((m): Member => ({ value: m.id }));
    version = (await service.store.groups.update(registrationId, groupId, version, { members: [{ kind: 'add', members: batch }] })).record.version;
  }
  return groupId;
}

/** The same GET /Users/{id} with each credential kind: the difference is the authentication cost. */
async function authOverhead(kind: StoreKind, service: TestService, jwks: LocalJwks, users: SeededUser[]): Promise<Row[]> {
  const token = (await service.admin.post('/registrations/bench/tokens', {})).body.token as string;
  const tls: Tls = { ca: service.ca.certificatePem };
  const get = getUser(users);
  return [
    await measure(kind, 'auth: bearer secret token, GET /Users/{id}', service.scimUrl, tls, get, { headers: { authorization: `Bearer ${token}` } }),
    await measure(kind, 'auth: Entra JWT, GET /Users/{id}', service.scimUrl, tls, get, { headers: { authorization: `Bearer ${await jwks.sign()}` } }),
  ];
}

/** A group of `size` members: reading it without its members, and PATCHing 100 members in and out. */
async function bigGroup(kind: StoreKind, service: TestService, tls: Tls, registrationId: string, size: number): Promise<Row[]> {
  const members = await seedUsers(service, registrationId, size + 100, `g${size}`);
  const groupId = await seedGroup(service, registrationId, `Big ${size}`, members.slice(0, size));
  return [
    await measure(kind, `GET /Groups/{id}?excludedAttributes=members (${size} members)`, service.scimUrl, tls, () => ({ method: 'GET', path: `/Groups/${groupId}?excludedAttributes=members` })),
    await measure(kind, `PATCH add/remove 100 members, group of ${size}`, service.scimUrl, tls, addThenRemove(groupId, members.slice(size)), { seconds: Math.min(SECONDS, 5), connections: 1 }),
  ];
}

interface MeasureOptions {
  headers?: Record<string, string>;
  seconds?: number;
  connections?: number;
}

async function measure(store: string, scenario: string, url: string, tls: Tls, next: () => PlannedRequest, options: MeasureOptions = {}): Promise<Row> {
  const requests = planRequests(next);
  const result = await runLoad({ url, tls, headers: options.headers ?? {}, requests, seconds: options.seconds ?? SECONDS, connections: options.connections ?? CONNECTIONS });
  return report(store, scenario, result);
}

function report(store: string, scenario: string, result: LoadResult): Row {
  const ofCeiling = ceilingRequestsPerSecond > 0 ? `${((100 * result.requestsPerSecond) / ceilingRequestsPerSecond).toFixed(1)} %` : 'n/a';
  const row = { store, scenario, ...result, ofCeiling };
  console.log(JSON.stringify(row));
  return row;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
