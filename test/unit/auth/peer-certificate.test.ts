import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionCertificate } from '../../../src/auth/peer-certificate.js';
import { certificateNames } from '../../../src/pki/distinguished-name.js';
import { startTlsServer, type RunningServer } from '../../../src/http/tls-server.js';
import { createCertificateAuthority, issueClientCertificate, issueServerCertificate, type IssuedCertificate } from '../../../src/pki/certificates.js';

const REQUESTS_PER_CONNECTION = 3;

describe('the client certificate is read once per TLS connection', () => {
  let ca: IssuedCertificate;
  let client: IssuedCertificate;
  let running: RunningServer;
  /** Node's own getPeerCertificate calls, counted per connection. */
  const reads = new Map<TLSSocket, number>();

  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: 'Peer CA', validDays: 2 });
    client = await issueClientCertificate(ca, { commonName: 'peer, client', organization: 'Contoso', validDays: 1 });
    const server = await issueServerCertificate(ca, { commonName: 'localhost', hostnames: ['localhost'], ipAddresses: ['127.0.0.1'], validDays: 1 });
    const material = { cert: server.certificatePem, key: server.privateKeyPem, clientCa: ca.certificatePem };
    running = await startTlsServer(material, (req, res) => res.end(JSON.stringify(connectionCertificate(req.socket as TLSSocket) ?? null)), '127.0.0.1', 0, {
      name: { name: 'test', portSetting: 'TEST_PORT' },
    });
    running.server.on('secureConnection', (socket: TLSSocket) => {
      const read = socket.getPeerCertificate.bind(socket);
      reads.set(socket, 0);
      socket.getPeerCertificate = ((detailed?: boolean) => {
        reads.set(socket, (reads.get(socket) ?? 0) + 1);
        return read(detailed as true);
      }) as TLSSocket['getPeerCertificate'];
    });
  });
  afterAll(() => running.close());

  /** Requests one after the other over one keep-alive connection. */
  async function requestsOverOneConnection(credentials: { cert?: string; key?: string }): Promise<unknown[]> {
    const agent = new https.Agent({ ca: ca.certificatePem, ...credentials, keepAlive: true, maxSockets: 1 });
    const answers: unknown[] = [];
    for (let i = 0; i < REQUESTS_PER_CONNECTION; i += 1) {
      answers.push(
        await new Promise((resolve, reject) => {
          https
            .get({ host: '127.0.0.1', port: running.port, servername: 'localhost', agent }, (res) => {
              let body = '';
              res.on('data', (chunk: string) => (body += chunk));
              res.on('end', () => resolve(JSON.parse(body)));
            })
            .on('error', reject);
        }),
      );
    }
    agent.destroy();
    return answers;
  }

  it('REG-2 gives every request of a connection the identity of its certificate, names read from the DER', async () => {
    reads.clear();
    const answers = await requestsOverOneConnection({ cert: client.certificatePem, key: client.privateKeyPem });
    const x509 = new X509Certificate(client.certificatePem);
    const expected = { fingerprint256: x509.fingerprint256, serialNumber: x509.serialNumber, ...certificateNames(x509.raw) };
    expect(expected.subject).toBe('CN=peer\\, client, O=Contoso');
    expect(answers).toEqual(Array(REQUESTS_PER_CONNECTION).fill(expected));
    expect([...reads.values()]).toEqual([1]);
  });

  it('remembers that a connection presented no certificate', async () => {
    reads.clear();
    expect(await requestsOverOneConnection({})).toEqual(Array(REQUESTS_PER_CONNECTION).fill(null));
    expect([...reads.values()]).toEqual([1]);
  });
});
