import type Database from 'better-sqlite3';
import { subjectKeys, type AuditEvent } from '../../audit/audit-event.js';
import { decodeCursor, pageSizeOf, prefixEnd, toPage, type AuditLog, type AuditPage, type AuditQuery } from '../../audit/audit-log.js';
import type { SupportAccountRecord, SupportAccounts } from '../../console/support-accounts.js';
import { notFound } from '../../kernel/store-errors.js';
import { sqliteSafely } from './sqlite-errors.js';
import type { SqliteConnection } from './connection.js';

/**
 * Audit events and support accounts live in their own tables of the service's database file, on
 * the store's connection (migration 5 makes them). Searchable fields are columns with indexes;
 * the event itself is JSON in `doc`.
 */
export function createAuditTables(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS audit_events (
      id TEXT NOT NULL UNIQUE,
      time TEXT NOT NULL,
      registration_id TEXT,
      action TEXT NOT NULL,
      success INTEGER NOT NULL,
      correlation_id TEXT NOT NULL,
      run_id TEXT,
      user_name TEXT,
      email TEXT,
      directory_id TEXT,
      doc TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS audit_by_time ON audit_events (time, id);
    CREATE INDEX IF NOT EXISTS audit_by_registration ON audit_events (registration_id, time, id);
    CREATE INDEX IF NOT EXISTS audit_by_action ON audit_events (action, time, id);
    CREATE INDEX IF NOT EXISTS audit_by_user_name ON audit_events (user_name, time) WHERE user_name IS NOT NULL;
    CREATE INDEX IF NOT EXISTS audit_by_email ON audit_events (email, time) WHERE email IS NOT NULL;
    CREATE INDEX IF NOT EXISTS audit_by_directory_id ON audit_events (directory_id, time) WHERE directory_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS audit_by_correlation ON audit_events (correlation_id);
    CREATE INDEX IF NOT EXISTS audit_by_run ON audit_events (run_id) WHERE run_id IS NOT NULL;
    CREATE TABLE IF NOT EXISTS support_accounts (
      name_lower TEXT PRIMARY KEY,
      doc TEXT NOT NULL
    );
  `);
}

interface Filter {
  sql: string;
  params: unknown[];
}

export class SqliteAuditLog implements AuditLog {
  private readonly insert: Database.Statement;

  constructor(private readonly db: SqliteConnection) {
    this.insert = db.prepare(`
      INSERT OR IGNORE INTO audit_events (id, time, registration_id, action, success, correlation_id, run_id, user_name, email, directory_id, doc)
      VALUES (@id, @time, @registrationId, @action, @success, @correlationId, @runId, @userName, @email, @directoryId, @doc)`);
  }

  append(events: AuditEvent[]): Promise<void> {
    return sqliteSafely(() => this.db.transaction(() => events.forEach((event) => this.insert.run(rowOf(event))))());
  }

  search(query: AuditQuery): Promise<AuditPage> {
    return sqliteSafely(() => {
      if (query.registrationIds?.length === 0) return { events: [] };
      const pageSize = pageSizeOf(query);
      const filters = filtersOf(query);
      const where = filters.length ? `WHERE ${filters.map((f) => `(${f.sql})`).join(' AND ')}` : '';
      const rows = this.db
        .prepare(`SELECT doc FROM audit_events ${where} ORDER BY time DESC, id DESC LIMIT ?`)
        .all(...filters.flatMap((f) => f.params), pageSize + 1) as { doc: string }[];
      return toPage(rows.map((row) => JSON.parse(row.doc) as AuditEvent), pageSize);
    });
  }

  get(id: string): Promise<AuditEvent | null> {
    return sqliteSafely(() => {
      const row = this.db.prepare('SELECT doc FROM audit_events WHERE id = ?').get(id) as { doc: string } | undefined;
      return row ? (JSON.parse(row.doc) as AuditEvent) : null;
    });
  }

  purgeOlderThan(date: Date): Promise<number> {
    return sqliteSafely(() => this.db.prepare('DELETE FROM audit_events WHERE time < ?').run(date.toISOString()).changes);
  }
}

function rowOf(event: AuditEvent) {
  return {
    id: event.id,
    time: event.time,
    registrationId: event.registrationId ?? null,
    action: event.action,
    success: event.outcome.success ? 1 : 0,
    correlationId: event.correlationId,
    runId: event.runId ?? null,
    ...nullsFor(subjectKeys(event)),
    doc: JSON.stringify(event),
  };
}

function nullsFor(keys: ReturnType<typeof subjectKeys>) {
  return { userName: keys.userName ?? null, email: keys.email ?? null, directoryId: keys.directoryId ?? null };
}

function filtersOf(query: AuditQuery): Filter[] {
  const filters: Filter[] = [];
  const add = (sql: string, ...params: unknown[]) => filters.push({ sql, params });
  if (query.registrationIds) add(`registration_id IN (${placeholders(query.registrationIds)})`, ...query.registrationIds);
  if (query.user) {
    const range = [query.user.toLowerCase(), prefixEnd(query.user.toLowerCase())];
    add('(user_name >= ? AND user_name < ?) OR (email >= ? AND email < ?) OR (directory_id >= ? AND directory_id < ?)', ...range, ...range, ...range);
  }
  if (query.since) add('time >= ?', query.since);
  if (query.until) add('time < ?', query.until);
  if (query.actions?.length) add(`action IN (${placeholders(query.actions)})`, ...query.actions);
  if (query.outcome) add('success = ?', query.outcome === 'success' ? 1 : 0);
  if (query.correlationId) add('correlation_id = ?', query.correlationId);
  if (query.runId) add('run_id = ?', query.runId);
  if (query.cursor) {
    const cursor = decodeCursor(query.cursor);
    add('(time, id) < (?, ?)', cursor.time, cursor.id);
  }
  return filters;
}

function placeholders(values: unknown[]): string {
  return values.map(() => '?').join(', ');
}

export class SqliteSupportAccounts implements SupportAccounts {
  constructor(private readonly db: SqliteConnection) {}

  create(record: SupportAccountRecord): Promise<SupportAccountRecord> {
    return sqliteSafely(() => {
      this.db.prepare('INSERT INTO support_accounts (name_lower, doc) VALUES (?, ?)').run(record.name.toLowerCase(), JSON.stringify(record));
      return record;
    }, 'name');
  }

  get(name: string): Promise<SupportAccountRecord | null> {
    return sqliteSafely(() => {
      const row = this.db.prepare('SELECT doc FROM support_accounts WHERE name_lower = ?').get(name.toLowerCase()) as { doc: string } | undefined;
      return row ? (JSON.parse(row.doc) as SupportAccountRecord) : null;
    });
  }

  list(): Promise<SupportAccountRecord[]> {
    return sqliteSafely(() => (this.db.prepare('SELECT doc FROM support_accounts ORDER BY name_lower').all() as { doc: string }[]).map((row) => JSON.parse(row.doc)));
  }

  setPassword(name: string, passwordHash: string, changedAt: string): Promise<void> {
    return sqliteSafely(() => {
      const changed = this.db
        .prepare("UPDATE support_accounts SET doc = json_set(doc, '$.passwordHash', ?, '$.passwordChangedAt', ?) WHERE name_lower = ?")
        .run(passwordHash, changedAt, name.toLowerCase()).changes;
      if (changed === 0) throw notFound(`support account ${name}`);
    });
  }

  delete(name: string): Promise<boolean> {
    return sqliteSafely(() => this.db.prepare('DELETE FROM support_accounts WHERE name_lower = ?').run(name.toLowerCase()).changes > 0);
  }
}
