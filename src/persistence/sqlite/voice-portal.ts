import type { SqliteConnection } from './connection.js';
import { notFound, versionConflict } from '../../kernel/store-errors.js';
import { type LeaseCollection, type LeaseHolder } from '../../jobs/lease-port.js';
import { type SeatCounter, type SeatCounterCollection, type RetentionCollection, type RetentionRecord, type VoiceUserCollection, type VoiceUserRecord } from '../../portal/portal-port.js';
import { sqliteSafely } from './sqlite-errors.js';
import { uniqueKeysOf, VOICE_USER_UNIQUE_FIELDS } from '../voice-user-keys.js';
import { SQLITE_NOW_MS } from './migrations.js';

const uniqueFieldOf = (message: string) => VOICE_USER_UNIQUE_FIELDS.find(([, column]) => message.includes(`voice_users.${column}`))?.[0] ?? 'id';

export class SqliteVoiceUsers implements VoiceUserCollection {
  constructor(private readonly db: SqliteConnection) {}

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

  findByPrimaryEmails(registrationId: string, emails: readonly string[]): Promise<VoiceUserRecord[]> {
    const keys = JSON.stringify(emails.map((email) => email.toLowerCase()));
    return sqliteSafely(() => (this.db.prepare('SELECT doc FROM voice_users WHERE registration_id = ? AND primary_email_key IN (SELECT value FROM json_each(?))').all(registrationId, keys) as { doc: string }[]).map((row) => JSON.parse(row.doc)));
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
        if (!this.db.prepare('SELECT 1 FROM voice_users WHERE registration_id = ? AND id = ?').get(record.registrationId, record.id)) throw notFound(`voice user ${record.id}`);
        throw versionConflict(`voice user ${record.id}`);
      }
      const lost = this.licensesOf(record.registrationId, record.id).filter((license) => !next.licenses.includes(license));
      this.unindexLicenses(record.registrationId, record.id);
      this.indexLicenses(next);
      giveBackSeats(this.db, record.registrationId, lost);
      return next;
    }), uniqueFieldOf);
  }

  delete(registrationId: string, id: string, { keepSeats = false } = {}): Promise<boolean> {
    return sqliteSafely(this.inTransaction(() => {
      if (!keepSeats) giveBackSeats(this.db, registrationId, this.licensesOf(registrationId, id));
      this.unindexLicenses(registrationId, id);
      return this.db.prepare('DELETE FROM voice_users WHERE registration_id = ? AND id = ?').run(registrationId, id).changes > 0;
    }));
  }

  deleteAll(registrationId: string): Promise<number> {
    return sqliteSafely(this.inTransaction(() => {
      this.db.prepare('DELETE FROM voice_user_licenses WHERE registration_id = ?').run(registrationId);
      this.db.prepare('DELETE FROM seat_counters WHERE registration_id = ?').run(registrationId);
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

  private licensesOf(registrationId: string, voiceUserId: string): string[] {
    return (this.db.prepare('SELECT license FROM voice_user_licenses WHERE registration_id = ? AND voice_user_id = ?').all(registrationId, voiceUserId) as { license: string }[]).map((row) => row.license);
  }

  private unindexLicenses(registrationId: string, voiceUserId: string): void {
    this.db.prepare('DELETE FROM voice_user_licenses WHERE registration_id = ? AND voice_user_id = ?').run(registrationId, voiceUserId);
  }
}

export class SqliteRetention implements RetentionCollection {
  constructor(private readonly db: SqliteConnection) {}

  add(record: RetentionRecord): Promise<void> {
    return sqliteSafely(
      () =>
        void this.db
          .prepare('INSERT OR IGNORE INTO retention (id, registration_id, purge_after, directory_user_id, deleted_at, doc) VALUES (?, ?, ?, ?, ?, ?)')
          .run(record.id, record.registrationId, record.purgeAfter, record.directoryUserId ?? null, record.deletedAt, JSON.stringify(record)),
    );
  }

  /** SQLite's bare-column rule: with MAX(), `doc` comes from the row holding the maximum. */
  latestForEach(registrationId: string, directoryUserIds: readonly string[]): Promise<RetentionRecord[]> {
    return sqliteSafely(() =>
      (this.db
        .prepare('SELECT doc, MAX(deleted_at) FROM retention WHERE registration_id = ? AND directory_user_id IN (SELECT value FROM json_each(?)) GROUP BY directory_user_id')
        .all(registrationId, JSON.stringify(directoryUserIds)) as { doc: string }[]).map((row) => JSON.parse(row.doc)),
    );
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

/** Leases in SQLite's clock: every process on the file shares the machine, so it is the database's clock. */
export class SqliteLeases implements LeaseCollection {
  constructor(private readonly db: SqliteConnection) {}

  acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return sqliteSafely(() => {
      const result = this.db
        .prepare(
          `INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ${SQLITE_NOW_MS}, ${SQLITE_NOW_MS} + ?)
           ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
             acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END
           WHERE leases.holder = excluded.holder OR leases.expires_at <= ${SQLITE_NOW_MS}`,
        )
        .run(name, holder, ttlMs);
      return result.changes > 0;
    });
  }

  renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return sqliteSafely(() => this.db.prepare(`UPDATE leases SET expires_at = ${SQLITE_NOW_MS} + ? WHERE name = ? AND holder = ?`).run(ttlMs, name, holder).changes > 0);
  }

  release(name: string, holder: string): Promise<void> {
    return sqliteSafely(() => void this.db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?').run(name, holder));
  }

  current(name: string): Promise<LeaseHolder | null> {
    return sqliteSafely(() => {
      const row = this.db.prepare(`SELECT holder, acquired_at, expires_at FROM leases WHERE name = ? AND expires_at > ${SQLITE_NOW_MS}`).get(name) as
        | { holder: string; acquired_at: number | null; expires_at: number }
        | undefined;
      return row ? { holder: row.holder, acquiredAt: new Date(row.acquired_at ?? row.expires_at).toISOString(), expiresAt: new Date(row.expires_at).toISOString() } : null;
    });
  }
}

/** SYNC-5 counters: `used < seats` is checked by the UPDATE itself, which SQLite runs under the file's write lock. */
export class SqliteSeatCounters implements SeatCounterCollection {
  constructor(private readonly db: SqliteConnection) {}

  async take(registrationId: string, license: string, seats: number, initial: () => Promise<number>): Promise<boolean> {
    // Twice at most: a counter forgotten between the two statements is counted again once.
    for (let round = 0; round < 2; round++) {
      if (!(await this.used(registrationId, license))) await this.create(registrationId, license, await initial());
      const taken = await sqliteSafely(
        () =>
          this.db
            .prepare(`UPDATE seat_counters SET used = used + 1, version = version + 1, changed_at = ${SQLITE_NOW_MS} WHERE registration_id = ? AND license = ? AND used < ?`)
            .run(registrationId, license, seats).changes > 0,
      );
      if (taken || (await this.used(registrationId, license))) return taken;
    }
    return false;
  }

  giveBack(registrationId: string, license: string): Promise<void> {
    return sqliteSafely(() => giveBackSeats(this.db, registrationId, [license]));
  }

  private create(registrationId: string, license: string, holders: number): Promise<void> {
    return sqliteSafely(
      () => void this.db.prepare(`INSERT OR IGNORE INTO seat_counters (registration_id, license, used, version, changed_at) VALUES (?, ?, ?, 0, ${SQLITE_NOW_MS})`).run(registrationId, license, holders),
    );
  }

  used(registrationId: string, license: string): Promise<SeatCounter | undefined> {
    return sqliteSafely(() => {
      const row = this.db.prepare(`SELECT used, version, changed_at, ${SQLITE_NOW_MS} AS now FROM seat_counters WHERE registration_id = ? AND license = ?`).get(registrationId, license) as
        | { used: number; version: number; changed_at: number; now: number }
        | undefined;
      return row ? { used: row.used, version: row.version, changedAt: row.changed_at, readAt: row.now } : undefined;
    });
  }

  correct(registrationId: string, license: string, expected: SeatCounter, used: number): Promise<boolean> {
    return sqliteSafely(
      () =>
        this.db
          .prepare(`UPDATE seat_counters SET used = ?, version = version + 1, changed_at = ${SQLITE_NOW_MS} WHERE registration_id = ? AND license = ? AND version = ?`)
          .run(used, registrationId, license, expected.version).changes > 0,
    );
  }

  forget(registrationId: string, licenses?: readonly string[]): Promise<void> {
    return sqliteSafely(() => {
      if (!licenses) return void this.db.prepare('DELETE FROM seat_counters WHERE registration_id = ?').run(registrationId);
      this.db.prepare('DELETE FROM seat_counters WHERE registration_id = ? AND license IN (SELECT value FROM json_each(?))').run(registrationId, JSON.stringify(licenses));
    });
  }

}

/** One seat back for each licence that has a counter (an uncounted licence has none). */
function giveBackSeats(db: SqliteConnection, registrationId: string, licenses: readonly string[]): void {
  if (licenses.length === 0) return;
  db.prepare(
    `UPDATE seat_counters SET used = used - 1, version = version + 1, changed_at = ${SQLITE_NOW_MS}
     WHERE registration_id = ? AND license IN (SELECT value FROM json_each(?)) AND used > 0`,
  ).run(registrationId, JSON.stringify(licenses));
}

function parse(row: unknown): VoiceUserRecord | null {
  return row ? (JSON.parse((row as { doc: string }).doc) as VoiceUserRecord) : null;
}
