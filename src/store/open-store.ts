import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/load.js';
import type { Store } from './store.js';

/** The only place that picks a storage adapter: MongoDB when MONGODB_URI is set, else embedded SQLite. */
export async function openStore(store: Config['store'], { serverSelectionTimeoutMs }: { serverSelectionTimeoutMs?: number } = {}): Promise<Store> {
  if (store.kind === 'mongodb') {
    const { openMongoStore } = await import('./mongo/mongo-store.js');
    return openMongoStore(store.uri, { writeMode: store.writeMode, serverSelectionTimeoutMs });
  }
  mkdirSync(path.dirname(store.file), { recursive: true });
  const { openSqliteStore } = await import('./sqlite/sqlite-store.js');
  return openSqliteStore(store.file);
}
