import { openMongoStore } from '../../src/persistence/mongo/mongo-store.js';
import { mongoUriForTest } from '../support/mongo-uri.js';
import { describeOutboxContract } from './outbox.contract.js';

describeOutboxContract('MongoDB (mongoose)', () => openMongoStore(mongoUriForTest()));
