import { SqliteAuditLog, SqliteSupportAccounts } from './audit-log.js';
import Database from 'better-sqlite3';
import { notFound, versionConflict } from '../../kernel/store-errors.js';
import { type GroupChange, type GroupChangeResult, type GroupCollection, type GroupRecord, type Member, type MemberChange, type UserCollection, type UserRecord } from '../../directory/directory-port.js';
import { type JsonObject } from '../../kernel/json.js';
import { type Store } from '../persistence.js';
import type { GroupBatchReads, Membership, UserBatchReads } from '../../reconcile/reconcile-port.js';
import type { ListQuery, ListResult } from '../query.js';
import { compileFilter, compileOrder } from './sql-filter.js';
import { sqliteSafely } from './sqlite-errors.js';
import { SqliteCredentials, SqliteRegistrations } from './registry.js';
import { SqliteLeases, SqliteRetention, SqliteSeatCounters, SqliteVoiceUsers } from './voice-portal.js';
import { migrateSqlite } from './migrations.js';
import { SqliteConsoleSessions, SqliteLoginFailures } from './console-state.js';
import { SqliteOutbox } from './outbox.js';
import { SqliteConnection } from './connection.js';

/** How long a statement waits for another connection's write lock before failing SQLITE_BUSY (→ 503). */
const BUSY_TIMEOUT_MS = 5_000;

interface Row {
  id: string;
  registration_id: string;
  external_id: string | null;
  version: number;
  created: string;
  last_modified: string;
  resource: string;
}

/** The embedded store: one SQLite file in WAL mode. Filtering, sorting and paging are SQL. */
export class SqliteStore implements Store {
  /** Calls run synchronously in this process: nothing gains from overlapping them. */
  readonly capabilities = { parallelWrites: false };
  readonly users: UserCollection & UserBatchReads;
  readonly groups: GroupCollection & GroupBatchReads;
  readonly registrations: SqliteRegistrations;
  readonly credentials: SqliteCredentials;
  readonly voiceUsers: SqliteVoiceUsers;
  readonly retention: SqliteRetention;
  readonly leases: SqliteLeases;
  readonly seatCounters: SqliteSeatCounters;
  readonly consoleSessions: SqliteConsoleSessions;
  readonly loginFailures: SqliteLoginFailures;
  readonly outbox: SqliteOutbox;
  readonly auditLog: SqliteAuditLog;
  readonly supportAccounts: SqliteSupportAccounts;
  readonly facts = { kind: 'sqlite', writeMode: 'conditional UPDATE … WHERE version = ? (transactions)' };
  /**
   * Statements run so far (better-sqlite3's `verbose` hook): the embedded store's "round trips".
   * The audit trail's writes are left out: they are batched and written after the answer, so
   * they belong to no one request.
   */
  statementsRun = 0;

  /** The connection the collections share, with its statements compiled once (see connection.ts). */
  private readonly connection: SqliteConnection;

  constructor(
    readonly db: Database.Database,
    /** The migration numbers this open applied (none when the file was already current). */
    readonly migrationsApplied: number[] = [],
  ) {
    const connection = (this.connection = new SqliteConnection(db));
    this.users = new SqliteUsers(connection);
    this.groups = new SqliteGroups(connection);
    this.registrations = new SqliteRegistrations(connection);
    this.credentials = new SqliteCredentials(connection);
    this.voiceUsers = new SqliteVoiceUsers(connection);
    this.retention = new SqliteRetention(connection);
    this.leases = new SqliteLeases(connection);
    this.seatCounters = new SqliteSeatCounters(connection);
    this.consoleSessions = new SqliteConsoleSessions(connection);
    this.loginFailures = new SqliteLoginFailures(connection);
    this.outbox = new SqliteOutbox(connection);
    this.auditLog = new SqliteAuditLog(connection);
    this.supportAccounts = new SqliteSupportAccounts(connection);
  }

  /** Statements compiled so far; flat once every kind of request has been seen (statement reuse). */
  get statementsPrepared(): number {
    return this.connection.statementsPrepared;
  }

