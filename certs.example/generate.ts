/**
 * Regenerates the example PKI in this folder:  npx tsx certs.example/generate.ts [folder]
 * EXAMPLES ONLY: the private keys are public. Never use them outside development and tests.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCertificateAuthority, createRevocationList, issueClientCertificate, issueServerCertificate, type IssuedCertificate } from '../src/pki/certificates.js';

const TEN_YEARS = 3650;
const folder = process.argv[2] ?? path.dirname(fileURLToPath(import.meta.url));

function write(name: string, certificate: IssuedCertificate): void {
  writeFileSync(path.join(folder, `${name}.pem`), certificate.certificatePem);
  writeFileSync(path.join(folder, `${name}-key.pem`), certificate.privateKeyPem, { mode: 0o600 });
  console.log(`${name}.pem  subject="${certificate.subject}"  sha256=${certificate.fingerprint256}`);
}

const ca = await createCertificateAuthority({ commonName: 'Example Voice Portal Client CA', validDays: TEN_YEARS });
writeFileSync(path.join(folder, 'ca.pem'), ca.certificatePem);
writeFileSync(path.join(folder, 'ca-key.pem'), ca.privateKeyPem, { mode: 0o600 });
write('server', await issueServerCertificate(ca, { commonName: 'localhost', hostnames: ['localhost', 'scim'], ipAddresses: ['127.0.0.1', '::1'], validDays: TEN_YEARS }));
write('contoso-client', await issueClientCertificate(ca, { commonName: 'contoso-provisioning', organization: 'Contoso', validDays: TEN_YEARS }));
write('fabrikam-client', await issueClientCertificate(ca, { commonName: 'fabrikam-provisioning', organization: 'Fabrikam', validDays: TEN_YEARS }));
write(
  'expired-client',
  await issueClientCertificate(ca, { commonName: 'expired-provisioning', validDays: 1, notBefore: new Date('2024-01-01T00:00:00Z'), notAfter: new Date('2024-01-02T00:00:00Z') }),
);
const revoked = await issueClientCertificate(ca, { commonName: 'revoked-provisioning', validDays: TEN_YEARS });
write('revoked-client', revoked);
writeFileSync(path.join(folder, 'crl.pem'), await createRevocationList(ca, [revoked.serialNumber], { nextUpdateDays: TEN_YEARS }));
console.log(`crl.pem revokes serial ${revoked.serialNumber}`);
