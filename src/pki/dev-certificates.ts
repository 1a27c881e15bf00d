import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createCertificateAuthority, issueClientCertificate, issueServerCertificate } from './certificates.js';
import { devCertificateFiles, type DevCertificateFiles } from './dev-certificate-files.js';

/**
 * Development certificates for `npm start` with no configuration: made once, then reused.
 * Existing files are never overwritten; a folder with only some of them is an error to fix by hand.
 */
export async function ensureDevCertificates(dir: string): Promise<{ created: boolean; files: DevCertificateFiles }> {
  const files = devCertificateFiles(dir);
  const present = Object.values(files).filter((file) => existsSync(file));
  if (present.length === Object.keys(files).length) return { created: false, files };
  if (present.length > 0) {
    const missing = Object.values(files).filter((file) => !existsSync(file));
    throw new Error(`${dir} holds only some development certificates; missing ${missing.join(', ')}. Restore them, or move the folder away to generate a new set.`);
  }
  mkdirSync(dir, { recursive: true });
  const ca = await createCertificateAuthority({ commonName: 'scim-voice-portal development CA', validDays: 3650 });
  const server = await issueServerCertificate(ca, { commonName: 'localhost', hostnames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'], validDays: 825 });
  const client = await issueClientCertificate(ca, { commonName: 'dev-client', validDays: 730 });
  writeExclusive(files.caCert, ca.certificatePem);
  writeExclusive(files.serverCert, server.certificatePem);
  writeExclusive(files.serverKey, server.privateKeyPem, 0o600);
  writeExclusive(files.clientCert, client.certificatePem);
  writeExclusive(files.clientKey, client.privateKeyPem, 0o600);
  return { created: true, files };
}

function writeExclusive(file: string, content: string, mode = 0o644): void {
  writeFileSync(file, content, { mode, flag: 'wx' });
}
