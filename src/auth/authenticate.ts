import type { TLSSocket } from 'node:tls';
import type { NextFunction, Request, Response } from 'express';
import passport from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { scimError } from '../scim/errors.js';
import { clientCertificateStrategy, connectionCertificate } from './peer-certificate.js';
import type { AuthenticatedCaller, CredentialResolver, RefusalReason, Resolution } from './credentials.js';

export interface RefusedAttempt {
  reason: RefusalReason;
  detail?: string;
  subject?: string;
  fingerprint256?: string;
}

/** How often the refused request's source address has been refused lately. */
export interface RefusalVerdict {
  /** True once the address is over its limit: the answer is 429 instead of 401. */
  limited: boolean;
  retryAfterMs: number;
}

export interface AuthenticatorDeps {
  resolver: CredentialResolver;
  /** Records the refusal (log, audit) and says whether its address is refused too often. */
  onRefused(req: Request, res: Response, attempt: RefusedAttempt): RefusalVerdict;
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
  authenticator.use(clientCertificateStrategy((req, identity, done) => settle(req, resolver.resolveCertificate(identity), done)));
  authenticator.use(new BearerStrategy({ passReqToCallback: true }, (req: Request, token: string, done: Done) => settle(req, resolver.resolveBearer(token), done)));

  return (req: Request, res: Response, next: NextFunction): void => {
    const strategies = req.get('Authorization') ? ['bearer'] : ['client-cert'];
    authenticator.authenticate(strategies, { session: false }, (error: unknown, caller: AuthenticatedCaller | false) => {
      if (error) return next(error);
      if (caller) {
        res.locals.caller = caller;
        return next();
      }
      const verdict = onRefused(req, res, refusedAttempt(req, refusals.get(req)));
      res.set('WWW-Authenticate', 'Bearer realm="scim"');
      if (verdict.limited) return next(tooManyRefusals(res, verdict.retryAfterMs));
      next(scimError(401, undefined, 'Authentication required: present a client certificate or bearer credential issued for your registration'));
    })(req, res, next);
  };
}

/**
 * Only requests whose credential was refused count, so a client that authenticates is never
 * slowed down; the answer tells no more than the 401 would (a valid credential still passes).
 */
function tooManyRefusals(res: Response, retryAfterMs: number) {
  const seconds = Math.ceil(retryAfterMs / 1000);
  res.set('Retry-After', String(seconds));
  return scimError(429, undefined, `Too many refused requests from your address; retry in ${seconds} s with a client certificate or bearer credential issued for your registration`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- passport's verify callbacks are loosely typed
type Done = (error: any, caller?: any) => void;


function refusedAttempt(req: Request, fromStrategy: { reason: RefusalReason; detail?: string } | undefined): RefusedAttempt {
  const socket = req.socket as TLSSocket;
  const presented = connectionCertificate(socket);
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
