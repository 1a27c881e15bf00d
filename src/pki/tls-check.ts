import { createPrivateKey, X509Certificate } from 'node:crypto';
import { AppError } from '../kernel/app-error.js';
import { pemBlocks } from './certificates.js';

/** The PEM texts a listener uses (same shape as the TLS server's material). */
export interface TlsTexts {
  cert: string;
  key: string;
  clientCa: string;
  crl?: string;
}

/** Where each text came from, for messages: `TLS_CERT_FILE (/etc/scim/server.pem)`. */
export type TlsSources = Record<keyof TlsTexts, string>;

export interface TlsExpiry {
  serverCertificate: Date;
  /** The first certificate of the CA bundle to expire. */
  clientCa?: Date;
  /** The earliest `nextUpdate` of the CRLs, when a CRL is configured. */
  crl?: Date;
}

/** When the material in use stops being valid (for the expiry metrics and warnings). */
export async function tlsExpiry(material: TlsTexts): Promise<TlsExpiry> {
  const [server] = certificatesOf(material.cert);
  const caExpiries = certificatesOf(material.clientCa).map((certificate) => new Date(certificate.validTo));
  return {
    serverCertificate: new Date(server!.validTo),
    clientCa: earliest(caExpiries),
    crl: material.crl ? earliest(await crlNextUpdates(material.crl)) : undefined,
  };
}

/**
 * Refuses, with a message naming the setting and the file, what operators get wrong: a file that
 * is not PEM, a key that does not belong to the certificate, an expired server certificate, a CA
 * bundle without a CA certificate.
 */
export function checkTlsMaterial(material: TlsTexts, sources: TlsSources, now = new Date()): void {
  const server = firstCertificate(material.cert, sources.cert);
  const key = privateKeyOf(material.key, sources.key);
  if (!server.checkPrivateKey(key)) {
    throw new AppError('startup.tls_key_mismatch', `${sources.key} is not the private key of the certificate in ${sources.cert} (${server.subject.replace(/\n/g, ', ')}): give the key the certificate was issued for`);
  }
  if (new Date(server.validTo) <= now) {
    throw new AppError('startup.tls_certificate_expired', `The server certificate in ${sources.cert} (${server.subject.replace(/\n/g, ', ')}) expired on ${new Date(server.validTo).toISOString()}: renew it and restart`);
  }
  const bundle = certificatesOf(material.clientCa);
  if (!bundle.some((certificate) => certificate.ca)) {
    const found = bundle.length === 0 ? 'no certificate at all' : `only ${bundle.length} certificate(s) that are not CAs (${bundle.map((c) => c.subject.replace(/\n/g, ', ')).join('; ')})`;
    throw new AppError('startup.tls_no_client_ca', `${sources.clientCa} holds ${found}: it must hold the CA certificate(s) that sign your clients' certificates`);
  }
}

function certificatesOf(pem: string): X509Certificate[] {
  return pemBlocks(pem)
    .filter((block) => block.startsWith('-----BEGIN CERTIFICATE-----'))
    .flatMap((block) => {
      try {
        return [new X509Certificate(block)];
      } catch {
        return [];
      }
    });
}

function firstCertificate(pem: string, source: string): X509Certificate {
  const [first] = certificatesOf(pem);
  if (!first) throw new AppError('startup.tls_no_certificate', `${source} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)`);
  return first;
}

function privateKeyOf(pem: string, source: string) {
  try {
    return createPrivateKey(pem);
  } catch (error) {
    throw new AppError('startup.tls_unreadable_key', `${source} is not a readable PEM private key (${(error as Error).message}); an encrypted key is not supported`, { cause: error });
  }
}

/** @peculiar/x509 is loaded only when a CRL is configured (Node cannot parse CRLs). */
async function crlNextUpdates(pem: string): Promise<Date[]> {
  await import('reflect-metadata');
  const { X509Crl } = await import('@peculiar/x509');
  return pemBlocks(pem).flatMap((block) => {
    const next = new X509Crl(block).nextUpdate;
    return next ? [next] : [];
  });
}

function earliest(dates: Date[]): Date | undefined {
  return dates.length === 0 ? undefined : new Date(Math.min(...dates.map((date) => date.getTime())));
}
