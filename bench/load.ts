/**
 * How the benchmarks load a server: the load generator runs in its own process pinned to core 0
 * and the process under test is pinned to core 1 (when the machine has two cores and `taskset`),
 * so neither steals the other's CPU. The ceiling is a bare `node:https` server with client
 * certificates answering one ~600-byte SCIM user: the physical limit of this runtime on this
 * machine, measured in the same run, against which every scenario is reported as a fraction.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { LoadPlan, LoadResult } from './load-generator.js';

export type { LoadPlan, LoadResult, PlannedRequest } from './load-generator.js';

const canPin = os.availableParallelism() >= 2 && hasTaskset();

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins this process (every thread: libuv's pool too) to core 1; the load generator gets core 0. */
export function pinServerCore(): string {
  if (!canPin) return 'not pinned (one core or no taskset)';
  execFileSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
  return 'server on core 1, load generator on core 0';
}

export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-plan-'));
  const planFile = path.join(dir, 'plan.json');
  writeFileSync(planFile, JSON.stringify(plan));
  const node = [process.execPath, '--import', 'tsx', path.join(import.meta.dirname, 'load-generator.ts'), planFile];
  const [command, ...args] = canPin ? ['taskset', '-c', '0', ...node] : node;
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`load generator exited ${code}`))));
    });
    return JSON.parse(output.trim().split('\n').at(-1)!) as LoadResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A SCIM user of about 600 bytes, as the service renders one. */
export const CEILING_BODY = JSON.stringify({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
  id: '7d3f2a6e-1b4c-4e8a-9f0d-2c5b6a7e8f90',
  externalId: 'a1b2c3d4-e5f6-4789-a0b1-c2d3e4f5a6b7',
  userName: 'jane.doe@contoso.example',
  name: { givenName: 'Jane', familyName: 'Doe', formatted: 'Jane Doe' },
  displayName: 'Jane Doe',
  active: true,
  emails: [{ type: 'work', primary: true, value: 'jane.doe@contoso.example' }],
  addresses: [{ type: 'work', locality: 'Seattle', country: 'US' }],
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Sales', employeeNumber: '10042' },
  meta: {
    resourceType: 'User',
    created: '2026-11-01T10:00:00.000Z',
    lastModified: '2026-11-01T10:00:00.000Z',
    version: 'W/"3"',
    location: 'https://127.0.0.1:8443/scim/v2/Users/7d3f2a6e-1b4c-4e8a-9f0d-2c5b6a7e8f90',
  },
});

export interface Ceiling {
  url: string;
  close(): Promise<void>;
}

/** The bare `node:https` server: mutual TLS, keep-alive, one fixed SCIM user per request. */
export async function startCeiling(tls: { cert: string; key: string; ca: string }): Promise<Ceiling> {
  const server = createServer({ ...tls, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    req.resume();
    req.once('end', () => res.writeHead(200, { 'content-type': 'application/scim+json', etag: 'W/"3"' }).end(CEILING_BODY));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as { port: number }).port}/scim/v2`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
