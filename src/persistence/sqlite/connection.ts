import type Database from 'better-sqlite3';

/**
 * Most statements kept compiled per connection. The adapters' fixed SQL is a few hundred texts at
 * most; SQL built from a SCIM filter or an audit search varies with the request, so the least
 * recently used statement is dropped past this many and the cache stays bounded.
 */
const MAX_CACHED_STATEMENTS = 1000;

/**
 * The embedded store's one connection, as the collections use it: `prepare` answers the statement
 * compiled the first time this SQL text was seen (better-sqlite3 parses and plans the SQL anew on
 * every `db.prepare`), so a request runs compiled statements only. Statements are only ever run to
 * completion (`run`, `get`, `all`; never an open `iterate`), so one can serve every caller in turn.
 */
export class SqliteConnection {
  /** Statements compiled on this connection so far: it stops growing once each kind of request has been seen. */
  statementsPrepared = 0;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  prepare(sql: string): Database.Statement {
    const cached = this.statements.get(sql);
    if (cached) {
      // Re-inserted as the most recently used.
      this.statements.delete(sql);
      this.statements.set(sql, cached);
      return cached;
    }
    const statement = this.db.prepare(sql);
    this.statementsPrepared++;
    this.statements.set(sql, statement);
    if (this.statements.size > MAX_CACHED_STATEMENTS) this.statements.delete(this.statements.keys().next().value!);
    return statement;
  }

  /** better-sqlite3's transaction wrapper (nests as savepoints, rolls back on a throw). */
  transaction<F extends (...args: never[]) => unknown>(work: F): Database.Transaction<F> {
    return this.db.transaction(work);
  }
}
