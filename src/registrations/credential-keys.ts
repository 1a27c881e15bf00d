import type { CertificateExpiry } from '../pki/certificates.js';
import type { CertificateBinding, RegistrationRecord } from './registrations-port.js';

/** Keys of the credential index; one namespace per kind of credential. */
export const credentialKey = {
  fingerprint: (fingerprint256: string) => `certificate-sha256:${fingerprint256.toUpperCase()}`,
  /** Issuer + subject, compared as DER bytes (their SHA-256). */
  names: (nameDigest: string) => `certificate-names:${nameDigest}`,
  /**
   * Issuer + subject as Node's escaped one-line forms: the key bindings got before the DER digest
   * existed. Still looked up so that those bindings keep working; both sides now derive it from the
   * certificate's DER the same way, so a comma inside a value cannot pass for a separator.
   */
  legacyDistinguishedName: (issuer: string, subject: string) => `certificate-dn:${issuer}\n${subject}`,
  token: (tokenId: string) => `token:${tokenId}`,
  entraTenant: (tenantId: string) => `entra-tenant:${tenantId.toLowerCase()}`,
};

/** The index keys a stored binding holds. */
export function bindingKeys(binding: CertificateBinding): string[] {
  return [
    ...(binding.fingerprint256 ? [credentialKey.fingerprint(binding.fingerprint256)] : []),
    ...(binding.nameDigest ? [credentialKey.names(binding.nameDigest)] : []),
    ...(!binding.nameDigest && binding.issuer && binding.subject ? [credentialKey.legacyDistinguishedName(binding.issuer, binding.subject)] : []),
  ];
}

/** When the client certificates bound to active registrations expire (bindings that noted it). */
export function boundCertificateExpiries(registrations: RegistrationRecord[]): CertificateExpiry[] {
  return registrations
    .filter((registration) => registration.status === 'active')
    .flatMap((registration) =>
      registration.certificates.flatMap((binding) =>
        binding.notAfter
          ? [{ kind: 'client-certificate' as const, name: `${registration.name}: ${binding.label ?? binding.subject ?? binding.fingerprint256}`, notAfter: new Date(binding.notAfter) }]
          : [],
      ),
    );
}
