import { openSqliteStore } from '../../src/persistence/sqlite/sqlite-store.js';
import { describePortalStoreContract } from './portal-store.contract.js';

describePortalStoreContract('SQLite', () => openSqliteStore(':memory:'));
