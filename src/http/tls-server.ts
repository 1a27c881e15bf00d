import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** CA bundle trusted to sign client certificates. */
  clientCa: string;
  crl?: string;
}

export interface RunningServer {
  server: https.Server;
  port: number;
  /** Swaps the trusted CA / CRL without a restart (running connections keep their context). */
  reload(material: TlsMaterial): void;
  close(): Promise<void>;
}

/**
 * HTTPS that asks every client for a certificate. The handshake accepts unverified or
 * missing certificates on purpose: the request is then refused with a SCIM 401 that can
 * be logged and audited, and bearer credentials remain possible for clients such as Entra.
 */
export function startTlsServer(
  material: TlsMaterial,
  listener: RequestListener,
  host: string,
  port: number,
  { requestCert = true }: { requestCert?: boolean } = {},
): Promise<RunningServer> {
  const server = https.createServer({ ...secureOptions(material), requestCert, rejectUnauthorized: false, minVersion: 'TLSv1.2' }, listener);
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        reload: (next) => server.setSecureContext(secureOptions(next)),
        close: () => closeServer(server),
      });
    });
  });
}

function secureOptions({ cert, key, clientCa, crl }: TlsMaterial) {
  return { cert, key, ca: clientCa, ...(crl ? { crl } : {}) };
}

function closeServer(server: https.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
