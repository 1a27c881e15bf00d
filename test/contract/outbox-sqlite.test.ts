import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { describeOutboxContract } from './outbox.contract.js';

describeOutboxContract('SQLite (embedded)', () => openSqliteStore(':memory:'));
