import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueClientCertificate, issueServerCertificate, type IssuedCertificate } from '../../src/pki/certificates.js';

const DAY_MS = 86_400_000;

/** The real `npm start` entry point with only the given settings; resolves once it has exited. */
function startService(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: { PATH: process.env.PATH, HOST: '127.0.0.1', SCIM_PORT: '0', ADMIN_PORT: '0', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

/** A port something else is listening on, and how to free it. */
async function occupiedPort(): Promise<{ port: number; release(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, release: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const { port, release } = await occupiedPort();
  await release();
  return port;
}

function expectClearFailure(result: { code: number | null; stderr: string }, ...phrases: (string | RegExp)[]): void {
  expect(result.code, result.stderr).not.toBe(0);
  for (const phrase of phrases) expect(result.stderr).toMatch(phrase);
  // A message, not a stack trace.
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

// Each case starts a real process (a few seconds each on a busy machine).
describe('start-up failures are explained, without a stack trace, and the process exits non-zero', { timeout: 60_000 }, () => {
  let dir: string;
  let ca: IssuedCertificate;
  let server: IssuedCertificate;
  const files = (name: string) => path.join(dir, name);
  /** Settings of a valid TLS set-up, with some files replaced. */
  const tlsEnv = (overrides: Record<string, string> = {}) => ({
    DATA_DIR: files('data'),
    TLS_CERT_FILE: files('server.pem'),
    TLS_KEY_FILE: files('server-key.pem'),
    TLS_CLIENT_CA_FILE: files('ca.pem'),
    ...overrides,
  });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'scim-startup-'));
    ca = await createCertificateAuthority({ commonName: 'Startup CA', validDays: 30 });
    server = await issueServerCertificate(ca, { commonName: 'localhost', hostnames: ['localhost'], ipAddresses: ['127.0.0.1'], validDays: 30 });
    const other = await issueServerCertificate(ca, { commonName: 'other', hostnames: ['other'], ipAddresses: [], validDays: 30 });
    const expired = await issueClientCertificate(ca, { commonName: 'expired-server', validDays: 1, notBefore: new Date(Date.now() - 10 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) });
    writeFileSync(files('server.pem'), server.certificatePem);
    writeFileSync(files('server-key.pem'), server.privateKeyPem);
    writeFileSync(files('ca.pem'), ca.certificatePem);
    writeFileSync(files('other-key.pem'), other.privateKeyPem);
    writeFileSync(files('expired.pem'), expired.certificatePem);
    writeFileSync(files('expired-key.pem'), expired.privateKeyPem);
    writeFileSync(files('not-pem.txt'), 'this is not a key\n');
    mkdirSync(files('a-folder'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the SCIM port is already in use: names the listener, the port and SCIM_PORT', async () => {
    const taken = await occupiedPort();
    try {
      const result = await startService({ ...tlsEnv(), SCIM_PORT: String(taken.port) });
      expectClearFailure(result, `The SCIM listener cannot start: port ${taken.port} on 127.0.0.1 is already in use`, /set SCIM_PORT/);
    } finally {
      await taken.release();
    }
  });

  it('the admin port is already in use: names the admin listener and ADMIN_PORT', async () => {
    const taken = await occupiedPort();
    try {
      const result = await startService({ ...tlsEnv(), ADMIN_PORT: String(taken.port) });
      expectClearFailure(result, `The admin listener cannot start: port ${taken.port} on 127.0.0.1 is already in use`, /set ADMIN_PORT/);
    } finally {
      await taken.release();
    }
  });

  it('MongoDB refuses connections: the host and port without the credentials, the cause and the time waited', async () => {
    const port = await closedPort();
    const result = await startService({ ...tlsEnv(), MONGODB_URI: `mongodb://portal-app:Sup3rSecretPw@127.0.0.1:${port}/portal?authSource=admin`, MONGODB_SERVER_SELECTION_TIMEOUT_MS: '300' });
    expectClearFailure(result, `Cannot reach MongoDB at 127.0.0.1:${port} (from MONGODB_URI) after waiting`, /ECONNREFUSED/, /MONGODB_SERVER_SELECTION_TIMEOUT_MS/);
    expect(result.stderr).not.toMatch(/Sup3rSecretPw|portal-app/);
  });

  it('the MongoDB host name does not resolve: says so', async () => {
    const result = await startService({ ...tlsEnv(), MONGODB_URI: 'mongodb://no-such-host.invalid:27017/portal', MONGODB_SERVER_SELECTION_TIMEOUT_MS: '300' });
    expectClearFailure(result, 'Cannot reach MongoDB at no-such-host.invalid:27017', /ENOTFOUND|EAI_AGAIN/, /after waiting \d+\.\d s/);
  });

  it('a TLS file that cannot be read (a folder): names the setting and the file', async () => {
    const result = await startService(tlsEnv({ TLS_KEY_FILE: files('a-folder') }));
    expectClearFailure(result, `Cannot read TLS_KEY_FILE (${files('a-folder')}): it is a folder`);
  });

  it('a key file that is not a PEM private key: names the setting', async () => {
    const result = await startService(tlsEnv({ TLS_KEY_FILE: files('not-pem.txt') }));
    expectClearFailure(result, `TLS_KEY_FILE (${files('not-pem.txt')}) is not a readable PEM private key`);
  });

  it('a key that belongs to another certificate: says which files do not match', async () => {
    const result = await startService(tlsEnv({ TLS_KEY_FILE: files('other-key.pem') }));
    expectClearFailure(result, `TLS_KEY_FILE (${files('other-key.pem')}) is not the private key of the certificate in TLS_CERT_FILE (${files('server.pem')})`);
  });

  it('an expired server certificate: says when it expired', async () => {
    const result = await startService(tlsEnv({ TLS_CERT_FILE: files('expired.pem'), TLS_KEY_FILE: files('expired-key.pem') }));
    expectClearFailure(result, /The server certificate in TLS_CERT_FILE \(.*expired\.pem\) \(CN=expired-server\) expired on \d{4}-\d\d-\d\dT/, /renew it/);
  });

  it('a client CA bundle without a CA certificate (a server certificate given by mistake)', async () => {
    const result = await startService(tlsEnv({ TLS_CLIENT_CA_FILE: files('server.pem') }));
    expectClearFailure(result, `TLS_CLIENT_CA_FILE (${files('server.pem')}) holds only 1 certificate(s) that are not CAs (CN=localhost)`);
  });
});
