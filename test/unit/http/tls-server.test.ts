import { once } from 'node:events';
import tls, { type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTlsServer, type RunningServer, type TlsMaterial } from '../../../src/http/tls-server.js';
import { createCertificateAuthority, issueClientCertificate, issueServerCertificate, type IssuedCertificate } from '../../../src/pki/certificates.js';

describe('the TLS listener', () => {
  let ca: IssuedCertificate;
  let client: IssuedCertificate;
  let material: TlsMaterial;
  let running: RunningServer;

  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: 'Listener CA', validDays: 2 });
    client = await issueClientCertificate(ca, { commonName: 'client', validDays: 1 });
    const server = await issueServerCertificate(ca, { commonName: 'localhost', hostnames: ['localhost'], ipAddresses: ['127.0.0.1'], validDays: 1 });
    material = { cert: server.certificatePem, key: server.privateKeyPem, clientCa: ca.certificatePem };
    running = await startTlsServer(material, (_req, res) => res.end('ok'), '127.0.0.1', 0, { name: { name: 'test', portSetting: 'TEST_PORT' } });
  });
  afterAll(() => running.close());

  /** A TLS 1.2 connection (TLS 1.3 has no renegotiation) that asks to renegotiate once it is up; resolves with the outcome. */
  function renegotiate(): Promise<Error | null> {
    return new Promise((resolve) => {
      const settle = (outcome: Error | null) => {
        socket.destroy();
        resolve(outcome);
      };
      const options = { host: '127.0.0.1', port: running.port, servername: 'localhost', ca: ca.certificatePem, cert: client.certificatePem, key: client.privateKeyPem };
      const socket = tls.connect({ ...options, maxVersion: 'TLSv1.2' }, () => socket.renegotiate({ rejectUnauthorized: true }, settle));
      // A refused renegotiation ends the connection with an alert, before renegotiate's callback is called.
      socket.once('error', settle);
    });
  }

  it('refuses a renegotiation, so a connection keeps the certificate it was verified with', async () => {
    expect((await renegotiate())?.message).toMatch(/no renegotiation|handshake failure/);
  });

  it('closes a connection whose request was still arriving at a reload once it is answered', async () => {
    const serverSide = once(running.server, 'secureConnection') as Promise<[TLSSocket]>;
    const socket = tls.connect({ host: '127.0.0.1', port: running.port, servername: 'localhost', ca: ca.certificatePem, cert: client.certificatePem, key: client.privateKeyPem });
    const [accepted] = await serverSide;
    const closed = once(socket, 'close');
    let answer = '';
    const answered = new Promise<void>((resolve) =>
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString('latin1');
        if (answer.endsWith('\r\n\r\nok')) resolve();
      }),
    );
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n');
    await once(accepted, 'data');
    running.reload(material);
    socket.write('\r\n');
    await answered;
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer.toLowerCase()).toContain('\r\nconnection: close\r\n');
    await closed;
  });

  it('still refuses a renegotiation after the trust material was reloaded', async () => {
    running.reload(material);
    expect((await renegotiate())?.message).toMatch(/no renegotiation|handshake failure/);
  });
});
