import { openSqliteStore } from '../../src/persistence/sqlite/sqlite-store.js';
import { describeOutboxContract } from './outbox.contract.js';

describeOutboxContract('SQLite (embedded)', () => openSqliteStore(':memory:'));
