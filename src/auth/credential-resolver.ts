import type { CertificateIdentity, CredentialResolver, Resolution } from './credentials.js';
import { looksLikeJwt, unverifiedTenantId, type EntraJwtVerifier } from './entra-jwt.js';
import type { CredentialIndex, RegistrationCollection, RegistrationRecord } from '../registrations/registrations-port.js';
import { credentialKey } from '../registrations/credential-keys.js';
import { parseToken, secretMatches, UNKNOWN_SECRET_HASH } from '../registrations/tokens.js';
import { settingsOf } from '../registrations/registration-service.js';
import type { RequestRegistration } from '../registrations/request-context.js';

/** Read in place of a registration when a credential is bound to none, until one has been read (no record has this id). */
const NO_REGISTRATION_ID = 'no-registration';

export interface ResolverDeps {
  registrations: RegistrationCollection;
  credentials: CredentialIndex;
  /** Absent when no JWKS is configured: Entra JWTs are then refused. */
  verifyEntraJwt?: EntraJwtVerifier;
}

/**
 * Resolves a presented credential to its registration (REG-2) with index lookups, never scans.
 * A refusal costs the same work whether or not the tenant, token id or certificate is known
 * (the same reads, a hash compared against a stand-in, the signature checked first), so the
 * time of the answer does not tell an unauthenticated caller which customers exist.
 */
export function createRegistrationResolver({ registrations, credentials, verifyEntraJwt }: ResolverDeps): CredentialResolver {
  /** The last registration a credential led to: read in its place when nothing is bound. */
  let decoyId = NO_REGISTRATION_ID;

  /**
   * The registration a lookup found, read even when nothing is bound, and a real record (a miss
   * comes back faster than a document): an unknown credential costs the reads of a known one.
   */
  async function registrationBoundTo(registrationId: string | null): Promise<RegistrationRecord | 'unbound' | 'ended'> {
    const registration = await registrations.get(registrationId ?? decoyId);
    if (!registrationId) return 'unbound';
    decoyId = registrationId;
    return registration && registration.status === 'active' ? registration : 'ended';
  }

  const activeRegistration = async (key: string) => registrationBoundTo(await credentials.lookup(key));

  async function resolveCertificate(identity: CertificateIdentity): Promise<Resolution> {
    // Every key is looked up in one query, bound or not, so a refusal costs the same whatever is
    // bound; the first bound key decides, and only its registration is read (the decoy's when none is).
    const found = await registrationBoundTo(await credentials.lookupFirst(certificateKeys(identity)));
    if (found === 'ended') return { ok: false, reason: 'registration-deleted' };
    if (found === 'unbound') return { ok: false, reason: 'certificate-not-bound' };
    return { ok: true, caller: { registration: inContext(found), caller: { method: 'client-certificate', subject: identity.subject, fingerprint256: identity.fingerprint256 } } };
  }

  async function resolveSecretToken(token: string): Promise<Resolution> {
    const parsed = parseToken(token);
    if (!parsed) return { ok: false, reason: 'bearer-token-unknown', detail: 'malformed token' };
    const found = await activeRegistration(credentialKey.token(parsed.id));
    const binding = typeof found === 'object' ? found.tokens.find((token) => token.id === parsed.id) : undefined;
    // Hashed and compared even for an unknown id, so it costs what a wrong secret does.
    const matches = secretMatches(parsed.secret, binding?.secretHash ?? UNKNOWN_SECRET_HASH);
    if (found === 'ended') return { ok: false, reason: 'registration-deleted' };
    if (typeof found !== 'object' || !binding || !matches) return { ok: false, reason: 'bearer-token-unknown', detail: `token id ${parsed.id}` };
    return { ok: true, caller: { registration: inContext(found), caller: { method: 'bearer-token', subject: `token:${parsed.id}`, tokenId: parsed.id } } };
  }

  /** The signature is verified before the tenant is looked up: a forged token naming a customer costs what any forged token does. */
  async function resolveJwt(token: string): Promise<Resolution> {
    const tenantId = unverifiedTenantId(token);
    if (!tenantId || !verifyEntraJwt) return { ok: false, reason: 'jwt-invalid', detail: tenantId ? 'no JWKS configured' : 'no tid claim' };
    const check = await verifyEntraJwt(token, tenantId);
    if (!check.ok) return { ok: false, reason: 'jwt-invalid', detail: check.detail };
    const found = await activeRegistration(credentialKey.entraTenant(tenantId));
    if (found === 'ended') return { ok: false, reason: 'registration-deleted' };
    if (found === 'unbound') return { ok: false, reason: 'jwt-invalid', detail: `tenant ${tenantId} is not bound` };
    return { ok: true, caller: { registration: inContext(found), caller: { method: 'entra-jwt', subject: check.subject } } };
  }

  return {
    resolveCertificate,
    resolveBearer: (token) => (looksLikeJwt(token) ? resolveJwt(token) : resolveSecretToken(token)),
  };
}

/** What a request carries of its registration: the settings parsed here, once per request. */
function inContext(record: RegistrationRecord): RequestRegistration {
  return { id: record.id, name: record.name, settings: settingsOf(record) };
}

/** Fingerprint first (exact certificate), then issuer + subject (any certificate re-issued to those names). */
function certificateKeys(identity: CertificateIdentity): string[] {
  return [
    credentialKey.fingerprint(identity.fingerprint256),
    credentialKey.names(identity.nameDigest),
    credentialKey.legacyDistinguishedName(identity.issuer, identity.subject),
  ];
}
