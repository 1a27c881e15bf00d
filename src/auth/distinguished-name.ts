/**
 * One text form for a certificate name, whether it comes from the TLS socket (an object
 * of attributes) or from `X509Certificate#subject` (one `KEY=value` per line), so that a
 * binding by issuer + subject made from a PEM file matches what the handshake reports.
 */
export function distinguishedName(name: Record<string, string | string[]> | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .flatMap(([key, value]) => (Array.isArray(value) ? value : [value]).map((item) => `${key}=${item}`))
    .join(', ');
}

export function distinguishedNameOf(x509Name: string): string {
  return x509Name.split('\n').filter(Boolean).join(', ');
}
