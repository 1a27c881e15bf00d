/**
 * SCIM throughput and latency over mutual TLS with keep-alive, on each store.
 *   npx tsx bench/scim-bench.ts [--store sqlite|mongodb|both] [--users 10000] [--seconds 10] [--big-groups 10000,100000]
 * Prints requests/s, mean, p50 and p99 latency (ms) per scenario. The MongoDB store runs on whatever
 * test/support/mongo-server.ts finds (MONGODB_URI, mongod, or FerretDB here).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startTestService, type StoreKind, type TestService } from '../test/support/test-service.js';
import { startMongoServer } from '../test/support/mongo-server.js';
import type { Member, UserRecord } from '../src/store/store.js';
import { createServer } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { ENTRA_PROVISIONING_AUDIENCE } from '../src/auth/entra-jwt.js';

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
    'big-groups': { type: 'string', default: '10000,100000' },
    connections: { type: 'string', default: '16' },
  },
});
const USERS = Number(values.users);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const BIG_GROUPS = values['big-groups']!.split(',').filter(Boolean).map(Number);

interface Row {
  store: string;
  scenario: string;
  requestsPerSecond: number;
  mean: number;
  p50: number;
  p99: number;
  errors: number;
}

async function main(): Promise<void> {
  const kinds: StoreKind[] = values.store === 'both' ? ['sqlite', 'mongodb'] : [values.store as StoreKind];
  const mongo = kinds.includes('mongodb') ? await startMongoServer() : undefined;
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
  const client = await service.registration('bench', { entraTenantId: TENANT });
  const userNames = await seedUsers(service, client.id, USERS);
  const ids = userNames.map((u) => u.id);
  const tls = { cert: client.certificate.certificatePem, key: client.certificate.privateKeyPem, ca: service.ca.certificatePem };
  const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]!;
  const run = (scenario: string, request: () => { method: string; path: string; body?: string }, extraHeaders: Record<string, string> = {}) =>
    measure(kind, scenario, service.scimUrl, tls, request, extraHeaders);

  const rows = [
    await run('GET /Users?filter=userName eq (random of 10k)', () => ({ method: 'GET', path: `/Users?filter=${encodeURIComponent(`userName eq "${pick(userNames).userName}"`)}` })),
    await run('GET /Users/{id}', () => ({ method: 'GET', path: `/Users/${pick(ids)}` })),
    await run('POST /Users', () => ({ method: 'POST', path: '/Users', body: JSON.stringify(userBody(`new-${randomUUID()}@bench.example`)) })),
    await run('PATCH /Users/{id} (displayName, active)', () => ({
      method: 'PATCH',
      path: `/Users/${pick(ids)}`,
      body: JSON.stringify(patchBody([{ op: 'Replace', path: 'displayName', value: `Name ${Math.random()}` }, { op: 'Replace', path: 'active', value: Math.random() < 0.5 ? 'True' : 'False' }])),
    })),
  ];
  rows.push(...(await authOverhead(kind, service, jwks, ids)));
  for (const size of BIG_GROUPS) rows.push(await bigGroupPatch(kind, service, tls, client.id, size));
  for (const mode of ['on-demand', 'just-in-time'] as const) rows.push(...(await justInTimeCost(kind, service, mode)));
  return rows;
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
  const tls = { cert: client.certificate.certificatePem, key: client.certificate.privateKeyPem, ca: service.ca.certificatePem };
  const users = await seedUsers(service, client.id, USERS + 100, name);
  const members = users.slice(0, USERS);
  const groupId = await seedGroup(service, client.id, 'Voice', members);
  const seeded = await service.admin.post(`/registrations/${name}/reconcile`, {});
  console.log(JSON.stringify({ store: kind, registration: name, voiceUsersCreated: seeded.body.counts.create }));
  const pick = () => members[Math.floor(Math.random() * members.length)]!.id;
  const spare = users.slice(USERS);
  let round = 0;
  return [
    await measure(kind, `${mode}: PATCH /Users/{id} name.givenName`, service.scimUrl, tls, () => ({
      method: 'PATCH',
      path: `/Users/${pick()}`,
      body: JSON.stringify(patchBody([{ op: 'Replace', path: 'name.givenName', value: `Given ${Math.random()}` }])),
    }), {}, Math.min(SECONDS, 5), 1),
    await measure(kind, `${mode}: PATCH add/remove 100 members of the synced group of ${USERS}`, service.scimUrl, tls, () => {
      const op = round++ % 2 === 0 ? 'Add' : 'Remove';
      return { method: 'PATCH', path: `/Groups/${groupId}`, body: JSON.stringify(patchBody([{ op, path: 'members', value: spare.map((m) => ({ value: m.id })) }])) };
    }, {}, Math.min(SECONDS, 5), 1),
  ];
}

async function seedGroup(service: TestService, registrationId: string, displayName: string, members: { id: string }[]): Promise<string> {
  const now = new Date().toISOString();
  const groupId = randomUUID();
  await service.store.groups.insert({ id: groupId, registrationId, displayName, version: 1, created: now, lastModified: now, resource: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName } });
  for (let i = 0; i < members.length; i += 5000) {
    await service.store.groups.addMembers(registrationId, groupId, members.slice(i, i + 5000).map((m): Member => ({ value: m.id })));
  }
  return groupId;
}

/** The same GET /Users/{id} with each credential kind: the difference is the authentication cost. */
async function authOverhead(kind: StoreKind, service: TestService, jwks: LocalJwks, ids: string[]): Promise<Row[]> {
  const token = (await service.admin.post('/registrations/bench/tokens', {})).body.token as string;
  const tls = { ca: service.ca.certificatePem };
  const path = () => ({ method: 'GET', path: `/Users/${ids[Math.floor(Math.random() * ids.length)]}` });
  const rows = [await measure(kind, 'auth: bearer secret token, GET /Users/{id}', service.scimUrl, tls, path, { authorization: `Bearer ${token}` })];
  rows.push(await measure(kind, 'auth: Entra JWT, GET /Users/{id}', service.scimUrl, tls, path, { authorization: `Bearer ${await jwks.sign()}` }));
  return rows;
}

