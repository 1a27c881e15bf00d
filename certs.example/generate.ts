/**
 * The example PKI of this folder, and the same operations on a CA folder of your own:
 *   npx tsx certs.example/generate.ts [examples] [--dir certs.example]   rewrite every example file
 *   npx tsx certs.example/generate.ts client <name> [--organization <O>] [--days 730] --dir <ca folder>
 *   npx tsx certs.example/generate.ts crl [<revoked.pem> ...] [--days 365] --dir <ca folder>
 * The example private keys are public: never use them outside development and tests.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  certificateIdentity,
  createCertificateAuthority,
  createRevocationList,
  issueClientCertificate,
  issueServerCertificate,
  revokedSerialNumbers,
  type CertificateAuthority,
  type IssuedCertificate,
} from '../src/pki/certificates.js';

const TEN_YEARS = 3650;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { dir: { type: 'string' }, organization: { type: 'string' }, days: { type: 'string' } },
});
const [command = 'examples', ...rest] = positionals;
const dir = values.dir ?? path.dirname(fileURLToPath(import.meta.url));
const days = values.days === undefined ? undefined : Number(values.days);

function write(name: string, certificate: IssuedCertificate, flag: 'w' | 'wx' = 'w'): void {
  writeFileSync(path.join(dir, `${name}.pem`), certificate.certificatePem, { flag });
  writeFileSync(path.join(dir, `${name}-key.pem`), certificate.privateKeyPem, { mode: 0o600, flag });
  console.log(`${name}.pem  subject="${certificate.subject.replaceAll('\n', ', ')}"  serial=${certificate.serialNumber}  sha256=${certificate.fingerprint256}`);
}

function readCa(): CertificateAuthority {
  return { certificatePem: readFileSync(path.join(dir, 'ca.pem'), 'utf8'), privateKeyPem: readFileSync(path.join(dir, 'ca-key.pem'), 'utf8') };
}

async function writeCrl(ca: CertificateAuthority, serialNumbers: string[], nextUpdateDays: number): Promise<void> {
  writeFileSync(path.join(dir, 'crl.pem'), await createRevocationList(ca, serialNumbers, { nextUpdateDays }));
  const nextUpdate = new Date(Date.now() + nextUpdateDays * 86_400_000).toISOString();
  console.log(`crl.pem revokes [${serialNumbers.join(', ')}]; sign it again before ${nextUpdate} or every client of this CA is refused`);
}

async function examples(): Promise<void> {
  const ca = await createCertificateAuthority({ commonName: 'Example Voice Portal Client CA', validDays: TEN_YEARS });
  write('ca', ca);
  write('server', await issueServerCertificate(ca, { commonName: 'localhost', hostnames: ['localhost', 'scim'], ipAddresses: ['127.0.0.1', '::1'], validDays: TEN_YEARS }));
  write('contoso-client', await issueClientCertificate(ca, { commonName: 'contoso-provisioning', organization: 'Contoso', validDays: TEN_YEARS }));
  write('fabrikam-client', await issueClientCertificate(ca, { commonName: 'fabrikam-provisioning', organization: 'Fabrikam', validDays: TEN_YEARS }));
  const expiredPeriod = { validDays: 1, notBefore: new Date('2024-01-01T00:00:00Z'), notAfter: new Date('2024-01-02T00:00:00Z') };
  write('expired-client', await issueClientCertificate(ca, { commonName: 'expired-provisioning', ...expiredPeriod }));
  const revoked = await issueClientCertificate(ca, { commonName: 'revoked-provisioning', validDays: TEN_YEARS });
  write('revoked-client', revoked);
  await writeCrl(ca, [revoked.serialNumber], TEN_YEARS);
}

/** Never overwrites: an existing key may already be with the customer. */
async function client(name: string | undefined): Promise<void> {
  if (!name) throw new Error('usage: generate.ts client <name> [--organization <O>] [--days 730] --dir <ca folder>');
  const certificate = await issueClientCertificate(readCa(), { commonName: `${name}-provisioning`, organization: values.organization, validDays: days ?? 730 });
  write(`${name}-client`, certificate, 'wx');
}

/** Signs crl.pem again: the serials it already revokes, plus those of the given certificates. */
async function crl(revokedFiles: string[]): Promise<void> {
  const existing = path.join(dir, 'crl.pem');
  const serialNumbers = new Set(existsSync(existing) ? revokedSerialNumbers(readFileSync(existing, 'utf8')) : []);
  for (const file of revokedFiles) serialNumbers.add(certificateIdentity(readFileSync(file, 'utf8')).serialNumber);
  await writeCrl(readCa(), [...serialNumbers], days ?? 365);
}

const commands: Record<string, () => Promise<void>> = { examples, client: () => client(rest[0]), crl: () => crl(rest) };
const run = commands[command];
if (!run) throw new Error(`unknown command ${command}: examples, client or crl`);
await run();
