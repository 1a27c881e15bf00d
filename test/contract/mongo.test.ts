import { openMongoStore } from '../../src/store/mongo/mongo-store.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { describe, expect, it } from 'vitest';
import { mongoUriForTest } from '../support/mongo-uri.js';
import { describeStoreContract } from './store.contract.js';

describeStoreContract('MongoDB (mongoose)', () => openMongoStore(mongoUriForTest()));

describe('MongoDB outage', () => {
  it('an unreachable server is StoreUnavailableError, not a driver error', async () => {
    await expect(openMongoStore('mongodb://127.0.0.1:1/none')).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
