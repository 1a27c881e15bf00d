import { openMongoStore } from '../../src/store/mongo/mongo-store.js';
import { mongoUriForTest } from '../support/mongo-uri.js';
import { describeOutboxContract } from './outbox.contract.js';

describeOutboxContract('MongoDB (mongoose)', () => openMongoStore(mongoUriForTest()));
