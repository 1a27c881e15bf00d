import type { TLSSocket } from 'node:tls';
import type { NextFunction, Request, Response } from 'express';
import passport from 'passport';
import { Strategy as ClientCertStrategy, type VerifyFunctionWithRequest } from 'passport-client-cert';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { scimError } from '../scim/errors.js';
import { distinguishedName } from './distinguished-name.js';
import type { AuthenticatedCaller, CertificateIdentity, CredentialResolver, RefusalReason, Resolution } from './credentials.js';

export interface RefusedAttempt {
  reason: RefusalReason;
  detail?: string;
  subject?: string;
  fingerprint256?: string;
}

export interface AuthenticatorDeps {
  resolver: CredentialResolver;
  onRefused(req: Request, res: Response, attempt: RefusedAttempt): void;
}

const TLS_REFUSALS: Record<string, RefusalReason> = {
  CERT_HAS_EXPIRED: 'certificate-expired',
  CERT_NOT_YET_VALID: 'certificate-expired',
  CERT_REVOKED: 'certificate-revoked',
};

/**
 * Authenticates every SCIM request before any handler or body parser runs: a client
 * certificate verified by the TLS layer and bound to a registration (mTLS, the default),
 * or an `Authorization: Bearer` credential for clients such as Entra that cannot present
 * one. Anything else is a SCIM 401 that never tells which registrations exist.
 */
export function createAuthenticator({ resolver, onRefused }: AuthenticatorDeps) {
  const authenticator = new passport.Passport();
  // The strategies drop the verify callback's reason on failure, so it is kept per request here.
  const refusals = new WeakMap<Request, { reason: RefusalReason; detail?: string }>();
  const settle = (req: Request, resolution: Promise<Resolution>, done: Done) =>
    resolution.then((result) => {
      if (result.ok) return done(null, result.caller);
      refusals.set(req, { reason: result.reason, detail: result.detail });
      done(null, false);
    }, done);
  const verifyCertificate = (req: Request, certificate: PeerCertificate, done: Done) => settle(req, resolver.resolveCertificate(identityOf(certificate)), done);
  // passport-client-cert's typings list (certificate, req, done); its code calls verify(req, certificate, done).
  authenticator.use(new ClientCertStrategy({ passReqToCallback: true }, verifyCertificate as unknown as VerifyFunctionWithRequest));
  authenticator.use(new BearerStrategy({ passReqToCallback: true }, (req: Request, token: string, done: Done) => settle(req, resolver.resolveBearer(token), done)));

  return (req: Request, res: Response, next: NextFunction): void => {
    const strategies = req.get('Authorization') ? ['bearer'] : ['client-cert'];
    authenticator.authenticate(strategies, { session: false }, (error: unknown, caller: AuthenticatedCaller | false) => {
      if (error) return next(error);
      if (caller) {
        res.locals.caller = caller;
        return next();
      }
      const attempt = refusedAttempt(req, refusals.get(req));
      onRefused(req, res, attempt);
      res.set('WWW-Authenticate', 'Bearer realm="scim"');
      next(scimError(401, undefined, 'Authentication required: present a client certificate or bearer credential issued for your registration'));
    })(req, res, next);
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- passport's verify callbacks are loosely typed
type Done = (error: any, caller?: any) => void;


interface PeerCertificate {
  subject?: Record<string, string | string[]>;
  issuer?: Record<string, string | string[]>;
  fingerprint256?: string;
  serialNumber?: string;
}

function identityOf(certificate: PeerCertificate): CertificateIdentity {
  return {
    fingerprint256: certificate.fingerprint256 ?? '',
    subject: distinguishedName(certificate.subject),
    issuer: distinguishedName(certificate.issuer),
    serialNumber: certificate.serialNumber ?? '',
  };
}

function refusedAttempt(req: Request, fromStrategy: { reason: RefusalReason; detail?: string } | undefined): RefusedAttempt {
  const socket = req.socket as TLSSocket;
  const presented = identityOfSocket(socket);
  return {
    reason: fromStrategy?.reason ?? tlsRefusal(socket, presented !== undefined, Boolean(req.get('Authorization'))),
    detail: fromStrategy?.detail ?? (socket.authorizationError ? String(socket.authorizationError) : undefined),
    subject: presented?.subject,
    fingerprint256: presented?.fingerprint256,
  };
}

function tlsRefusal(socket: TLSSocket, presented: boolean, hadAuthorization: boolean): RefusalReason {
  if (hadAuthorization) return 'bearer-token-unknown';
  if (!presented) return 'no-credentials';
  return TLS_REFUSALS[String(socket.authorizationError)] ?? 'certificate-untrusted';
}

export function identityOfSocket(socket: TLSSocket): CertificateIdentity | undefined {
  const certificate = socket.getPeerCertificate?.() as PeerCertificate | undefined;
  return certificate && Object.keys(certificate).length > 0 ? identityOf(certificate) : undefined;
}
