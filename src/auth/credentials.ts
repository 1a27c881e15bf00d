import type { CallerIdentity, RequestRegistration } from '../registrations/request-context.js';

/** What the TLS socket tells us about a client certificate (never the certificate itself). */
export interface CertificateIdentity {
  fingerprint256: string;
  /** Node's escaped one-line forms (see certificateNames). */
  subject: string;
  issuer: string;
  /** SHA-256 of the issuer and subject DER, the issuer + subject binding key. */
  nameDigest: string;
  serialNumber: string;
}

/** Who called, and the registration (with its parsed settings) the request acts for: resolved once. */
export interface AuthenticatedCaller {
  registration: RequestRegistration;
  caller: CallerIdentity;
}

/** Why a credential was refused: logged and audited (AUD-3), never sent to the client. */
export type RefusalReason =
  | 'no-credentials'
  | 'certificate-untrusted'
  | 'certificate-expired'
  | 'certificate-revoked'
  | 'certificate-not-bound'
  | 'registration-deleted'
  | 'bearer-token-unknown'
  | 'jwt-invalid';

export type Resolution = { ok: true; caller: AuthenticatedCaller } | { ok: false; reason: RefusalReason; detail?: string };

/** Maps a presented credential to its registration. Implemented by the registrations module. */
export interface CredentialResolver {
  resolveCertificate(identity: CertificateIdentity): Promise<Resolution>;
  resolveBearer(token: string): Promise<Resolution>;
}
