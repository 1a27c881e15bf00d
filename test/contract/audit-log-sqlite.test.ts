import { openSqliteStore } from '../../src/persistence/sqlite/sqlite-store.js';
import { describeAuditLogContract } from './audit-log.contract.js';

describeAuditLogContract('SQLite', () => openSqliteStore(':memory:'));
