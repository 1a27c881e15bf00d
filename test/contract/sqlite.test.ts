import { openSqliteStore } from '../../src/persistence/sqlite/sqlite-store.js';
import { describeStoreContract } from './store.contract.js';

describeStoreContract('SQLite (embedded)', () => openSqliteStore(':memory:'));
