import { openSqliteStore } from '../../src/persistence/sqlite/sqlite-store.js';

/** `node --import tsx test/support/open-store-once.ts <file>`: opens (and so migrates) the file, prints what it applied. */
const store = await openSqliteStore(process.argv[2]!);
process.stdout.write(`${JSON.stringify({ applied: store.migrationsApplied })}\n`);
await store.close();
