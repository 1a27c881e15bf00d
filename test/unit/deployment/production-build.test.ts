import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpsClient } from '../../support/https-client.js';

const run = promisify(execFile);
const packageJson = JSON.parse(readFileSync('package.json', 'utf8'));

/**
 * What the image's runtime stage holds, without a Docker engine: `npm run build`'s dist/ (into a
 * folder of its own), the schemas, bin/ and package.json, and no sources. The service and the CLI
 * must run from it with plain `node`, as the image's CMD and `docker compose exec` run them.
 */
describe('The production build runs compiled JavaScript without its sources', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'scim-dist-'));
  let service: { child: ChildProcess; scimUrl: string; adminUrl: string };

  beforeAll(async () => {
    await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', path.join(root, 'dist')]);
    for (const entry of ['schemas', 'bin', 'package.json']) cpSync(entry, path.join(root, entry), { recursive: true });
    // The image installs production dependencies only; `imports only production dependencies` checks that they suffice.
    symlinkSync(path.resolve('node_modules'), path.join(root, 'node_modules'), 'dir');
    service = await startCompiledService(root);
  }, 120_000);

  afterAll(async () => {
    if (service?.child.exitCode === null) {
      const exited = new Promise((resolve) => service.child.once('exit', resolve));
      service.child.kill('SIGTERM');
      await exited;
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('compiles only src/ into dist/ (no tests, benchmarks or sources)', () => {
    const dist = path.join(root, 'dist');
    expect(existsSync(path.join(dist, 'server.js'))).toBe(true);
    expect(existsSync(path.join(dist, 'cli', 'main.js'))).toBe(true);
    const topLevel = readdirSync(dist);
    expect(topLevel.filter((entry) => ['src', 'test', 'bench'].includes(entry))).toEqual([]);
    expect(compiledFiles(dist).filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(packageJson.scripts.build).toBe('tsc -p tsconfig.build.json');
  });

  it('imports only Node built-ins and production dependencies (tsx and type packages are dev dependencies)', () => {
    const production = new Set(Object.keys(packageJson.dependencies));
    const builtins = new Set(builtinModules);
    const imported = new Set<string>();
    for (const file of compiledFiles(path.join(root, 'dist')).filter((name) => name.endsWith('.js'))) {
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:^\s*import\s+|\bfrom\s+|\bimport\(\s*)['"]([^'"./\s][^'"\s]*)['"]/gm)) imported.add(packageName(specifier!));
    }
    const missing = [...imported].filter((name) => !name.startsWith('node:') && !builtins.has(name) && !production.has(name));
    expect(missing, 'packages dist/ imports that npm ci --omit=dev would not install').toEqual([]);
    expect(imported.size).toBeGreaterThan(5);
    expect(Object.keys(packageJson.dependencies).filter((name) => name === 'tsx' || name.startsWith('@types/'))).toEqual([]);
  });

  it('starts `node dist/server.js` on the embedded store and answers SCIM with the JSON schemas found from dist', async () => {
    const certs = path.join(root, 'data', 'certs');
    const scim = createHttpsClient(service.scimUrl, {
      ca: readFileSync(path.join(certs, 'ca.pem'), 'utf8'),
      cert: readFileSync(path.join(certs, 'client.pem'), 'utf8'),
      key: readFileSync(path.join(certs, 'client-key.pem'), 'utf8'),
    });
    try {
      const schemas = await scim.get('/Schemas');
      expect(schemas.status).toBe(200);
      const ids = schemas.body.Resources.map((schema: { id: string }) => schema.id);
      expect(ids).toEqual(expect.arrayContaining(['urn:ietf:params:scim:schemas:extension:voiceportal:2.0:User', 'urn:ietf:params:scim:schemas:extension:voiceportal:2.0:Mailbox']));
      // Entra's Test Connection, with the README's Tenant URL carrying the aadOptscim062020 flag.
      const probe = await scim.get(`/Users?aadOptscim062020&filter=${encodeURIComponent('userName eq "5c1f0c2e-3a5b-4f51-9d37-0f4c1c0b7a11"')}`);
      expect([probe.status, probe.body.totalResults, probe.body.Resources]).toEqual([200, 0, []]);
    } finally {
      scim.close();
    }
  });

  it('runs the CLI from dist when there are no sources (bin/scim-voice-portal.js)', async () => {
    const { stdout } = await run(process.execPath, [path.join(root, 'bin', 'scim-voice-portal.js'), 'registrations', 'list'], {
      cwd: root,
      env: { PATH: process.env.PATH, DATA_DIR: path.join(root, 'data'), ADMIN_PORT: new URL(service.adminUrl).port },
    });
    expect(JSON.parse(stdout).map((registration: { name: string }) => registration.name)).toEqual(['development']);
  });
});

function compiledFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The compiled service as the image's CMD runs it, with a data folder of its own and any free ports. */
async function startCompiledService(root: string) {
  const child = spawn(process.execPath, ['dist/server.js'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', SCIM_PORT: '0', ADMIN_PORT: '0', DATA_DIR: path.join(root, 'data'), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = await new Promise<{ scimUrl: string; adminUrl: string }>((resolve, reject) => {
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((candidate) => candidate.includes('"service started"'));
      if (line) resolve(JSON.parse(line));
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code, signal) => reject(new Error(`node dist/server.js ended (${signal ?? code}) before it started:\n${output}`)));
  });
  return { child, scimUrl: started.scimUrl, adminUrl: started.adminUrl };
}
