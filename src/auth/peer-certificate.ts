import type { TLSSocket } from 'node:tls';
import type { Request } from 'express';
import type { Strategy, StrategyCreated } from 'passport';
import type { AuthenticatedCaller, CertificateIdentity } from './credentials.js';
import { certificateNames } from '../pki/distinguished-name.js';

/**
 * What authentication needs of a connection's client certificate, read once per TLS connection.
 * `getPeerCertificate()` makes Node parse the whole certificate into a new object on every call:
 * called for every keep-alive request it cost 7–12 % of the service's CPU. The certificate cannot
 * change on a connection (the SCIM listener refuses renegotiation, see tls-server.ts) and neither
 * can `socket.authorized`, so what the first request read holds for the connection's life.
 * `null`: the connection presented no certificate.
 */
const identities = new WeakMap<TLSSocket, CertificateIdentity | null>();

export function connectionCertificate(socket: TLSSocket): CertificateIdentity | undefined {
  let identity = identities.get(socket);
  if (identity === undefined) {
    identity = identityOf(socket.getPeerCertificate?.());
    identities.set(socket, identity);
  }
  return identity ?? undefined;
}

/** Names come from the certificate's DER, never from the socket's parsed name object (which loses escaping). */
function identityOf(certificate: { raw?: Buffer; fingerprint256?: string; serialNumber?: string } | undefined): CertificateIdentity | null {
  if (!certificate || Object.keys(certificate).length === 0) return null;
  return {
    fingerprint256: certificate.fingerprint256 ?? '',
    ...(certificate.raw ? certificateNames(certificate.raw) : { issuer: '', subject: '', nameDigest: '' }),
    serialNumber: certificate.serialNumber ?? '',
  };
}

type Verified = (error: unknown, caller?: AuthenticatedCaller | false) => void;

/**
 * The passport strategy `client-cert`: a certificate the TLS layer verified (trusted CA, in its
 * validity, not revoked) is handed to `verify`; an unverified or missing one fails. It does what
 * passport-client-cert did, reading the certificate through `connectionCertificate`.
 */
export function clientCertificateStrategy(verify: (req: Request, identity: CertificateIdentity, done: Verified) => void): Strategy {
  return {
    name: 'client-cert',
    authenticate(this: StrategyCreated<Strategy>, req: Request) {
      const socket = req.socket as TLSSocket;
      const identity = socket.authorized ? connectionCertificate(socket) : undefined;
      if (!identity) return this.fail();
      verify(req, identity, (error, caller) => {
        if (error) return this.error(error);
        if (!caller) return this.fail();
        this.success(caller);
      });
    },
  };
}
