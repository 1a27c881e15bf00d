import type Database from 'better-sqlite3';
import {
  NotFoundError,
  VersionConflictError,
  type LeaseCollection,
  type RetentionCollection,
  type RetentionRecord,
  type VoiceUserCollection,
  type VoiceUserRecord,
} from '../store.js';
import { sqliteSafely } from './sqlite-errors.js';
import { uniqueKeysOf, VOICE_USER_UNIQUE_FIELDS } from '../voice-user-keys.js';

/** Columns added after the first release; databases created before get them on open. */
function addRetentionLinkColumns(db: Database.Database): void {
  const columns = (db.prepare('PRAGMA table_info(retention)').all() as { name: string }[]).map((column) => column.name);
  if (!columns.includes('directory_user_id')) db.exec('ALTER TABLE retention ADD COLUMN directory_user_id TEXT; ALTER TABLE retention ADD COLUMN deleted_at TEXT;');
  db.exec('CREATE INDEX IF NOT EXISTS retention_by_directory_user ON retention (registration_id, directory_user_id, deleted_at)');
}

export function createVoicePortalTables(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS voice_users (
      registration_id TEXT NOT NULL,
      id TEXT NOT NULL,
      user_name_key TEXT NOT NULL,
      primary_email_key TEXT NOT NULL,
      extension_key TEXT NOT NULL,
      did_key TEXT NOT NULL,
      directory_user_id TEXT,
      version INTEGER NOT NULL,
      doc TEXT NOT NULL,
      PRIMARY KEY (registration_id, id),
      UNIQUE (registration_id, user_name_key),
      UNIQUE (registration_id, primary_email_key),
      UNIQUE (registration_id, extension_key),
      UNIQUE (registration_id, did_key)
    );
    CREATE INDEX IF NOT EXISTS voice_users_by_directory_user ON voice_users (registration_id, directory_user_id);
    CREATE TABLE IF NOT EXISTS voice_user_licenses (
      registration_id TEXT NOT NULL,
      license TEXT NOT NULL,
      voice_user_id TEXT NOT NULL,
      PRIMARY KEY (registration_id, license, voice_user_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS voice_user_licenses_by_user ON voice_user_licenses (registration_id, voice_user_id);
    CREATE TABLE IF NOT EXISTS retention (
      id TEXT PRIMARY KEY,
      registration_id TEXT NOT NULL,
      purge_after TEXT NOT NULL,
      doc TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS retention_due ON retention (purge_after);
    CREATE TABLE IF NOT EXISTS leases (
      name TEXT PRIMARY KEY,
      holder TEXT NOT NULL,
      expires_at INTEGER NOT NULL
    );
  `);
  addRetentionLinkColumns(db);
}

const uniqueFieldOf = (message: string) => VOICE_USER_UNIQUE_FIELDS.find(([, column]) => message.includes(`voice_users.${column}`))?.[0] ?? 'id';

export class SqliteVoiceUsers implements VoiceUserCollection {
  constructor(private readonly db: Database.Database) {}

  list(registrationId: string): Promise<VoiceUserRecord[]> {
    return sqliteSafely(() => (this.db.prepare('SELECT doc FROM voice_users WHERE registration_id = ?').all(registrationId) as { doc: string }[]).map((row) => JSON.parse(row.doc)));
  }

  get(registrationId: string, id: string): Promise<VoiceUserRecord | null> {
    return sqliteSafely(() => parse(this.db.prepare('SELECT doc FROM voice_users WHERE registration_id = ? AND id = ?').get(registrationId, id)));
  }

  findByDirectoryUsers(registrationId: string, directoryUserIds: readonly string[]): Promise<VoiceUserRecord[]> {
    return sqliteSafely(() =>
      (this.db.prepare('SELECT doc FROM voice_users WHERE registration_id = ? AND directory_user_id IN (SELECT value FROM json_each(?))').all(registrationId, JSON.stringify(directoryUserIds)) as { doc: string }[]).map((row) => JSON.parse(row.doc)),
    );
  }

  findByPrimaryEmail(registrationId: string, email: string): Promise<VoiceUserRecord | null> {
    return sqliteSafely(() => parse(this.db.prepare('SELECT doc FROM voice_users WHERE registration_id = ? AND primary_email_key = ?').get(registrationId, email.toLowerCase())));
  }

  insert(record: VoiceUserRecord): Promise<VoiceUserRecord> {
    return sqliteSafely(this.inTransaction(() => {
      const keys = uniqueKeysOf(record);
      this.db
        .prepare(
          `INSERT INTO voice_users (registration_id, id, user_name_key, primary_email_key, extension_key, did_key, directory_user_id, version, doc)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(record.registrationId, record.id, keys.userName, keys.primaryEmail, keys.extension, keys.did, record.directoryUserId ?? null, record.version, JSON.stringify(record));
      this.indexLicenses(record);
      return record;
    }), uniqueFieldOf);
  }

  replace(record: VoiceUserRecord, expectedVersion: number): Promise<VoiceUserRecord> {
    return sqliteSafely(this.inTransaction(() => {
      const next = { ...record, version: expectedVersion + 1 };
      const keys = uniqueKeysOf(next);
      const result = this.db
        .prepare(
          `UPDATE voice_users SET user_name_key = ?, primary_email_key = ?, extension_key = ?, did_key = ?, directory_user_id = ?, version = ?, doc = ?
           WHERE registration_id = ? AND id = ? AND version = ?`,
        )
        .run(keys.userName, keys.primaryEmail, keys.extension, keys.did, next.directoryUserId ?? null, next.version, JSON.stringify(next), record.registrationId, record.id, expectedVersion);
      if (result.changes === 0) {
        if (!this.db.prepare('SELECT 1 FROM voice_users WHERE registration_id = ? AND id = ?').get(record.registrationId, record.id)) throw new NotFoundError(`voice user ${record.id}`);
        throw new VersionConflictError(`voice user ${record.id} changed`);
      }
      this.unindexLicenses(record.registrationId, record.id);
      this.indexLicenses(next);
      return next;
    }), uniqueFieldOf);
  }

  delete(registrationId: string, id: string): Promise<boolean> {
    return sqliteSafely(this.inTransaction(() => {
      this.unindexLicenses(registrationId, id);
      return this.db.prepare('DELETE FROM voice_users WHERE registration_id = ? AND id = ?').run(registrationId, id).changes > 0;
    }));
  }

  deleteAll(registrationId: string): Promise<number> {
    return sqliteSafely(this.inTransaction(() => {
      this.db.prepare('DELETE FROM voice_user_licenses WHERE registration_id = ?').run(registrationId);
      return this.db.prepare('DELETE FROM voice_users WHERE registration_id = ?').run(registrationId).changes;
    }));
  }

  countHolding(registrationId: string, license: string): Promise<number> {
    return sqliteSafely(() => (this.db.prepare('SELECT count(*) AS n FROM voice_user_licenses WHERE registration_id = ? AND license = ?').get(registrationId, license) as { n: number }).n);
  }

  /** A voice user and its licence rows change together. */
  private inTransaction<T>(write: () => T): () => T {
    return this.db.transaction(write);
  }

  private indexLicenses(record: VoiceUserRecord): void {
    const insert = this.db.prepare('INSERT OR IGNORE INTO voice_user_licenses (registration_id, license, voice_user_id) VALUES (?, ?, ?)');
    for (const license of record.licenses) insert.run(record.registrationId, license, record.id);
  }

  private unindexLicenses(registrationId: string, voiceUserId: string): void {
    this.db.prepare('DELETE FROM voice_user_licenses WHERE registration_id = ? AND voice_user_id = ?').run(registrationId, voiceUserId);
  }
}

