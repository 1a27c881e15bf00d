import type { CertificateIdentity } from '../auth/credentials.js';

/** Keys of the credential index; one namespace per kind of credential. */
export const credentialKey = {
  fingerprint: (fingerprint256: string) => `certificate-sha256:${fingerprint256.toUpperCase()}`,
  distinguishedName: (issuer: string, subject: string) => `certificate-dn:${issuer}\n${subject}`,
  token: (tokenId: string) => `token:${tokenId}`,
  entraTenant: (tenantId: string) => `entra-tenant:${tenantId.toLowerCase()}`,
};

/** Fingerprint first (exact certificate), then issuer + subject (any certificate re-issued to that name). */
export function certificateKeys(identity: CertificateIdentity): string[] {
  return [credentialKey.fingerprint(identity.fingerprint256), credentialKey.distinguishedName(identity.issuer, identity.subject)];
}