  ping(): Promise<void> {
    return sqliteSafely(() => void this.connection.prepare('SELECT 1').get());
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

const AUDIT_STATEMENT = /\b(audit_events|support_accounts)\b/;

export async function openSqliteStore(file: string): Promise<SqliteStore> {
  let store: SqliteStore | undefined;
  const db = new Database(file, { verbose: (sql) => void (store && !AUDIT_STATEMENT.test(String(sql)) && store.statementsRun++) });
  // The busy timeout first: a second process opening the file while the first migrates it waits.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const applied = migrateSqlite(db);
  store = new SqliteStore(db, applied.map((migration) => migration.version));
  return store;
}

/** What users and groups share: a table of SCIM resources scoped by registration. */
abstract class SqliteResources<R extends UserRecord | GroupRecord> {
  constructor(
    protected readonly db: SqliteConnection,
    private readonly table: 'users' | 'groups',
  ) {}

  protected abstract fromRow(row: Row): R;
  protected abstract nameColumns(record: R): [string, string];

  get(registrationId: string, id: string): Promise<R | null> {
    return sqliteSafely(() => {
      const row = this.db.prepare(`SELECT * FROM ${this.table} WHERE registration_id = ? AND id = ?`).get(registrationId, id) as Row | undefined;
      return row ? this.fromRow(row) : null;
    });
  }

  /** One statement for any number of ids (primary-key lookups inside SQLite). */
  getMany(registrationId: string, ids: readonly string[]): Promise<R[]> {
    return sqliteSafely(() =>
      (this.db.prepare(`SELECT * FROM ${this.table} WHERE registration_id = ? AND id IN (SELECT value FROM json_each(?))`).all(registrationId, JSON.stringify(ids)) as Row[]).map((row) => this.fromRow(row)),
    );
  }

  /** Fields kept beside the row for indexed search (users' emails); written in the same transaction. */
  protected indexSearchFields(_record: R): void {}

  insert(record: R): Promise<R> {
    return sqliteSafely(this.db.transaction(() => {
      this.db
        .prepare(`INSERT INTO ${this.table} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(record.registrationId, record.id, ...this.nameColumns(record), record.externalId ?? null, record.version, record.created, record.lastModified, JSON.stringify(record.resource));
      this.indexSearchFields(record);
      return record;
    }), this.table === 'users' ? 'userName' : 'id');
  }

  /** One conditional UPDATE; the answer is the version this write produced, not a re-read. */
  replace(record: R, expectedVersion: number): Promise<R> {
    return sqliteSafely(this.db.transaction(() => this.writeRow({ ...record, version: expectedVersion + 1, lastModified: new Date().toISOString() }, expectedVersion)), 'userName');
  }

  protected writeRow(next: R, expectedVersion: number): R {
    const [name, nameLower] = this.nameColumns(next);
    const nameColumn = this.table === 'users' ? 'user_name' : 'display_name';
    const result = this.db
      .prepare(
        `UPDATE ${this.table} SET ${nameColumn} = ?, ${nameColumn}_lower = ?, external_id = ?, version = ?, last_modified = ?, resource = ?
         WHERE registration_id = ? AND id = ? AND version = ?`,
      )
      .run(name, nameLower, next.externalId ?? null, next.version, next.lastModified, JSON.stringify(next.resource), next.registrationId, next.id, expectedVersion);
    if (result.changes === 0) this.explainMissedUpdate(next);
    this.indexSearchFields(next);
    return next;
  }

  private explainMissedUpdate(record: R): never {
    const exists = this.db.prepare(`SELECT 1 FROM ${this.table} WHERE registration_id = ? AND id = ?`).get(record.registrationId, record.id);
    throw exists ? versionConflict(`${this.table} ${record.id}`) : notFound(`${this.table} ${record.id}`);
  }

  query(registrationId: string, query: ListQuery): Promise<ListResult<R>> {
    return sqliteSafely(() => {
      const where = query.filter ? compileFilter(query.filter) : { sql: '1', params: [] };
      const scope = `FROM ${this.table} WHERE registration_id = ? AND (${where.sql})`;
      const total = (this.db.prepare(`SELECT COUNT(*) AS n ${scope}`).get(registrationId, ...where.params) as { n: number }).n;
      if (query.count === 0) return { totalResults: total, records: [] };
      const order = compileOrder(query);
      const rows = this.db
        .prepare(`SELECT * ${scope} ${order.sql} LIMIT ? OFFSET ?`)
        .all(registrationId, ...where.params, ...order.params, query.count, query.startIndex - 1) as Row[];
      return { totalResults: total, records: rows.map((row) => this.fromRow(row)) };
    });
  }

  countAll(registrationId: string): Promise<number> {
    return sqliteSafely(() => (this.db.prepare(`SELECT COUNT(*) AS n FROM ${this.table} WHERE registration_id = ?`).get(registrationId) as { n: number }).n);
  }

  /** Every record of a registration, for reconciliation (one scan, in id order). */
  listAll(registrationId: string): Promise<R[]> {
    return sqliteSafely(() => (this.db.prepare(`SELECT * FROM ${this.table} WHERE registration_id = ?`).all(registrationId) as Row[]).map((row) => this.fromRow(row)));
  }
}

class SqliteUsers extends SqliteResources<UserRecord> implements UserCollection, UserBatchReads {
  constructor(db: SqliteConnection) {
    super(db, 'users');
  }

  protected fromRow(row: Row): UserRecord {
    return { ...common(row), userName: (row as Row & { user_name: string }).user_name };
  }

  protected nameColumns(record: UserRecord): [string, string] {
    return [record.userName, record.userName.toLowerCase()];
  }

  protected override indexSearchFields(record: UserRecord): void {
    this.db.prepare('DELETE FROM user_emails WHERE registration_id = ? AND user_id = ?').run(record.registrationId, record.id);
    const insert = this.db.prepare('INSERT OR IGNORE INTO user_emails (registration_id, user_id, email_lower) VALUES (?, ?, ?)');
    for (const email of emailsLowerOf(record.resource)) insert.run(record.registrationId, record.id, email);
  }

  findByUserName(registrationId: string, userName: string): Promise<UserRecord | null> {
    return sqliteSafely(() => {
      const row = this.db.prepare('SELECT * FROM users WHERE registration_id = ? AND user_name_lower = ?').get(registrationId, userName.toLowerCase()) as Row | undefined;
      return row ? this.fromRow(row) : null;
    });
  }

  /** One primary-key lookup per id: O(k) whatever the number of users. */
  existingIds(registrationId: string, ids: string[]): Promise<string[]> {
    return sqliteSafely(() => {
      const exists = this.db.prepare('SELECT 1 FROM users WHERE registration_id = ? AND id = ?');
      return ids.filter((id) => exists.get(registrationId, id) !== undefined);
    });
  }

  delete(registrationId: string, id: string, expectedVersion?: number): Promise<boolean> {
    return sqliteSafely(() =>
      this.db.transaction(() => {
        const deleted = this.db.prepare('DELETE FROM users WHERE registration_id = ? AND id = ? AND (? IS NULL OR version = ?)').run(registrationId, id, expectedVersion ?? null, expectedVersion ?? null).changes > 0;
        // Rows of an id already gone are cleared too; a version that no longer matches keeps everything.
        if (deleted || expectedVersion === undefined) {
          this.db.prepare('DELETE FROM memberships WHERE registration_id = ? AND user_id = ?').run(registrationId, id);
          this.db.prepare('DELETE FROM user_emails WHERE registration_id = ? AND user_id = ?').run(registrationId, id);
        }
        return deleted;
      })(),
    );
  }

  deleteAll(registrationId: string): Promise<number> {
    return sqliteSafely(
      this.db.transaction(() => {
        this.db.prepare('DELETE FROM user_emails WHERE registration_id = ?').run(registrationId);
        return this.db.prepare('DELETE FROM users WHERE registration_id = ?').run(registrationId).changes;
      }),
    );
  }
}

class SqliteGroups extends SqliteResources<GroupRecord> implements GroupCollection, GroupBatchReads {
  constructor(db: SqliteConnection) {
    super(db, 'groups');
  }

  protected fromRow(row: Row): GroupRecord {
    return { ...common(row), displayName: (row as Row & { display_name: string }).display_name };
  }

  protected nameColumns(record: GroupRecord): [string, string] {
    return [record.displayName, record.displayName.toLowerCase()];
  }

  delete(registrationId: string, id: string, expectedVersion?: number): Promise<boolean> {
    return sqliteSafely(() =>
      this.db.transaction(() => {
        const deleted = this.db.prepare('DELETE FROM groups WHERE registration_id = ? AND id = ? AND (? IS NULL OR version = ?)').run(registrationId, id, expectedVersion ?? null, expectedVersion ?? null).changes > 0;
        // Memberships of an id already gone are cleared too; a version that no longer matches keeps everything.
        if (deleted || expectedVersion === undefined) this.db.prepare('DELETE FROM memberships WHERE registration_id = ? AND group_id = ?').run(registrationId, id);
        return deleted;
      })(),
    );
  }

  deleteAll(registrationId: string): Promise<number> {
    return sqliteSafely(() =>
      this.db.transaction(() => {
        this.db.prepare('DELETE FROM memberships WHERE registration_id = ?').run(registrationId);
        return this.db.prepare('DELETE FROM groups WHERE registration_id = ?').run(registrationId).changes;
      })(),
    );
  }

  /**
   * One transaction: the version check, the new attributes, the member changes and one version
   * bump commit together or not at all. A member is inserted only if the user exists in that same
   * transaction, so a concurrent user delete can never leave it dangling.
   */
  update(registrationId: string, groupId: string, expectedVersion: number, change: GroupChange): Promise<GroupChangeResult> {
    return sqliteSafely(
      this.db.transaction(() => {
        const row = this.db.prepare('SELECT * FROM groups WHERE registration_id = ? AND id = ?').get(registrationId, groupId) as Row | undefined;
        if (!row) throw notFound(`group ${groupId}`);
        if (row.version !== expectedVersion) throw versionConflict(`group ${groupId}`);
        const changed = change.members.flatMap((memberChange) => this.applyMemberChange(registrationId, groupId, memberChange));
        const record = this.writeRow({ ...(change.record ?? this.fromRow(row)), version: expectedVersion + 1, lastModified: new Date().toISOString() }, expectedVersion);
        return { record, changed };
      }),
    );
  }

  private applyMemberChange(registrationId: string, groupId: string, change: MemberChange): string[] {
    if (change.kind === 'add') {
      const insert = this.db.prepare(
        `INSERT OR IGNORE INTO memberships (registration_id, group_id, user_id, position, display, type)
         SELECT ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM memberships WHERE registration_id = ? AND group_id = ?), ?, ?
         WHERE EXISTS (SELECT 1 FROM users WHERE registration_id = ? AND id = ?)`,
      );
      return change.members
        .filter((m) => insert.run(registrationId, groupId, m.value, registrationId, groupId, m.display ?? null, m.type ?? null, registrationId, m.value).changes > 0)
        .map((m) => m.value);
    }
    if (change.kind === 'remove') {
      const remove = this.db.prepare('DELETE FROM memberships WHERE registration_id = ? AND group_id = ? AND user_id = ?');
      return change.ids.filter((id) => remove.run(registrationId, groupId, id).changes > 0);
    }
    return (this.db.prepare('DELETE FROM memberships WHERE registration_id = ? AND group_id = ? RETURNING user_id').all(registrationId, groupId) as { user_id: string }[]).map((r) => r.user_id);
  }

  listMembers(registrationId: string, groupId: string): Promise<Member[]> {
    return sqliteSafely(() =>
      (this.db.prepare('SELECT user_id, display, type FROM memberships WHERE registration_id = ? AND group_id = ? ORDER BY position').all(registrationId, groupId) as {
        user_id: string;
        display: string | null;
        type: string | null;
      }[]).map((row) => ({ value: row.user_id, ...(row.display ? { display: row.display } : {}), ...(row.type ? { type: row.type } : {}) })),
    );
  }

  groupsOfUsers(registrationId: string, userIds: readonly string[]): Promise<Membership[]> {
    return sqliteSafely(() =>
      (this.db.prepare('SELECT group_id, user_id FROM memberships WHERE registration_id = ? AND user_id IN (SELECT value FROM json_each(?))').all(registrationId, JSON.stringify(userIds)) as { group_id: string; user_id: string }[]).map(
        (r) => ({ groupId: r.group_id, userId: r.user_id }),
      ),
    );
  }

  removeUserEverywhere(registrationId: string, userId: string): Promise<void> {
    return sqliteSafely(() => void this.db.prepare('DELETE FROM memberships WHERE registration_id = ? AND user_id = ?').run(registrationId, userId));
  }

  /** Every membership of the registration, for reconciliation. */
  allMemberships(registrationId: string): Promise<{ groupId: string; userId: string }[]> {
    return sqliteSafely(() =>
      (this.db.prepare('SELECT group_id, user_id FROM memberships WHERE registration_id = ?').all(registrationId) as { group_id: string; user_id: string }[]).map((r) => ({ groupId: r.group_id, userId: r.user_id })),
    );
  }
}

function emailsLowerOf(resource: JsonObject): string[] {
  const emails = Array.isArray(resource.emails) ? resource.emails : [];
  return emails.flatMap((email) => (email && typeof email === 'object' && !Array.isArray(email) && typeof email.value === 'string' ? [email.value.toLowerCase()] : []));
}

function common(row: Row) {
  return {
    id: row.id,
    registrationId: row.registration_id,
    ...(row.external_id ? { externalId: row.external_id } : {}),
    version: row.version,
    created: row.created,
    lastModified: row.last_modified,
    resource: JSON.parse(row.resource),
  };
}
