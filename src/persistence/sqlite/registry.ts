import type { SqliteConnection } from './connection.js';
import { notFound, versionConflict } from '../../kernel/store-errors.js';
import { type CredentialIndex, type RegistrationCollection, type RegistrationRecord } from '../../registrations/registrations-port.js';
import { sqliteSafely } from './sqlite-errors.js';

export class SqliteRegistrations implements RegistrationCollection {
  constructor(private readonly db: SqliteConnection) {}

  insert(record: RegistrationRecord): Promise<RegistrationRecord> {
    return sqliteSafely(() => {
      this.db.prepare('INSERT INTO registrations (id, name_lower, version, doc) VALUES (?, ?, ?, ?)').run(record.id, record.name.toLowerCase(), record.version, JSON.stringify(record));
      return record;
    }, 'name');
  }

  get(id: string): Promise<RegistrationRecord | null> {
    return sqliteSafely(() => parse(this.db.prepare('SELECT doc FROM registrations WHERE id = ?').get(id)));
  }

  findByName(name: string): Promise<RegistrationRecord | null> {
    return sqliteSafely(() => parse(this.db.prepare('SELECT doc FROM registrations WHERE name_lower = ?').get(name.toLowerCase())));
  }

  list(): Promise<RegistrationRecord[]> {
    return sqliteSafely(() => (this.db.prepare('SELECT doc FROM registrations ORDER BY name_lower').all() as { doc: string }[]).map((row) => JSON.parse(row.doc)));
  }

  replace(record: RegistrationRecord, expectedVersion: number): Promise<RegistrationRecord> {
    return sqliteSafely(() => {
      const next = { ...record, version: expectedVersion + 1 };
      const result = this.db
        .prepare('UPDATE registrations SET name_lower = ?, version = ?, doc = ? WHERE id = ? AND version = ?')
        .run(next.name.toLowerCase(), next.version, JSON.stringify(next), record.id, expectedVersion);
      if (result.changes === 0) {
        if (!this.db.prepare('SELECT 1 FROM registrations WHERE id = ?').get(record.id)) throw notFound(`registration ${record.id}`);
        throw versionConflict(`registration ${record.id}`);
      }
      return next;
    }, 'name');
  }

  delete(id: string): Promise<boolean> {
    return sqliteSafely(() => this.db.prepare('DELETE FROM registrations WHERE id = ?').run(id).changes > 0);
  }
}

export class SqliteCredentials implements CredentialIndex {
  constructor(private readonly db: SqliteConnection) {}

  bind(key: string, registrationId: string): Promise<void> {
    return sqliteSafely(() => {
      const owner = this.db.prepare('SELECT registration_id FROM credentials WHERE key = ?').get(key) as { registration_id: string } | undefined;
      if (owner?.registration_id === registrationId) return;
      this.db.prepare('INSERT INTO credentials (key, registration_id) VALUES (?, ?)').run(key, registrationId);
    }, 'credential');
  }

  unbind(key: string): Promise<void> {
    return sqliteSafely(() => void this.db.prepare('DELETE FROM credentials WHERE key = ?').run(key));
  }

  lookup(key: string): Promise<string | null> {
    return sqliteSafely(() => (this.db.prepare('SELECT registration_id FROM credentials WHERE key = ?').get(key) as { registration_id: string } | undefined)?.registration_id ?? null);
  }

  lookupFirst(keys: readonly string[]): Promise<string | null> {
    return sqliteSafely(() => {
      if (keys.length === 0) return null;
      const rows = this.db.prepare(`SELECT key, registration_id FROM credentials WHERE key IN (${keys.map(() => '?').join(', ')})`).all(...keys) as { key: string; registration_id: string }[];
      const bound = new Map(rows.map((row) => [row.key, row.registration_id]));
      return keys.map((key) => bound.get(key)).find((registrationId) => registrationId !== undefined) ?? null;
    });
  }

  unbindAll(registrationId: string): Promise<void> {
    return sqliteSafely(() => void this.db.prepare('DELETE FROM credentials WHERE registration_id = ?').run(registrationId));
  }
}

function parse(row: unknown): RegistrationRecord | null {
  return row ? (JSON.parse((row as { doc: string }).doc) as RegistrationRecord) : null;
}
