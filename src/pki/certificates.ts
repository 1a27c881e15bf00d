// @peculiar/x509 resolves its algorithms through tsyringe, which throws at import without a Reflect metadata polyfill.
import 'reflect-metadata';
import { randomBytes, webcrypto, X509Certificate as NodeX509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface IssuedCertificate {
  certificatePem: string;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  serialNumber: string;
  /** Upper-case hex with colons, as Node's TLS socket reports `fingerprint256`. */
  fingerprint256: string;
  subject: string;
  issuer: string;
}

/** What signing needs: an IssuedCertificate, or a CA read back from its two PEM files. */
export type CertificateAuthority = Pick<IssuedCertificate, 'certificatePem' | 'privateKeyPem'>;

interface Validity {
  validDays: number;
  notBefore?: Date;
  notAfter?: Date;
}

/** A development or test CA (ECDSA P-256: generated in milliseconds). */
export async function createCertificateAuthority({ commonName, validDays }: { commonName: string; validDays: number }): Promise<IssuedCertificate> {
  const keys = await generateKeys();
  const name = `CN=${commonName}`;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    ...validity({ validDays }),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return issued(certificate, keys.privateKey);
}

export async function issueServerCertificate(
  ca: CertificateAuthority,
  { commonName, hostnames, ipAddresses, validDays }: { commonName: string; hostnames: string[]; ipAddresses: string[]; validDays: number },
): Promise<IssuedCertificate> {
  const names = [...hostnames.map((value) => ({ type: 'dns' as const, value })), ...ipAddresses.map((value) => ({ type: 'ip' as const, value }))];
  return issue(ca, `CN=${commonName}`, { validDays }, [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(names),
  ]);
}

/**
 * A client certificate for mutual TLS; `notBefore`/`notAfter` let tests make an expired one.
 * The names are taken literally: a comma in `commonName` stays inside the CN.
 */
export async function issueClientCertificate(
  ca: CertificateAuthority,
  { commonName, organization, ...period }: { commonName: string; organization?: string } & Validity,
): Promise<IssuedCertificate> {
  const subject: x509.JsonName = [{ CN: [commonName] }, ...(organization ? [{ O: [organization] }] : [])];
  return issue(ca, subject, period, [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
  ]);
}

/** A PEM CRL signed by the CA, revoking the given serial numbers (hex, as in IssuedCertificate). */
export async function createRevocationList(ca: CertificateAuthority, serialNumbers: string[], { nextUpdateDays }: { nextUpdateDays: number }): Promise<string> {
  const now = new Date();
  const crl = await x509.X509CrlGenerator.create({
    issuer: new x509.X509Certificate(ca.certificatePem).subject,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + nextUpdateDays * DAY_MS),
    entries: serialNumbers.map((serialNumber) => ({ serialNumber, revocationDate: now, reason: x509.X509CrlReason.keyCompromise })),
    signingKey: await importPrivateKey(ca.privateKeyPem),
    signingAlgorithm: SIGNING_ALGORITHM,
  });
  return pem(crl.rawData, 'X509 CRL');
}

/** Serial numbers (upper-case hex) a PEM CRL revokes, e.g. to add one and sign it again. */
export function revokedSerialNumbers(crlPem: string): string[] {
  return new x509.X509Crl(crlPem).entries.map((entry) => entry.serialNumber.toUpperCase());
}

/**
 * Splits a PEM bundle into its blocks. Node's TLS `crl` option reads only the first CRL of a string,
 * so a file holding one CRL per CA must be passed as an array of these.
 */
export function pemBlocks(bundle: string): string[] {
  return bundle.match(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g)?.map((block) => `${block}\n`) ?? [];
}

/** Something in use whose validity ends: published as a metric, warned about in the log before it ends. */
export interface CertificateExpiry {
  kind: 'server-certificate' | 'client-ca' | 'crl' | 'client-certificate';
  /** Who it is: a subject, a CRL's issuer, or `registration: subject` for a bound client certificate. */
  name: string;
  /** End of validity; for a CRL its `nextUpdate`, after which OpenSSL refuses every certificate it covers. */
  notAfter: Date;
}

/** Subject and end of validity of every certificate in a PEM bundle (a chain or a CA bundle). */
export function certificateValidities(bundle: string): { subject: string; notAfter: Date }[] {
  return pemBlocks(bundle)
    .filter((block) => block.startsWith('-----BEGIN CERTIFICATE-----'))
    .map((block) => {
      const certificate = new NodeX509Certificate(block);
      return { subject: certificate.subject.split('\n').filter(Boolean).join(', '), notAfter: new Date(certificate.validTo) };
    });
}

/** Issuer and `nextUpdate` (when a fresh CRL is due; absent = never) of every CRL in a PEM file. */
export function revocationListUpdates(crlBundle: string): { issuer: string; nextUpdate?: Date }[] {
  return pemBlocks(crlBundle).map((block) => {
    const crl = new x509.X509Crl(block);
    return { issuer: crl.issuer, nextUpdate: crl.nextUpdate };
  });
}

/** What Node's TLS layer would report for this certificate. */
export function certificateIdentity(pem: string) {
  const certificate = new NodeX509Certificate(pem);
  return {
    fingerprint256: certificate.fingerprint256,
    subject: certificate.subject,
    issuer: certificate.issuer,
    serialNumber: certificate.serialNumber,
    validFrom: certificate.validFrom,
    validTo: certificate.validTo,
  };
}

async function issue(ca: CertificateAuthority, subject: string | x509.JsonName, period: Validity, extensions: x509.Extension[]): Promise<IssuedCertificate> {
  const keys = await generateKeys();
  const caCertificate = new x509.X509Certificate(ca.certificatePem);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: caCertificate.subject,
    ...validity(period),
    publicKey: keys.publicKey,
    signingKey: await importPrivateKey(ca.privateKeyPem),
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      ...extensions,
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCertificate),
    ],
  });
  return issued(certificate, keys.privateKey);
}

async function issued(certificate: x509.X509Certificate, privateKey: CryptoKey): Promise<IssuedCertificate> {
  const certificatePem = `${certificate.toString('pem')}\n`;
  const identity = certificateIdentity(certificatePem);
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', privateKey as webcrypto.CryptoKey);
  return {
    certificatePem,
    privateKeyPem: pem(pkcs8, 'PRIVATE KEY'),
    serialNumber: identity.serialNumber,
    fingerprint256: identity.fingerprint256,
    subject: identity.subject,
    issuer: identity.issuer,
  };
}

/** With the final newline, so that `cat a.pem b.pem > bundle.pem` stays a valid bundle. */
function pem(der: ArrayBuffer, label: string): string {
  return `${x509.PemConverter.encode(der, label)}\n`;
}

function generateKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

function importPrivateKey(pem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), KEY_ALGORITHM, false, ['sign']) as Promise<CryptoKey>;
}

/** Positive (first byte below 0x80) random 128-bit serial numbers. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return bytes.toString('hex');
}

function validity({ validDays, notBefore, notAfter }: Validity) {
  const start = notBefore ?? new Date(Date.now() - 60_000);
  return { notBefore: start, notAfter: notAfter ?? new Date(start.getTime() + validDays * DAY_MS) };
}
