import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, createRevocationList, issueClientCertificate, issueServerCertificate, type IssuedCertificate } from '../../../src/pki/certificates.js';
import { ensureDevCertificates } from '../../../src/pki/dev-certificates.js';

describe('certificates work in a real TLS handshake', () => {
  let ca: IssuedCertificate;
  let revoked: IssuedCertificate;
  let server: https.Server;
  let seenFingerprint: string | undefined;

  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: 'Unit CA', validDays: 5 });
    const serverCertificate = await issueServerCertificate(ca, { commonName: 'localhost', hostnames: ['localhost'], ipAddresses: ['127.0.0.1'], validDays: 5 });
    revoked = await issueClientCertificate(ca, { commonName: 'revoked', validDays: 5 });
    server = https.createServer(
      {
        cert: serverCertificate.certificatePem,
        key: serverCertificate.privateKeyPem,
        ca: ca.certificatePem,
        crl: await createRevocationList(ca, [revoked.serialNumber], { nextUpdateDays: 5 }),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        seenFingerprint = (req.socket as TLSSocket).getPeerCertificate().fingerprint256;
        res.end('ok');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => server.close());

  const call = (client: IssuedCertificate) =>
    new Promise<number>((resolve, reject) => {
      const request = https.get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ca: ca.certificatePem, cert: client.certificatePem, key: client.privateKeyPem, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      request.on('error', reject);
    });

  it('accepts a client certificate of the CA, and the socket reports the same fingerprint', async () => {
    const client = await issueClientCertificate(ca, { commonName: 'good', validDays: 5 });
    expect(await call(client)).toBe(200);
    expect(seenFingerprint).toBe(client.fingerprint256);
  });

  it('refuses an expired certificate, one from another CA, and one the CRL revokes', async () => {
    const expired = await issueClientCertificate(ca, { commonName: 'expired', validDays: 1, notBefore: new Date(Date.now() - 5 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const foreign = await issueClientCertificate(await createCertificateAuthority({ commonName: 'Other', validDays: 5 }), { commonName: 'foreign', validDays: 5 });
    for (const client of [expired, foreign, revoked]) await expect(call(client)).rejects.toThrow();
  });
});

describe('development certificates', () => {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'dev-certs-')), 'certs');
  afterAll(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('are created once, then reused without being overwritten; private keys are 0600', async () => {
    const first = await ensureDevCertificates(dir);
    expect(first.created).toBe(true);
    const before = readFileSync(first.files.clientCert, 'utf8');
    const mtime = statSync(first.files.clientCert).mtimeMs;
    const second = await ensureDevCertificates(dir);
    expect(second.created).toBe(false);
    expect(readFileSync(second.files.clientCert, 'utf8')).toBe(before);
    expect(statSync(second.files.clientCert).mtimeMs).toBe(mtime);
    expect(statSync(first.files.serverKey).mode & 0o777).toBe(0o600);
  });

  it('a folder with only some of them is an error naming what is missing', async () => {
    const { files } = await ensureDevCertificates(dir);
    unlinkSync(files.clientKey);
    await expect(ensureDevCertificates(dir)).rejects.toThrow(/missing .*client-key\.pem/);
  });
});
