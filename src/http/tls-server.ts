import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import { pemBlocks } from '../pki/certificates.js';

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
        // Open keep-alive connections were verified against the old CA/CRL: idle ones are closed so
        // a revoked client must handshake again.
        reload: (next) => {
          server.setSecureContext(secureOptions(next));
          server.closeIdleConnections();
        },
        close: () => closeServer(server),
      });
    });
  });
}

/** A CRL file may hold one CRL per CA; given as one string, Node would read only the first. */
function secureOptions({ cert, key, clientCa, crl }: TlsMaterial) {
  return { cert, key, ca: clientCa, ...(crl ? { crl: pemBlocks(crl) } : {}) };
}

function closeServer(server: https.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
