import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { certificateNames, issuerAndSubjectDer } from '../../../src/pki/distinguished-name.js';
import { createCertificateAuthority, issueClientCertificate, type IssuedCertificate } from '../../../src/pki/certificates.js';

const der = (certificate: IssuedCertificate) => new X509Certificate(certificate.certificatePem).raw;

describe('certificate names read from the DER encoding', () => {
  let ca: IssuedCertificate;
  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: 'Names CA', validDays: 2 });
  });

  it('REG-2 takes the issuer and subject Name elements exactly as encoded in the certificate', async () => {
    const certificate = await issueClientCertificate(ca, { commonName: 'x, O=Contoso', organization: 'Fabrikam', validDays: 1 });
    const parsed = new x509.X509Certificate(certificate.certificatePem);
    const names = issuerAndSubjectDer(der(certificate));
    expect(names.subject.equals(Buffer.from(parsed.subjectName.toArrayBuffer()))).toBe(true);
    expect(names.issuer.equals(Buffer.from(parsed.issuerName.toArrayBuffer()))).toBe(true);
  });

  it('REG-2 gives certificates re-issued to the same names one digest, and a comma inside a value another', async () => {
    const first = certificateNames(der(await issueClientCertificate(ca, { commonName: 'x', organization: 'Contoso', validDays: 1 })));
    const reissued = certificateNames(der(await issueClientCertificate(ca, { commonName: 'x', organization: 'Contoso', validDays: 1 })));
    const lookalike = certificateNames(der(await issueClientCertificate(ca, { commonName: 'x, O=Contoso', validDays: 1 })));
    expect(reissued.nameDigest).toBe(first.nameDigest);
    expect(lookalike.nameDigest).not.toBe(first.nameDigest);
    expect(first.subject).toBe('CN=x, O=Contoso');
    expect(lookalike.subject).toBe('CN=x\\, O=Contoso');
    expect(first.issuer).toBe('CN=Names CA');
  });

  it('refuses bytes that are not a certificate', () => {
    expect(() => issuerAndSubjectDer(Buffer.from([0x30, 0x82, 0xff, 0xff, 0x30]))).toThrow('Not a DER X.509 certificate');
    expect(() => issuerAndSubjectDer(Buffer.from([0x02, 0x01, 0x00]))).toThrow('Not a DER X.509 certificate');
  });
});
