#!/usr/bin/env node
// The CLI. An installation (the image, `npm ci --omit=dev`) has no sources and runs the compiled
// `dist/cli/main.js`; a source checkout runs `src/cli/main.ts` through tsx (a dev dependency), so
// the CLI never lags behind the sources because of a forgotten `npm run build`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const sources = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
if (existsSync(sources)) {
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  const result = spawnSync(process.execPath, [tsx, sources, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
await import('../dist/cli/main.js');
