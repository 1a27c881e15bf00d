import type { SqliteConnection } from './connection.js';
import type { OutboxBacklog, OutboxEntry, WriteBackOutbox } from '../../writeback/outbox.js';
import { sqliteSafely } from './sqlite-errors.js';

/** TWO-1 outbox on the embedded store: one row per recorded change, the entry as JSON beside its keys. */
export class SqliteOutbox implements WriteBackOutbox {
  constructor(private readonly db: SqliteConnection) {}

  add(entry: OutboxEntry): Promise<void> {
    return sqliteSafely(
      () =>
        void this.db
          .prepare('INSERT INTO writeback_outbox (id, registration_id, directory_user_id, next_attempt_at, doc) VALUES (?, ?, ?, ?, ?)')
          .run(entry.id, entry.registrationId, entry.directoryUserId, entry.nextAttemptAt, JSON.stringify(entry)),
    );
  }

  registrationsWithPending(): Promise<string[]> {
    return sqliteSafely(() => (this.db.prepare('SELECT DISTINCT registration_id FROM writeback_outbox').all() as { registration_id: string }[]).map((row) => row.registration_id));
  }

  pending(registrationId: string, limit: number): Promise<OutboxEntry[]> {
    return sqliteSafely(() => this.entries(this.db.prepare('SELECT * FROM writeback_outbox WHERE registration_id = ? ORDER BY id LIMIT ?').all(registrationId, limit)));
  }

  pendingOf(registrationId: string, directoryUserId: string): Promise<OutboxEntry[]> {
    return sqliteSafely(() => this.entries(this.db.prepare('SELECT * FROM writeback_outbox WHERE registration_id = ? AND directory_user_id = ? ORDER BY id').all(registrationId, directoryUserId)));
  }

  remove(registrationId: string, ids: readonly string[]): Promise<void> {
    return sqliteSafely(
      () => void this.db.prepare('DELETE FROM writeback_outbox WHERE registration_id = ? AND id IN (SELECT value FROM json_each(?))').run(registrationId, JSON.stringify(ids)),
    );
  }

  recordFailure(registrationId: string, ids: readonly string[], lastError: string): Promise<void> {
    return sqliteSafely(
      () =>
        void this.db
          .prepare(
            `UPDATE writeback_outbox SET doc = json_set(doc, '$.attempts', json_extract(doc, '$.attempts') + 1, '$.lastError', ?)
             WHERE registration_id = ? AND id IN (SELECT value FROM json_each(?))`,
          )
          .run(lastError, registrationId, JSON.stringify(ids)),
    );
  }

  postpone(registrationId: string, until: string): Promise<void> {
    return sqliteSafely(
      () =>
        void this.db
          .prepare(`UPDATE writeback_outbox SET next_attempt_at = ?, doc = json_set(doc, '$.nextAttemptAt', ?) WHERE registration_id = ? AND next_attempt_at < ?`)
          .run(until, until, registrationId, until),
    );
  }

  backlog(registrationId: string): Promise<OutboxBacklog> {
    return sqliteSafely(() => {
      const { n } = this.db.prepare('SELECT count(*) AS n FROM writeback_outbox WHERE registration_id = ?').get(registrationId) as { n: number };
      const [oldest] = this.entries(this.db.prepare('SELECT * FROM writeback_outbox WHERE registration_id = ? ORDER BY id LIMIT 1').all(registrationId));
      return { pending: n, ...(oldest ? { oldest } : {}) };
    });
  }

  deleteAll(registrationId: string): Promise<number> {
    return sqliteSafely(() => this.db.prepare('DELETE FROM writeback_outbox WHERE registration_id = ?').run(registrationId).changes);
  }

  private entries(rows: unknown[]): OutboxEntry[] {
    return (rows as { doc: string }[]).map((row) => JSON.parse(row.doc) as OutboxEntry);
  }
}
