import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    // The first run on a clean machine builds FerretDB (about a minute).
    hookTimeout: 240_000,
    include: ['test/**/*.test.ts'],
  },
});