export class SqliteRetention implements RetentionCollection {
  constructor(private readonly db: Database.Database) {}

  add(record: RetentionRecord): Promise<void> {
    return sqliteSafely(
      () =>
        void this.db
          .prepare('INSERT OR IGNORE INTO retention (id, registration_id, purge_after, directory_user_id, deleted_at, doc) VALUES (?, ?, ?, ?, ?, ?)')
          .run(record.id, record.registrationId, record.purgeAfter, record.directoryUserId ?? null, record.deletedAt, JSON.stringify(record)),
    );
  }

  latestFor(registrationId: string, directoryUserId: string): Promise<RetentionRecord | null> {
    return sqliteSafely(() => {
      const row = this.db.prepare('SELECT doc FROM retention WHERE registration_id = ? AND directory_user_id = ? ORDER BY deleted_at DESC LIMIT 1').get(registrationId, directoryUserId) as { doc: string } | undefined;
      return row ? JSON.parse(row.doc) : null;
    });
  }

  due(now: string): Promise<RetentionRecord[]> {
    return sqliteSafely(() => (this.db.prepare('SELECT doc FROM retention WHERE purge_after <= ? ORDER BY purge_after').all(now) as { doc: string }[]).map((row) => JSON.parse(row.doc)));
  }

  remove(id: string): Promise<void> {
    return sqliteSafely(() => void this.db.prepare('DELETE FROM retention WHERE id = ?').run(id));
  }

  list(registrationId: string): Promise<RetentionRecord[]> {
    return sqliteSafely(() => (this.db.prepare('SELECT doc FROM retention WHERE registration_id = ? ORDER BY purge_after').all(registrationId) as { doc: string }[]).map((row) => JSON.parse(row.doc)));
  }
}

export class SqliteLeases implements LeaseCollection {
  constructor(private readonly db: Database.Database) {}

  acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return sqliteSafely(() => {
      const now = Date.now();
      const result = this.db
        .prepare(
          `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
           WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
        )
        .run(name, holder, now + ttlMs, now);
      return result.changes > 0;
    });
  }

  release(name: string, holder: string): Promise<void> {
    return sqliteSafely(() => void this.db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?').run(name, holder));
  }
}

function parse(row: unknown): VoiceUserRecord | null {
  return row ? (JSON.parse((row as { doc: string }).doc) as VoiceUserRecord) : null;
}
