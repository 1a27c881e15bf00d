import mongoose from 'mongoose';
import { chooseWriteMode, ConditionalWrites } from '../../src/store/mongo/conditional-writes.js';
import { MongoCredentials, MongoRegistrations, registryModels } from '../../src/store/mongo/registry.js';
import { MongoLeases, MongoRetention, MongoVoiceUsers, voicePortalModels } from '../../src/store/mongo/voice-portal.js';
import { mongoUriForTest } from '../support/mongo-uri.js';
import { describePortalStoreContract } from './portal-store.contract.js';

describePortalStoreContract('MongoDB', async () => {
  const connection = await mongoose.createConnection(mongoUriForTest()).asPromise();
  const registry = registryModels(connection);
  const portal = voicePortalModels(connection);
  await Promise.all([...Object.values(registry), ...Object.values(portal)].map((model) => model.init()));
  const writes = new ConditionalWrites((await chooseWriteMode(connection.db!, 'auto')).mode, connection.db!.collection('version_claims'));
  return {
    registrations: new MongoRegistrations(registry.registrations, writes),
    credentials: new MongoCredentials(registry.credentials),
    voiceUsers: new MongoVoiceUsers(portal.voiceUsers, writes),
    retention: new MongoRetention(portal.retention),
    leases: new MongoLeases(portal.leases),
    close: () => connection.close(),
  };
});
