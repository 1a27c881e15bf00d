import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('development certificates are made only for a loopback listener', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'scim-startup-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('HOST=0.0.0.0 without TLS files: the service refuses to start with a clear message, no stack trace, and makes nothing', async () => {
    const started = run(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: { PATH: process.env.PATH, HOST: '0.0.0.0', SCIM_PORT: '0', ADMIN_PORT: '0', DATA_DIR: dataDir },
      timeout: 60_000,
    });
    const failure = await started.then(
      () => expect.unreachable('the service started'),
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain('HOST: 0.0.0.0 is not a loopback address');
    expect(failure.stderr).toContain('Set TLS_CERT_FILE, TLS_KEY_FILE, TLS_CLIENT_CA_FILE');
    expect(failure.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(path.join(dataDir, 'certs'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'scim.db'))).toBe(false);
  });
});
