import Database from 'better-sqlite3';
import { createAuditTables, SqliteAuditLog, SqliteSupportAccounts } from '../../src/persistence/sqlite/audit-log.js';
import { describeAuditLogContract } from './audit-log.contract.js';

describeAuditLogContract('SQLite', async () => {
  const db = new Database(':memory:');
  createAuditTables(db);
  return { auditLog: new SqliteAuditLog(db), supportAccounts: new SqliteSupportAccounts(db), close: async () => void db.close() };
});
