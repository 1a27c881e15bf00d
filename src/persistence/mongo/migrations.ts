import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Connection } from 'mongoose';
import type { LeaseCollection } from '../../jobs/lease-port.js';

/**
 * The MongoDB store's schema changes (indexes) as numbered migrations. The number applied is kept
 * in the `migrations` collection (`{_id: 'schema', version, applied: [...]}`); one instance at a
 * time migrates, under the `schema-migration` lease (database clock), and the others wait for
 * the version to arrive. A migration is never edited once released: a change is a new number.
 */
export interface MongoMigration {
  version: number;
  description: string;
  up(connection: Connection): Promise<void>;
}

/** Creates the indexes the named models declare (idempotent: an index already there is left alone). */
const declaredIndexesOf = (models: readonly string[]) => async (connection: Connection) => {
  await Promise.all(models.map((name) => connection.model(name).createIndexes()));
};

export const MONGO_MIGRATIONS: readonly MongoMigration[] = [
  {
    version: 1,
    description: 'the indexes of the releases before numbered migrations',
    up: declaredIndexesOf(['User', 'Group', 'Membership', 'Registration', 'Credential', 'VoiceUser', 'Retention']),
  },
  { version: 2, description: 'SYNC-5 seat counters decided in the database', up: declaredIndexesOf(['SeatCounter']) },
  {
    version: 3,
    description: 'console sessions and the sign-in throttle kept in the store, removed by TTL indexes',
    up: async (connection) => {
      await declaredIndexesOf(['ConsoleSession', 'LoginFailure'])(connection);
      for (const collection of ['console_sessions', 'login_failures']) await expireAt(connection, collection);
    },
  },
  {
    version: 4,
    description: "users' lower-cased emails (case-insensitive email filters by index) and the TWO-1 write-back outbox",
    up: declaredIndexesOf(['User', 'WriteBackOutbox']),
  },
  // Earlier releases made these on a second connection at start-up; createIndexes is idempotent against them.
  { version: 5, description: 'the audit trail and support accounts on the store\'s own connection', up: declaredIndexesOf(['AuditEvent', 'SupportAccount']) },
];

/**
 * A TTL index on `expiresAt`. FerretDB v1 has none ("not implemented"): there the expired
 * documents are removed by the deleteExpired sweeps alone, which run on MongoDB too.
 */
async function expireAt(connection: Connection, collection: string): Promise<void> {
  try {
    await connection.db!.collection(collection).createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expire_at' });
  } catch (error) {
    if (!/not implemented/i.test((error as Error).message) && (error as { code?: number }).code !== NOT_IMPLEMENTED) throw error;
  }
}

const NOT_IMPLEMENTED = 238;

const LEASE = 'schema-migration';
const LEASE_MS = 60_000;
/** How long an instance waits for another one's migration before it gives up starting. */
const WAIT_FOR_OTHERS_MS = 120_000;
const POLL_MS = 200;

interface SchemaDocument {
  _id: string;
  version: number;
}

export async function appliedMongoVersion(connection: Connection): Promise<number> {
  return (await connection.db!.collection<SchemaDocument>('migrations').findOne({ _id: 'schema' }))?.version ?? 0;
}

/** Brings the database to the newest schema; returns the migrations this call applied. */
export async function migrateMongo(connection: Connection, leases: LeaseCollection, migrations: readonly MongoMigration[] = MONGO_MIGRATIONS): Promise<MongoMigration[]> {
  const target = migrations.at(-1)?.version ?? 0;
  const holder = randomUUID();
  const deadline = Date.now() + WAIT_FOR_OTHERS_MS;
  while ((await appliedMongoVersion(connection)) < target) {
    if (await leases.acquire(LEASE, holder, LEASE_MS)) {
      try {
        return await applyPending(connection, leases, holder, migrations);
      } finally {
        await leases.release(LEASE, holder);
      }
    }
    if (Date.now() > deadline) throw new Error(`another instance has held the schema migration lease for over ${WAIT_FOR_OTHERS_MS / 1000} s; the schema stays at ${await appliedMongoVersion(connection)}`);
    // Another instance is migrating: its progress is a document we can only poll for.
    await delay(POLL_MS);
  }
  return [];
}

async function applyPending(connection: Connection, leases: LeaseCollection, holder: string, migrations: readonly MongoMigration[]): Promise<MongoMigration[]> {
  const current = await appliedMongoVersion(connection);
  const pending = migrations.filter((migration) => migration.version > current);
  for (const migration of pending) {
    await migration.up(connection);
    await connection.db!.collection<SchemaDocument>('migrations').updateOne(
      { _id: 'schema' },
      { $set: { version: migration.version }, $push: { applied: { version: migration.version, description: migration.description, at: new Date() } } } as never,
      { upsert: true },
    );
    await leases.renew(LEASE, holder, LEASE_MS);
  }
  return pending;
}
