import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  certificateIdentity,
  createCertificateAuthority,
  createRevocationList,
  issueClientCertificate,
  issueServerCertificate,
  pemBlocks,
  revokedSerialNumbers,
  type IssuedCertificate,
} from '../../../src/pki/certificates.js';
import { ensureDevCertificates } from '../../../src/pki/dev-certificates.js';

const DAY_MS = 86_400_000;

describe('certificates in a real TLS handshake', () => {
  let ca: IssuedCertificate;
  let otherCa: IssuedCertificate;
  let serverCertificate: IssuedCertificate;
  let good: IssuedCertificate;
  let revoked: IssuedCertificate;
  let goodOfOtherCa: IssuedCertificate;
  let crl: string;
  let crlOfOtherCa: string;
  const servers: https.Server[] = [];

  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: 'Unit CA', validDays: 5 });
    otherCa = await createCertificateAuthority({ commonName: 'Second trusted CA', validDays: 5 });
    serverCertificate = await issueServerCertificate(ca, { commonName: 'localhost', hostnames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'], validDays: 5 });
    good = await issueClientCertificate(ca, { commonName: 'good', organization: 'Contoso', validDays: 5 });
    revoked = await issueClientCertificate(ca, { commonName: 'revoked', validDays: 5 });
    goodOfOtherCa = await issueClientCertificate(otherCa, { commonName: 'good of the other CA', validDays: 5 });
    crl = await createRevocationList(ca, [revoked.serialNumber], { nextUpdateDays: 5 });
    crlOfOtherCa = await createRevocationList(otherCa, [], { nextUpdateDays: 5 });
  });
  afterAll(() => servers.forEach((server) => server.close()));

  /** `strict` refuses in the handshake; otherwise the response names OpenSSL's verdict (`authorizationError`). */
  async function startServer(trust: { ca: string[]; crl?: string | string[] }, strict = false): Promise<number> {
    const options = { cert: serverCertificate.certificatePem, key: serverCertificate.privateKeyPem, requestCert: true, rejectUnauthorized: strict, ...trust };
    const server = https.createServer(options, (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      res.end(JSON.stringify({ verdict: socket.authorizationError ?? 'authorized', fingerprint256: peer.fingerprint256, serialNumber: peer.serialNumber, validTo: peer.valid_to }));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  function call(port: number, client: IssuedCertificate): Promise<{ verdict: string; fingerprint256: string; serialNumber: string; validTo: string }> {
    return new Promise((resolve, reject) => {
      const options = { host: '127.0.0.1', port, ca: ca.certificatePem, cert: client.certificatePem, key: client.privateKeyPem, agent: false };
      const request = https.get(options, (res) => {
        let body = '';
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(JSON.parse(body)));
      });
      request.on('error', reject);
    });
  }

  const expiredOf = (authority: IssuedCertificate) =>
    issueClientCertificate(authority, { commonName: 'expired', validDays: 1, notBefore: new Date(Date.now() - 5 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) });
  const foreign = async () => issueClientCertificate(await createCertificateAuthority({ commonName: 'Untrusted CA', validDays: 5 }), { commonName: 'foreign', validDays: 5 });

  it('accepts a client certificate of the CA; the socket reports what certificateIdentity says', async () => {
    const port = await startServer({ ca: [ca.certificatePem], crl }, true);
    const seen = await call(port, good);
    const identity = certificateIdentity(good.certificatePem);
    expect(seen).toEqual({ verdict: 'authorized', fingerprint256: identity.fingerprint256, serialNumber: identity.serialNumber, validTo: identity.validTo });
    expect(identity.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(good).toMatchObject({ fingerprint256: identity.fingerprint256, subject: 'CN=good\nO=Contoso', issuer: 'CN=Unit CA' });
  });

  it('refuses in the handshake an expired certificate, one from another CA, and one the CRL revokes', async () => {
    const port = await startServer({ ca: [ca.certificatePem], crl }, true);
    for (const client of [await expiredOf(ca), await foreign(), revoked]) await expect(call(port, client)).rejects.toThrow();
  });

  it('refuses each of them for the right reason', async () => {
    const port = await startServer({ ca: [ca.certificatePem], crl });
    expect((await call(port, await expiredOf(ca))).verdict).toBe('CERT_HAS_EXPIRED');
    expect((await call(port, await foreign())).verdict).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect((await call(port, revoked)).verdict).toBe('CERT_REVOKED');
  });

  it('with a CRL configured, every trusted CA needs one, passed as an array (a string yields only its first CRL)', async () => {
    const cas = [ca.certificatePem, otherCa.certificatePem];
    const crlFile = crl + crlOfOtherCa;
    const firstOnly = await startServer({ ca: cas, crl: crlFile });
    expect((await call(firstOnly, goodOfOtherCa)).verdict).toBe('UNABLE_TO_GET_CRL');
    const both = await startServer({ ca: cas, crl: pemBlocks(crlFile) });
    expect((await call(both, goodOfOtherCa)).verdict).toBe('authorized');
    expect((await call(both, revoked)).verdict).toBe('CERT_REVOKED');
  });

  it('a CRL past its next update refuses every client of its CA', async () => {
    const port = await startServer({ ca: [ca.certificatePem], crl: await createRevocationList(ca, [], { nextUpdateDays: -1 }) });
    expect((await call(port, good)).verdict).toBe('CRL_HAS_EXPIRED');
  });

  it('PEM files end with a newline, so concatenated files make a valid CA bundle', async () => {
    const port = await startServer({ ca: [ca.certificatePem + otherCa.certificatePem] });
    expect((await call(port, goodOfOtherCa)).verdict).toBe('authorized');
    expect(pemBlocks(ca.certificatePem + otherCa.certificatePem)).toEqual([ca.certificatePem, otherCa.certificatePem]);
  });
});

describe('certificate contents', () => {
  it('serial numbers are positive, random and unique, and read back from a CRL', async () => {
    const ca = await createCertificateAuthority({ commonName: 'Serial CA', validDays: 1 });
    const serials = await Promise.all(Array.from({ length: 30 }, (_, i) => issueClientCertificate(ca, { commonName: `c${i}`, validDays: 1 }).then((c) => c.serialNumber)));
    expect(new Set(serials).size).toBe(30);
    for (const serial of serials) expect(serial).toMatch(/^[0-7][0-9A-F]{31}$/);
    expect(revokedSerialNumbers(await createRevocationList(ca, serials, { nextUpdateDays: 1 }))).toEqual(serials);
  });

  it('the CA may only sign; the server certificate names its hosts and addresses', async () => {
    const ca = await createCertificateAuthority({ commonName: 'Extensions CA', validDays: 1 });
    const server = new X509Certificate((await issueServerCertificate(ca, { commonName: 'localhost', hostnames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'], validDays: 1 })).certificatePem);
    expect(new X509Certificate(ca.certificatePem).ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(server.checkIssued(new X509Certificate(ca.certificatePem))).toBe(true);
  });
});

describe('development certificates', () => {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'dev-certs-')), 'certs');
  afterAll(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

  const snapshot = (files: Record<string, string>) =>
    Object.fromEntries(Object.entries(files).map(([key, file]) => [key, { content: readFileSync(file, 'utf8'), mtimeMs: statSync(file).mtimeMs }]));

  it('are created once: a CA, a localhost server certificate, a two-year dev-client certificate, keys 0600', async () => {
    const { created, files } = await ensureDevCertificates(dir);
    expect(created).toBe(true);
    const client = new X509Certificate(readFileSync(files.clientCert));
    expect(client.subject).toBe('CN=dev-client');
    expect(Math.round((Date.parse(client.validTo) - Date.parse(client.validFrom)) / DAY_MS)).toBe(730);
    expect(client.checkIssued(new X509Certificate(readFileSync(files.caCert)))).toBe(true);
    expect(new X509Certificate(readFileSync(files.serverCert)).subjectAltName).toContain('IP Address:0:0:0:0:0:0:0:1');
    expect(statSync(files.serverKey).mode & 0o777).toBe(0o600);
    expect(statSync(files.clientKey).mode & 0o777).toBe(0o600);
  });

  it('are then reused, never overwritten', async () => {
    const before = snapshot((await ensureDevCertificates(dir)).files);
    const again = await ensureDevCertificates(dir);
    expect(again.created).toBe(false);
    expect(snapshot(again.files)).toEqual(before);
  });

  it('a folder with only some of them is an error naming what is missing, and nothing is written', async () => {
    const { files } = await ensureDevCertificates(dir);
    unlinkSync(files.clientKey);
    const { clientKey: _missing, ...remaining } = files;
    const before = snapshot(remaining);
    await expect(ensureDevCertificates(dir)).rejects.toThrow(/missing .*client-key\.pem/);
    expect(snapshot(remaining)).toEqual(before);
    expect(() => statSync(files.clientKey)).toThrow();
  });
});
