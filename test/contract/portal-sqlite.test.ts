import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { describePortalStoreContract } from './portal-store.contract.js';

describePortalStoreContract('SQLite', () => openSqliteStore(':memory:'));
