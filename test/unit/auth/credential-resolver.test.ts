import { beforeAll, describe, expect, it } from 'vitest';
import type { CertificateIdentity } from '../../../src/auth/credentials.js';
import { createCertificateAuthority, issueClientCertificate, type IssuedCertificate } from '../../../src/pki/certificates.js';
import { createRegistrationService } from '../../../src/registrations/registration-service.js';
import { createRegistrationResolver } from '../../../src/auth/credential-resolver.js';
import type { CredentialResolver } from '../../../src/auth/credentials.js';
import { useEmbeddedStore } from '../../support/embedded-store.js';
import { X509Certificate } from 'node:crypto';
import { certificateNames } from '../../../src/pki/distinguished-name.js';

/** Lets each call through to a real port and notes it, marked when it found nothing. */
function counting<T extends object>(port: T, name: string, calls: string[]): T {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const result = await (value as (...a: unknown[]) => unknown).apply(target, args);
        calls.push(`${name}.${String(property)}${result === null ? ' (nothing)' : ''}`);
        return result;
      };
    },
  });
}

/** What the TLS layer hands the resolver: the names are read from the certificate's DER, as on sign-in. */
const identityOf = (certificate: IssuedCertificate): CertificateIdentity => ({
  fingerprint256: certificate.fingerprint256,
  ...certificateNames(new X509Certificate(certificate.certificatePem).raw),
  serialNumber: certificate.serialNumber,
});

describe('credential resolution does the same work whether or not the credential is known (REG-2)', () => {
  const store = useEmbeddedStore('resolver');
  const calls: string[] = [];
  let resolver: CredentialResolver;
  let token: { id: string; token: string };
  let bound: IssuedCertificate;
  let stranger: IssuedCertificate;

  beforeAll(async () => {
    const registrations = createRegistrationService({ store: store() });
    await registrations.create({ name: 'contoso', portalAccountId: 'acct-contoso', accountDomains: ['contoso.example'] });
    token = await registrations.createToken('contoso');
    const ca = await createCertificateAuthority({ commonName: 'Resolver CA', validDays: 1 });
    [bound, stranger] = await Promise.all([issueClientCertificate(ca, { commonName: 'contoso-client', validDays: 1 }), issueClientCertificate(ca, { commonName: 'stranger', validDays: 1 })]);
    await registrations.addCertificate('contoso', bound.certificatePem, 'fingerprint');
    resolver = createRegistrationResolver({ registrations: counting(store().registrations, 'registrations', calls), credentials: counting(store().credentials, 'credentials', calls) });
  });

  async function workFor(resolve: () => Promise<unknown>) {
    calls.length = 0;
    const outcome = await resolve();
    return { outcome, calls: [...calls] };
  }

  it('REG-2: a token with an unknown id is refused after the same reads as a known id with a wrong secret', async () => {
    const [, knownId] = token.token.split('_');
    const wrongSecret = await workFor(() => resolver.resolveBearer(`svp_${knownId}_${'A'.repeat(43)}`));
    const unknownId = await workFor(() => resolver.resolveBearer(`svp_${'0'.repeat(16)}_${'A'.repeat(43)}`));
    expect(wrongSecret.calls).toEqual(['credentials.lookup', 'registrations.get']);
    // A miss in the index is the one difference left; a registration record is read either way.
    expect(unknownId.calls).toEqual(['credentials.lookup (nothing)', 'registrations.get']);
    expect(wrongSecret.outcome).toMatchObject({ ok: false, reason: 'bearer-token-unknown' });
    expect(unknownId.outcome).toMatchObject({ ok: false, reason: 'bearer-token-unknown' });
    expect((await workFor(() => resolver.resolveBearer(token.token))).outcome).toMatchObject({ ok: true });
  });

  it('REG-2: a certificate bound to nothing is refused after the same reads as a bound one is accepted', async () => {
    const accepted = await workFor(() => resolver.resolveCertificate(identityOf(bound)));
    const refused = await workFor(() => resolver.resolveCertificate(identityOf(stranger)));
    expect(accepted.outcome).toMatchObject({ ok: true });
    expect(refused.outcome).toMatchObject({ ok: false, reason: 'certificate-not-bound' });
    // One lookup of every key (fingerprint, DER names, and the names as earlier versions stored
    // them) together, then one registration read: the bound one, or the decoy when nothing is bound.
    expect(accepted.calls).toEqual(['credentials.lookupFirst', 'registrations.get']);
    expect(refused.calls).toEqual(['credentials.lookupFirst (nothing)', 'registrations.get']);
  });
});
