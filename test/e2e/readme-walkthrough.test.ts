import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SECTION = '### Trying mutual TLS with the example certificates';

/** The shell block of the README section, as an operator would paste it. */
function walkThrough(): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf(SECTION));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error(`README has no shell block under "${SECTION}"`);
  return block.split('\n').map((line) => line.replace(/\s+#.*$/, '').trim()).filter(Boolean);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.once('error', reject);
  });
}

describe('the README certificate walk-through works as written from a fresh clone', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'scim-walkthrough-'));
  const lines = walkThrough();
  let env: NodeJS.ProcessEnv;
  let service: ChildProcess;
  let ports: { scim: number; admin: number };

  beforeAll(async () => {
    const exported = lines.find((line) => line.startsWith('export '))!;
    const variables = Object.fromEntries(exported.slice('export '.length).split(/\s+/).map((pair) => pair.split('=') as [string, string]));
    // Ports of their own (tests run side by side) and a fresh DATA_DIR; everything else as written.
    ports = { scim: await freePort(), admin: await freePort() };
    env = { PATH: process.env.PATH, ...variables, DATA_DIR: dataDir, SCIM_PORT: String(ports.scim), ADMIN_PORT: String(ports.admin) };
    expect(lines).toContain('npm start');
    service = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let output = '';
      service.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('"service started"')) resolve();
      });
      service.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      service.once('exit', (code) => reject(new Error(`service ended (${code}) before it started:\n${output}`)));
    });
  });
  afterAll(async () => {
    if (service.exitCode === null) {
      const exited = new Promise((resolve) => service.once('exit', resolve));
      service.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('REG-1/REG-2: the CLI follows HOST, ADMIN_PORT and DATA_DIR (no ADMIN_URL, token or CA given) and the bound example client lists users', async () => {
    const commands = lines.filter((line) => line.startsWith('npx scim-voice-portal ') || line.startsWith('curl '));
    expect(commands.map((line) => line.split(' ').slice(0, 3).join(' '))).toEqual([
      'npx scim-voice-portal registrations',
      'npx scim-voice-portal registrations',
      'curl --cacert certs.example/ca.pem',
    ]);
    const outputs: string[] = [];
    for (const command of commands) {
      const [program, ...args] = command.replace(':8443/', `:${ports.scim}/`).split(' ');
      const argv = program === 'npx' ? [process.execPath, 'bin/scim-voice-portal.js', ...args.slice(1)] : ['curl', '--silent', '--show-error', ...args];
      outputs.push((await run(argv[0]!, argv.slice(1), { env })).stdout);
    }
    const [created, bound, listed] = outputs.map((output) => JSON.parse(output!));
    expect(created).toMatchObject({ name: 'contoso', status: 'active' });
    expect(bound.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(listed).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0 });
  });
});
