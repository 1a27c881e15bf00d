import type { CertificateIdentity, CredentialResolver, Resolution } from '../auth/credentials.js';
import { looksLikeJwt, unverifiedTenantId, type EntraJwtVerifier } from '../auth/entra-jwt.js';
import type { CredentialIndex, RegistrationCollection, RegistrationRecord } from '../store/store.js';
import { certificateKeys, credentialKey } from './credential-keys.js';
import { parseToken, secretMatches } from './tokens.js';

export interface ResolverDeps {
  registrations: RegistrationCollection;
  credentials: CredentialIndex;
  /** Absent when no JWKS is configured: Entra JWTs are then refused. */
  verifyEntraJwt?: EntraJwtVerifier;
}

/** Resolves a presented credential to its registration (REG-2) with index lookups, never scans. */
export function createRegistrationResolver({ registrations, credentials, verifyEntraJwt }: ResolverDeps): CredentialResolver {
  async function activeRegistration(key: string): Promise<RegistrationRecord | 'unbound' | 'ended'> {
    const registrationId = await credentials.lookup(key);
    if (!registrationId) return 'unbound';
    const registration = await registrations.get(registrationId);
    return registration && registration.status === 'active' ? registration : 'ended';
  }

  async function resolveCertificate(identity: CertificateIdentity): Promise<Resolution> {
    for (const key of certificateKeys(identity)) {
      const found = await activeRegistration(key);
      if (found === 'ended') return { ok: false, reason: 'registration-deleted' };
      if (found !== 'unbound') {
        return { ok: true, caller: { registrationId: found.id, caller: { method: 'client-certificate', subject: identity.subject, fingerprint256: identity.fingerprint256 } } };
      }
    }
    return { ok: false, reason: 'certificate-not-bound' };
  }

  async function resolveSecretToken(token: string): Promise<Resolution> {
    const parsed = parseToken(token);
    if (!parsed) return { ok: false, reason: 'bearer-token-unknown', detail: 'malformed token' };
    const found = await activeRegistration(credentialKey.token(parsed.id));
    if (found === 'ended') return { ok: false, reason: 'registration-deleted' };
    const binding = found === 'unbound' ? undefined : found.tokens.find((token) => token.id === parsed.id);
    if (found === 'unbound' || !binding || !secretMatches(parsed.secret, binding.secretHash)) {
      return { ok: false, reason: 'bearer-token-unknown', detail: `token id ${parsed.id}` };
    }
    return { ok: true, caller: { registrationId: found.id, caller: { method: 'bearer-token', subject: `token:${parsed.id}`, tokenId: parsed.id } } };
  }

  async function resolveJwt(token: string): Promise<Resolution> {
    const tenantId = unverifiedTenantId(token);
    if (!tenantId || !verifyEntraJwt) return { ok: false, reason: 'jwt-invalid', detail: tenantId ? 'no JWKS configured' : 'no tid claim' };
    const found = await activeRegistration(credentialKey.entraTenant(tenantId));
    if (found === 'ended') return { ok: false, reason: 'registration-deleted' };
    if (found === 'unbound') return { ok: false, reason: 'jwt-invalid', detail: `tenant ${tenantId} is not bound` };
    const check = await verifyEntraJwt(token, tenantId);
    if (!check.ok) return { ok: false, reason: 'jwt-invalid', detail: check.detail };
    return { ok: true, caller: { registrationId: found.id, caller: { method: 'entra-jwt', subject: check.subject } } };
  }

  return {
    resolveCertificate,
    resolveBearer: (token) => (looksLikeJwt(token) ? resolveJwt(token) : resolveSecretToken(token)),
  };
}
