import Database from 'better-sqlite3';
import { createRegistryTables, SqliteCredentials, SqliteRegistrations } from '../../src/store/sqlite/registry.js';
import { createVoicePortalTables, SqliteLeases, SqliteRetention, SqliteVoiceUsers } from '../../src/store/sqlite/voice-portal.js';
import { describePortalStoreContract } from './portal-store.contract.js';

describePortalStoreContract('SQLite', async () => {
  const db = new Database(':memory:');
  createRegistryTables(db);
  createVoicePortalTables(db);
  return {
    registrations: new SqliteRegistrations(db),
    credentials: new SqliteCredentials(db),
    voiceUsers: new SqliteVoiceUsers(db),
    retention: new SqliteRetention(db),
    leases: new SqliteLeases(db),
    close: async () => void db.close(),
  };
});
