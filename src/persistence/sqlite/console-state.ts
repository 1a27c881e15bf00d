import type { SqliteConnection } from './connection.js';
import type { ConsoleSessionCollection, ConsoleSessionRecord, LoginFailureCollection } from '../../console/console-state-port.js';
import { sqliteSafely } from './sqlite-errors.js';

interface SessionRow {
  token_hash: string;
  account: string;
  csrf_token: string;
  created_at: number;
  last_seen: number;
  expires_at: number;
}

export class SqliteConsoleSessions implements ConsoleSessionCollection {
  constructor(private readonly db: SqliteConnection) {}

  insert(session: ConsoleSessionRecord): Promise<void> {
    return sqliteSafely(
      () =>
        void this.db
          .prepare('INSERT INTO console_sessions (token_hash, account, csrf_token, created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(session.tokenHash, session.account, session.csrfToken, session.createdAt, session.lastSeen, session.expiresAt),
    );
  }

  get(tokenHash: string): Promise<ConsoleSessionRecord | null> {
    return sqliteSafely(() => {
      const row = this.db.prepare('SELECT * FROM console_sessions WHERE token_hash = ?').get(tokenHash) as SessionRow | undefined;
      return row
        ? { tokenHash: row.token_hash, account: row.account, csrfToken: row.csrf_token, createdAt: row.created_at, lastSeen: row.last_seen, expiresAt: row.expires_at }
        : null;
    });
  }

  touch(tokenHash: string, lastSeen: number, expiresAt: number): Promise<void> {
    return sqliteSafely(() => void this.db.prepare('UPDATE console_sessions SET last_seen = ?, expires_at = ? WHERE token_hash = ?').run(lastSeen, expiresAt, tokenHash));
  }

  delete(tokenHash: string): Promise<void> {
    return sqliteSafely(() => void this.db.prepare('DELETE FROM console_sessions WHERE token_hash = ?').run(tokenHash));
  }

  deleteExpired(now: number): Promise<number> {
    return sqliteSafely(() => this.db.prepare('DELETE FROM console_sessions WHERE expires_at <= ?').run(now).changes);
  }
}

export class SqliteLoginFailures implements LoginFailureCollection {
  constructor(private readonly db: SqliteConnection) {}

  add(keyHash: string, at: number, expiresAt: number): Promise<void> {
    return sqliteSafely(() => void this.db.prepare('INSERT INTO login_failures (key_hash, at, expires_at) VALUES (?, ?, ?)').run(keyHash, at, expiresAt));
  }

  since(keyHash: string, since: number): Promise<number[]> {
    return sqliteSafely(() => (this.db.prepare('SELECT at FROM login_failures WHERE key_hash = ? AND at >= ? ORDER BY at').all(keyHash, since) as { at: number }[]).map((row) => row.at));
  }

  clear(keyHash: string): Promise<void> {
    return sqliteSafely(() => void this.db.prepare('DELETE FROM login_failures WHERE key_hash = ?').run(keyHash));
  }

  deleteExpired(now: number): Promise<number> {
    return sqliteSafely(() => this.db.prepare('DELETE FROM login_failures WHERE expires_at <= ?').run(now).changes);
  }
}
