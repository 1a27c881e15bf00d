import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestService } from './test-service.js';

export interface ServiceProcess {
  adminUrl: string;
  /** Base URL of the SCIM API (`https://127.0.0.1:<port>/scim/v2`). */
  scimUrl: string;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  child: ChildProcess;
  /** Resolves with the signal or exit code once the process is gone. */
  exited: Promise<NodeJS.Signals | number | null>;
}

export interface ServiceProcessOptions {
  /** Flags for `node` itself (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** Run the compiled `dist/server.js` (as `npm run start:dist` and the image do; build it first) instead of the sources. */
  fromDist?: boolean;
}

/**
 * The real service (`src/server.ts`, as `npm start` runs it, or `dist/server.js`) in a process of its
 * own, on the same database and certificates as `service`: a process the test can kill without warning.
 */
export async function startServiceProcess(service: TestService, env: Record<string, string> = {}, { nodeArgs = [], fromDist = false }: ServiceProcessOptions = {}): Promise<ServiceProcess> {
  const ownDir = mkdtempSync(path.join(os.tmpdir(), 'scim-process-'));
  // tsx as a loader, not its CLI: the CLI runs the service in a grandchild that SIGKILL would miss.
  const entry = fromDist ? ['dist/server.js'] : ['--import', 'tsx', 'src/server.ts'];
  const child = spawn(process.execPath, [...nodeArgs, ...entry], {
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      SCIM_PORT: '0',
      ADMIN_PORT: '0',
      DATA_DIR: ownDir,
      TLS_CERT_FILE: path.join(service.dir, 'server.pem'),
      TLS_KEY_FILE: path.join(service.dir, 'server-key.pem'),
      TLS_CLIENT_CA_FILE: path.join(service.dir, 'ca.pem'),
      ADMIN_TOKEN: service.adminToken,
      LOG_LEVEL: 'info',
      ...service.storeEnv,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  void exited.then(() => rmSync(ownDir, { recursive: true, force: true }));
  let output = '';
  const urls = await new Promise<{ adminUrl: string; scimUrl: string }>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const started = output.split('\n').find((line) => line.includes('"service started"'));
      if (started) resolve(JSON.parse(started));
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((how) => reject(new Error(`service process ended (${how}) before it started:\n${output}`)));
  });
  return { adminUrl: urls.adminUrl, scimUrl: urls.scimUrl, output: () => output, child, exited };
}
