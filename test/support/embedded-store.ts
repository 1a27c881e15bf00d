import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openPersistence as openStore } from '../../src/main.js';
import type { Store } from '../../src/persistence/persistence.js';

/** A real embedded store in a temporary directory for the enclosing suite; read it through the getter. */
export function useEmbeddedStore(name: string): () => Store {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), `${name}-`));
    store = await openStore({ kind: 'sqlite', file: path.join(dir, `${name}.db`) });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return () => store;
}
