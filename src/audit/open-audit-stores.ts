import type { Config } from '../config/load.js';
import type { SupportAccounts } from '../console/support-accounts.js';
import type { AuditLog } from './audit-log.js';

export interface AuditStores {
  auditLog: AuditLog;
  supportAccounts: SupportAccounts;
  close(): Promise<void>;
}

/**
 * The only place that picks the audit adapters: the same database as the service's store, on a
 * connection of its own (SQLite: the same file in WAL mode; MongoDB: the same URI), so the audit
 * trail needs nothing from the store's internals.
 */
export async function openAuditStores(store: Config['store']): Promise<AuditStores> {
  if (store.kind === 'mongodb') {
    const [{ default: mongoose }, { auditModels, MongoAuditLog, MongoSupportAccounts }] = await Promise.all([import('mongoose'), import('../store/mongo/audit-log.js')]);
    const connection = await mongoose.createConnection(store.uri).asPromise();
    const models = auditModels(connection);
    await Promise.all(Object.values(models).map((model) => model.init()));
    return { auditLog: new MongoAuditLog(models.auditEvents), supportAccounts: new MongoSupportAccounts(models.supportAccounts), close: () => connection.close() };
  }
  const [{ default: Database }, { createAuditTables, SqliteAuditLog, SqliteSupportAccounts }] = await Promise.all([import('better-sqlite3'), import('../store/sqlite/audit-log.js')]);
  const db = new Database(store.file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  createAuditTables(db);
  return { auditLog: new SqliteAuditLog(db), supportAccounts: new SqliteSupportAccounts(db), close: async () => void db.close() };
}