async function bigGroupPatch(kind: StoreKind, service: TestService, tls: object, registrationId: string, size: number): Promise<Row> {
  const members = await seedUsers(service, registrationId, size + 100, `g${size}`);
  const groupId = await seedGroup(service, registrationId, `Big ${size}`, members.slice(0, size));
  const spare = members.slice(size);
  let round = 0;
  return measure(kind, `PATCH add 100 members to a group of ${size}`, service.scimUrl, tls, () => {
    // Alternate add and remove of the same 100 so the group stays at its size.
    const op = round++ % 2 === 0 ? 'Add' : 'Remove';
    return { method: 'PATCH', path: `/Groups/${groupId}`, body: JSON.stringify(patchBody([{ op, path: 'members', value: spare.map((m) => ({ value: m.id })) }])) };
  }, {}, Math.min(SECONDS, 5), 1);
}

async function seedUsers(service: TestService, registrationId: string, count: number, prefix = 'u'): Promise<{ id: string; userName: string }[]> {
  const seeded: { id: string; userName: string }[] = [];
  const now = new Date().toISOString();
  for (let i = 0; i < count; i++) {
    const userName = `${prefix}${i}@bench.example`;
    const record: UserRecord = { id: randomUUID(), registrationId, userName, version: 1, created: now, lastModified: now, resource: userBody(userName) };
    await service.store.users.insert(record);
    seeded.push({ id: record.id, userName });
  }
  return seeded;
}

function userBody(userName: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    active: true,
    displayName: userName.split('@')[0]!,
    emails: [{ type: 'work', primary: true, value: userName }],
    addresses: [{ type: 'work', locality: 'Seattle' }],
  };
}

function patchBody(Operations: object[]) {
  return { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations };
}

async function measure(
  store: string,
  scenario: string,
  baseUrl: string,
  tlsOptions: object,
  next: () => { method: string; path: string; body?: string },
  headers: Record<string, string> = {},
  seconds = SECONDS,
  connections = CONNECTIONS,
): Promise<Row> {
  const result = await autocannon({
    url: baseUrl,
    duration: seconds,
    connections,
    tlsOptions,
    headers: { 'content-type': 'application/scim+json', ...headers },
    requests: [
      {
        setupRequest: (request: { path: string; method: string; body?: string }) => {
          const { method, path, body } = next();
          return { ...request, method, path: new URL(baseUrl).pathname + path, body };
        },
      },
    ],
  } as autocannon.Options);
  const row = { store, scenario, requestsPerSecond: Math.round(result.requests.average), mean: Number(result.latency.average.toFixed(2)), p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
  console.log(JSON.stringify(row));
  return row;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
