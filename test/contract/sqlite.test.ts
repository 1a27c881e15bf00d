import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { describeStoreContract } from './store.contract.js';

describeStoreContract('SQLite (embedded)', () => openSqliteStore(':memory:'));
