import { createAuditTables } from './audit-log.js';
import type Database from 'better-sqlite3';

/**
 * The embedded store's schema as numbered migrations. The number applied is the file's
 * `PRAGMA user_version`; each migration runs once, in order, in one write transaction with the
 * version bump, so two processes opening the file at once migrate it once (the second waits for
 * the write lock, then finds the work done). A migration is never edited once released: a change
 * is a new number at the end.
 */
export interface SqliteMigration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

/** The milliseconds-since-epoch of SQLite's own clock: on one file, one machine, the database's clock. */
export const SQLITE_NOW_MS = `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`;

export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    // Databases made before numbered migrations are at user_version 0 with some or all of this
    // already in place: every statement is idempotent against any earlier shape.
    description: 'the schema of the releases before numbered migrations',
    up(db) {
      db.exec(`
        CREATE TABLE IF NOT EXISTS users (
          registration_id TEXT NOT NULL, id TEXT NOT NULL, user_name TEXT NOT NULL, user_name_lower TEXT NOT NULL,
          external_id TEXT, version INTEGER NOT NULL, created TEXT NOT NULL, last_modified TEXT NOT NULL, resource TEXT NOT NULL,
          PRIMARY KEY (registration_id, id), UNIQUE (registration_id, user_name_lower)
        );
        CREATE INDEX IF NOT EXISTS users_by_external_id ON users (registration_id, external_id);
        CREATE TABLE IF NOT EXISTS groups (
          registration_id TEXT NOT NULL, id TEXT NOT NULL, display_name TEXT NOT NULL, display_name_lower TEXT NOT NULL,
          external_id TEXT, version INTEGER NOT NULL, created TEXT NOT NULL, last_modified TEXT NOT NULL, resource TEXT NOT NULL,
          PRIMARY KEY (registration_id, id)
        );
        CREATE INDEX IF NOT EXISTS groups_by_display_name ON groups (registration_id, display_name_lower);
        CREATE INDEX IF NOT EXISTS groups_by_external_id ON groups (registration_id, external_id);
        CREATE TABLE IF NOT EXISTS memberships (
          registration_id TEXT NOT NULL, group_id TEXT NOT NULL, user_id TEXT NOT NULL, position INTEGER NOT NULL, display TEXT, type TEXT,
          PRIMARY KEY (registration_id, group_id, user_id)
        );
        -- Covering, so the planner prefers it to the primary key's (registration_id, …) prefix for a user's groups.
        DROP INDEX IF EXISTS memberships_by_user;
        CREATE INDEX IF NOT EXISTS memberships_of_user ON memberships (registration_id, user_id, group_id);
        CREATE INDEX IF NOT EXISTS memberships_in_order ON memberships (registration_id, group_id, position);
        CREATE TABLE IF NOT EXISTS registrations (id TEXT PRIMARY KEY, name_lower TEXT NOT NULL UNIQUE, version INTEGER NOT NULL, doc TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS credentials (key TEXT PRIMARY KEY, registration_id TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS credentials_by_registration ON credentials (registration_id);
        CREATE TABLE IF NOT EXISTS voice_users (
          registration_id TEXT NOT NULL, id TEXT NOT NULL, user_name_key TEXT NOT NULL, primary_email_key TEXT NOT NULL,
          extension_key TEXT NOT NULL, did_key TEXT NOT NULL, directory_user_id TEXT, version INTEGER NOT NULL, doc TEXT NOT NULL,
          PRIMARY KEY (registration_id, id),
          UNIQUE (registration_id, user_name_key), UNIQUE (registration_id, primary_email_key),
          UNIQUE (registration_id, extension_key), UNIQUE (registration_id, did_key)
        );
        CREATE INDEX IF NOT EXISTS voice_users_by_directory_user ON voice_users (registration_id, directory_user_id);
        CREATE TABLE IF NOT EXISTS voice_user_licenses (
          registration_id TEXT NOT NULL, license TEXT NOT NULL, voice_user_id TEXT NOT NULL,
          PRIMARY KEY (registration_id, license, voice_user_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS voice_user_licenses_by_user ON voice_user_licenses (registration_id, voice_user_id);
        CREATE TABLE IF NOT EXISTS retention (id TEXT PRIMARY KEY, registration_id TEXT NOT NULL, purge_after TEXT NOT NULL, doc TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS retention_due ON retention (purge_after);
        CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL);
      `);
      // DEL-5's retention links came as columns added on open; a database from before has none.
      if (!columnsOf(db, 'retention').includes('directory_user_id')) db.exec('ALTER TABLE retention ADD COLUMN directory_user_id TEXT; ALTER TABLE retention ADD COLUMN deleted_at TEXT;');
      db.exec('CREATE INDEX IF NOT EXISTS retention_by_directory_user ON retention (registration_id, directory_user_id, deleted_at)');
    },
  },
  {
    version: 2,
    description: 'leases note when they were taken; SYNC-5 seat counters decided in the database',
    up(db) {
      db.exec(`
        ALTER TABLE leases ADD COLUMN acquired_at INTEGER;
        CREATE TABLE seat_counters (
          registration_id TEXT NOT NULL, license TEXT NOT NULL,
          used INTEGER NOT NULL CHECK (used >= 0), version INTEGER NOT NULL, changed_at INTEGER NOT NULL,
          PRIMARY KEY (registration_id, license)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 3,
    description: 'console sessions and the sign-in throttle kept in the store, shared by every instance',
    up(db) {
      db.exec(`
        CREATE TABLE console_sessions (
          token_hash TEXT PRIMARY KEY, account TEXT NOT NULL, csrf_token TEXT NOT NULL,
          created_at INTEGER NOT NULL, last_seen INTEGER NOT NULL, expires_at INTEGER NOT NULL
        );
        CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
        CREATE TABLE login_failures (key_hash TEXT NOT NULL, at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
        CREATE INDEX login_failures_by_key ON login_failures (key_hash, at);
        CREATE INDEX login_failures_expiry ON login_failures (expires_at);
      `);
    },
  },
  {
    version: 4,
    // Builds between numbered migrations made these tables on open: idempotent against them.
    description: "users' lower-cased emails (case-insensitive email filters by index) and the TWO-1 write-back outbox",
    up(db) {
      const emailsExisted = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'user_emails'").get() !== undefined;
      db.exec(`
        CREATE TABLE IF NOT EXISTS user_emails (
          registration_id TEXT NOT NULL, user_id TEXT NOT NULL, email_lower TEXT NOT NULL,
          PRIMARY KEY (registration_id, user_id, email_lower)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS user_emails_by_email ON user_emails (email_lower, registration_id);
        CREATE TABLE IF NOT EXISTS writeback_outbox (
          id TEXT PRIMARY KEY, registration_id TEXT NOT NULL, directory_user_id TEXT NOT NULL, next_attempt_at TEXT NOT NULL, doc TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS writeback_outbox_in_order ON writeback_outbox (registration_id, id);
        CREATE INDEX IF NOT EXISTS writeback_outbox_by_user ON writeback_outbox (registration_id, directory_user_id, id);
      `);
      // Users written before the emails table: their emails are filled in once.
      if (!emailsExisted) {
        db.exec(`INSERT OR IGNORE INTO user_emails (registration_id, user_id, email_lower)
                 SELECT u.registration_id, u.id, lower(json_extract(e.value, '$.value')) FROM users u, json_each(u.resource, '$.emails') e
                 WHERE json_type(e.value, '$.value') = 'text'`);
      }
    },
  },
  {
    version: 5,
    // Earlier releases made these tables on a second connection at start-up: idempotent against them.
    description: "the audit trail and support accounts on the store's own connection",
    up: createAuditTables,
  },
];

/** Brings the file to the newest schema; returns the migrations it applied (none when another opener did). */
export function migrateSqlite(db: Database.Database, migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS): SqliteMigration[] {
  // IMMEDIATE takes the write lock before reading the version: a concurrent opener waits here.
  return db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    const pending = migrations.filter((migration) => migration.version > current);
    for (const migration of pending) migration.up(db);
    if (pending.length > 0) db.pragma(`user_version = ${pending.at(-1)!.version}`);
    return pending;
  }).immediate();
}

function columnsOf(db: Database.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((column) => column.name);
}
