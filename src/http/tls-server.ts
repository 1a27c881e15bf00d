import { constants } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RequestListener, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { pemBlocks } from '../pki/certificates.js';
import { AppError } from '../kernel/app-error.js';
import { answerMalformedRequests, type ErrorAnswer } from './malformed-requests.js';

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
  /**
   * Stops accepting connections and lets the requests in progress finish, for at most
   * `timeoutMs`; then cuts the connections left. Resolves with how many were cut.
   */
  close(timeoutMs?: number): Promise<{ cut: number }>;
}

/** For start-up messages: which listener, and the setting that moves it. */
export interface ListenerName {
  name: string;
  portSetting: string;
}

/** While draining, connections that finished their request are closed this often (keep-alive would hold them). */
const IDLE_SWEEP_MS = 50;

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
  { requestCert = true, name, errorAnswer }: { requestCert?: boolean; name: ListenerName; errorAnswer?: ErrorAnswer },
): Promise<RunningServer> {
  const server = https.createServer({ ...secureOptions(material), requestCert, rejectUnauthorized: false }, listener);
  if (errorAnswer) answerMalformedRequests(server, errorAnswer);
  server.keepAliveTimeout = 65_000;
  // A listener that asks for no client certificate keeps its connections across a reload.
  const retireConnections = requestCert ? connectionRetirement(server) : () => undefined;
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(listenError(error, name, host, port));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        reload: (next) => {
          server.setSecureContext(secureOptions(next));
          retireConnections();
        },
        close: (timeoutMs = 0) => drain(server, timeoutMs),
      });
    });
  });
}

/**
 * Everything the secure context holds: `setSecureContext` resets what it is not given. A CRL file may
 * hold one CRL per CA; given as one string, Node would read only the first. Renegotiation is refused
 * (Node allows a TLS 1.2 client to start one): a connection keeps the certificate it was verified
 * with, which authentication reads once per connection (auth/peer-certificate.ts).
 */
function secureOptions({ cert, key, clientCa, crl }: TlsMaterial) {
  return { cert, key, ca: clientCa, ...(crl ? { crl: pemBlocks(crl) } : {}), minVersion: 'TLSv1.2' as const, secureOptions: constants.SSL_OP_NO_RENEGOTIATION };
}

/**
 * Open keep-alive connections were verified against the old CA/CRL, and authentication reads a
 * connection's certificate once (auth/peer-certificate.ts). The returned function, called after the
 * trust material changed, closes the idle connections now and the busy ones after their current
 * response, so a revoked client must handshake again before its next request.
 */
function connectionRetirement(server: https.Server): () => void {
  const open = new Set<TLSSocket>();
  const current = new WeakMap<TLSSocket, ServerResponse>();
  const retired = new WeakSet<TLSSocket>();
  server.on('secureConnection', (socket: TLSSocket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  // Ahead of the application, which may answer before returning.
  server.prependListener('request', (req, res: ServerResponse) => {
    const socket = req.socket as TLSSocket;
    current.set(socket, res);
    // Its headers were still arriving when the trust changed: answered, then closed.
    if (retired.has(socket)) res.setHeader('Connection', 'close');
  });
  return () => {
    server.closeIdleConnections();
    for (const socket of open) {
      retired.add(socket);
      const inProgress = current.get(socket);
      if (inProgress && !inProgress.writableEnded) closeAfter(inProgress, socket);
    }
  };
}

function closeAfter(res: ServerResponse, socket: TLSSocket): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
  else res.once('finish', () => socket.destroySoon());
}

function drain(server: https.Server, timeoutMs: number): Promise<{ cut: number }> {
  return new Promise((resolve) => {
    let cut = 0;
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => {
      server.getConnections((_error, open) => {
        cut = open;
        server.closeAllConnections();
      });
    }, timeoutMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve({ cut });
    });
    server.closeIdleConnections();
  });
}

const LISTEN_PROBLEMS: Record<string, (host: string, port: number, name: ListenerName) => string> = {
  EADDRINUSE: (host, port, { portSetting }) => `port ${port} on ${host} is already in use by another process. Stop that process, or set ${portSetting} to a free port`,
  EACCES: (_host, port, { portSetting }) => `this user may not listen on port ${port} (ports below 1024 need privileges). Set ${portSetting} to a port above 1023`,
  EADDRNOTAVAIL: (host) => `${host} is not an address of this machine. Set HOST to one of its addresses (or 0.0.0.0)`,
  ENOTFOUND: (host) => `the host name ${host} does not resolve. Set HOST to an address of this machine`,
};

function listenError(error: NodeJS.ErrnoException, name: ListenerName, host: string, port: number): Error {
  const problem = LISTEN_PROBLEMS[error.code ?? ''];
  return problem ? new AppError('startup.listen_failed', `The ${name.name} listener cannot start: ${problem(host, port, name)}.`, { cause: error }) : error;
}
