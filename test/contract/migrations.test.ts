import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import mongoose from 'mongoose';
import { afterAll, describe, expect, it } from 'vitest';
import { MongoStore } from '../../src/persistence/mongo/mongo-store.js';
import { chooseWriteMode } from '../../src/persistence/mongo/conditional-writes.js';
import { appliedMongoVersion, MONGO_MIGRATIONS } from '../../src/persistence/mongo/migrations.js';
import { openSqliteStore } from '../../src/persistence/sqlite/sqlite-store.js';
import { SQLITE_MIGRATIONS } from '../../src/persistence/sqlite/migrations.js';
import { mongoUriForTest } from '../support/mongo-uri.js';

const NEWEST_SQLITE = SQLITE_MIGRATIONS.at(-1)!.version;
const NEWEST_MONGO = MONGO_MIGRATIONS.at(-1)!.version;

describe('numbered migrations, SQLite', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scim-migrations-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a database made before numbered migrations opens, is migrated to the newest number and keeps its data', async () => {
    const file = path.join(dir, 'old.db');
    const old = new Database(file);
    old.exec(readFileSync(new URL('./fixtures/sqlite-before-migrations.sql', import.meta.url), 'utf8'));
    old.close();
    const store = await openSqliteStore(file);
    expect(store.migrationsApplied).toEqual(SQLITE_MIGRATIONS.map((migration) => migration.version));
    expect(store.db.pragma('user_version', { simple: true })).toBe(NEWEST_SQLITE);
    expect((await store.users.get('reg-old', 'u-1'))?.userName).toBe('Ada');
    expect((await store.retention.list('reg-old')).map((record) => record.id)).toEqual(['ret-old']);
    // The old expired lease is taken over; seat counters work on the migrated file.
    expect(await store.leases.acquire('recordings-purge', 'new-instance', 60_000)).toBe(true);
    expect(await store.seatCounters.take('reg-old', 'voice-pro', 1, async () => 0)).toBe(true);
    const indexes = (store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]).map((row) => row.name);
    expect(indexes).toEqual(expect.arrayContaining(['memberships_of_user', 'retention_by_directory_user']));
    expect(indexes).not.toContain('memberships_by_user');
    await store.close();
    const again = await openSqliteStore(file);
    expect(again.migrationsApplied).toEqual([]);
    await again.close();
  });

  it('two processes opening a new file at once migrate it once', async () => {
    const file = path.join(dir, 'race.db');
    const openOnce = () => promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/support/open-store-once.ts', file]).then(({ stdout }) => JSON.parse(stdout).applied as number[]);
    const [first, second] = await Promise.all([openOnce(), openOnce()]);
    expect([...first, ...second]).toEqual(SQLITE_MIGRATIONS.map((migration) => migration.version));
    const db = new Database(file);
    expect(db.pragma('user_version', { simple: true })).toBe(NEWEST_SQLITE);
    db.close();
  });
});

describe('numbered migrations, MongoDB', () => {
  const connections: mongoose.Connection[] = [];
  afterAll(() => Promise.all(connections.map((connection) => connection.close())));
  const connect = async (uri: string) => {
    const connection = await mongoose.createConnection(uri, { autoIndex: false }).asPromise();
    connections.push(connection);
    return new MongoStore(connection, await chooseWriteMode(connection.db!, 'auto'));
  };

  it('a database made before numbered migrations opens, gets every index and keeps its data', async () => {
    const uri = mongoUriForTest();
    const seed = await mongoose.createConnection(uri).asPromise();
    connections.push(seed);
    await seed.db!.collection('scim_users').insertOne({ registrationId: 'reg-old', id: 'u-1', userName: 'Ada', userNameLower: 'ada', version: 3, created: 'c', lastModified: 'm', resource: { userName: 'Ada' } });
    await seed.db!.collection('leases').insertOne({ _id: 'recordings-purge' as never, holder: 'old-instance', expiresAt: 0 });
    const store = await connect(uri);
    expect(await store.init()).toEqual(MONGO_MIGRATIONS.map((migration) => migration.version));
    expect(await appliedMongoVersion(store.connection)).toBe(NEWEST_MONGO);
    expect((await store.users.get('reg-old', 'u-1'))?.userName).toBe('Ada');
    const userIndexes = (await seed.db!.collection('scim_users').indexes()).map((index) => JSON.stringify(index.key));
    expect(userIndexes).toContain(JSON.stringify({ registrationId: 1, userNameLower: 1 }));
    expect((await seed.db!.collection('seat_counters').indexes()).map((index) => JSON.stringify(index.key))).toContain(JSON.stringify({ registrationId: 1 }));
    expect(await store.leases.acquire('recordings-purge', 'new-instance', 60_000)).toBe(true);
    expect(await store.init()).toEqual([]);
  });

  it('two instances starting at once on a new database migrate it once', async () => {
    const uri = mongoUriForTest();
    const [first, second] = await Promise.all([connect(uri), connect(uri)]);
    const [a, b] = await Promise.all([first.init(), second.init()]);
    expect([...a, ...b].sort()).toEqual(MONGO_MIGRATIONS.map((migration) => migration.version));
    expect(await appliedMongoVersion(first.connection)).toBe(NEWEST_MONGO);
    const history = await first.connection.db!.collection('migrations').findOne({ _id: 'schema' as never });
    expect((history!.applied as { version: number }[]).map((entry) => entry.version)).toEqual(MONGO_MIGRATIONS.map((migration) => migration.version));
  });
});
