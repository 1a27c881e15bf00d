import { createHash, X509Certificate } from 'node:crypto';

/**
 * The names of a certificate, read from its DER encoding so that a binding made from a PEM file
 * and a sign-in over TLS derive them the same way.
 * - `nameDigest`: SHA-256 (hex) of the issuer's and the subject's DER `Name`, exactly as signed. Two
 *   certificates share it only if both names are byte-for-byte equal; it is the binding key.
 * - `issuer`/`subject`: Node's escaped one-line forms (`CN=x\, O=Contoso` for a comma inside a value),
 *   for people and logs, and for bindings stored before the digest existed.
 */
export interface CertificateNames {
  issuer: string;
  subject: string;
  nameDigest: string;
}

export function certificateNames(der: Buffer): CertificateNames {
  const certificate = new X509Certificate(der);
  const { issuer, subject } = issuerAndSubjectDer(der);
  return {
    issuer: oneLine(certificate.issuer),
    subject: oneLine(certificate.subject),
    nameDigest: createHash('sha256').update(issuer).update(subject).digest('hex'),
  };
}

/** Node prints one escaped `KEY=value` per line; joined for a readable one-line form. */
function oneLine(x509Name: string): string {
  return x509Name.split('\n').filter(Boolean).join(', ');
}

const SEQUENCE = 0x30;
const EXPLICIT_VERSION = 0xa0;

/**
 * The issuer and subject `Name` elements (tag, length and content) of an X.509 certificate:
 * Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
 * signature, issuer, validity, subject, … }, … } (RFC 5280 §4.1). Read, never re-encoded.
 */
export function issuerAndSubjectDer(der: Buffer): { issuer: Buffer; subject: Buffer } {
  const tbs = element(der, element(der, 0, SEQUENCE).contentStart, SEQUENCE);
  let cursor = tbs.contentStart;
  if (der[cursor] === EXPLICIT_VERSION) cursor = element(der, cursor).end;
  cursor = element(der, cursor).end; // serialNumber
  cursor = element(der, cursor, SEQUENCE).end; // signature algorithm
  const issuer = element(der, cursor, SEQUENCE);
  const validity = element(der, issuer.end, SEQUENCE);
  const subject = element(der, validity.end, SEQUENCE);
  return { issuer: der.subarray(issuer.start, issuer.end), subject: der.subarray(subject.start, subject.end) };
}

interface Element {
  start: number;
  contentStart: number;
  end: number;
}

/** One DER element at `start` (low tag numbers only, as every field read here has). */
function element(der: Buffer, start: number, expectedTag?: number): Element {
  const tag = der[start];
  if (tag === undefined || (expectedTag !== undefined && tag !== expectedTag)) throw new Error('Not a DER X.509 certificate');
  const first = der[start + 1] ?? 0;
  const lengthBytes = first & 0x80 ? first & 0x7f : 0;
  if (lengthBytes > 4) throw new Error('Not a DER X.509 certificate');
  let length = lengthBytes === 0 ? first : 0;
  for (let i = 0; i < lengthBytes; i++) length = length * 256 + (der[start + 2 + i] ?? 0);
  const contentStart = start + 2 + lengthBytes;
  const end = contentStart + length;
  if (end > der.length) throw new Error('Not a DER X.509 certificate');
  return { start, contentStart, end };
}
