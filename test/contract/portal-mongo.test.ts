import { openMongoStore } from '../../src/store/mongo/mongo-store.js';
import { mongoUriForTest } from '../support/mongo-uri.js';
import { describePortalStoreContract } from './portal-store.contract.js';

describePortalStoreContract('MongoDB', () => openMongoStore(mongoUriForTest()));
