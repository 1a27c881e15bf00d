/**
 * Full reconciliation of N directory users, then again after 10% changed, on each store.
 *   npx tsx bench/reconcile-bench.ts [--store sqlite|mongodb|both] [--users 100000]
 * Runs the reconcile service against the real store (no HTTP), and prints durations and counts.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openPersistence as openStore } from '../src/main.js';
import type { Store } from '../src/persistence/persistence.js';
import type { UserRecord } from '../src/directory/directory-port.js';
import { createReconcileService } from '../src/reconcile/reconcile-service.js';
import { createLicenseSeats } from '../src/portal/license-seats.js';
import { startMongoServer } from '../test/support/mongo-server.js';

const { values } = parseArgs({ options: { store: { type: 'string', default: 'both' }, users: { type: 'string', default: '100000' } } });
const USERS = Number(values.users);
const SETTINGS = { accountDomains: ['bench.example'], scope: { kind: 'all-assigned' as const }, locationSource: 'addresses[type eq "work"].locality', locationMap: { Seattle: 'loc-sea' }, recordingRetention: '1-year' as const,
  // Every voice user takes a counted seat, as in a real account, so the seat checks are measured too.
  licensing: { seats: { 'voice-standard': 1_000_000 }, assignOnCreate: ['voice-standard'] },
};

async function main(): Promise<void> {
  const kinds = values.store === 'both' ? ['sqlite', 'mongodb'] : [values.store!];
  for (const kind of kinds) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'reconcile-bench-'));
    const mongo = kind === 'mongodb' ? await startMongoServer() : undefined;
    const store = await openStore(mongo ? { kind: 'mongodb', uri: `${mongo.uri}reconcilebench` } : { kind: 'sqlite', file: path.join(dir, 'bench.db') });
    try {
      await benchStore(kind, store);
    } finally {
      await store.close();
      await mongo?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function benchStore(kind: string, store: Store): Promise<void> {
  const registrationId = randomUUID();
  const reconcile = createReconcileService({ store, registrations: { settingsOf: async () => SETTINGS }, seats: createLicenseSeats(store), parallelWrites: store.capabilities.parallelWrites });
  let started = Date.now();
  const users = await seed(store, registrationId);
  console.log(JSON.stringify({ store: kind, step: `seed ${USERS} directory users`, ms: Date.now() - started }));
  started = Date.now();
  const first = await reconcile.reconcileRegistration(registrationId, { trigger: 'on-demand', dryRun: false });
  console.log(JSON.stringify({ store: kind, step: 'first full reconcile', ms: Date.now() - started, counts: first.counts }));
  for (const user of users.filter((_, index) => index % 10 === 0)) {
    await store.users.replace({ ...user, resource: { ...user.resource, name: { givenName: 'Changed', familyName: 'User' } } }, user.version);
  }
  started = Date.now();
  const second = await reconcile.reconcileRegistration(registrationId, { trigger: 'on-demand', dryRun: false });
  console.log(JSON.stringify({ store: kind, step: 'full reconcile, 10% changed', ms: Date.now() - started, counts: second.counts }));
}

async function seed(store: Store, registrationId: string): Promise<UserRecord[]> {
  const now = new Date().toISOString();
  const users = Array.from({ length: USERS }, (_, i): UserRecord => ({
    id: randomUUID(),
    registrationId,
    userName: `user${i}@bench.example`,
    version: 1,
    created: now,
    lastModified: now,
    resource: { userName: `user${i}@bench.example`, active: true, name: { givenName: 'Bench', familyName: `User${i}` }, addresses: [{ type: 'work', locality: 'Seattle' }] },
  }));
  for (let i = 0; i < users.length; i += 500) await Promise.all(users.slice(i, i + 500).map((user) => store.users.insert(user)));
  return users;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
