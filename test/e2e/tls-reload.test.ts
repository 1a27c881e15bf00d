import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestService, type TestService } from '../support/test-service.js';
import { startSlowRequest } from '../support/slow-request.js';
import { entraUser } from './scim-fixtures.js';
import { createCertificateAuthority, createRevocationList, issueClientCertificate, type IssuedCertificate } from '../../src/pki/certificates.js';

const DAY_MS = 86_400_000;
/** Bounded polls: the files are polled every second, then a reload is debounced. */
const UNTIL = { timeout: 15_000, interval: 100 };

const logEvents = (service: TestService) =>
  readFileSync(service.logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

const statusWith = async (service: TestService, cert: IssuedCertificate) => {
  const client = service.scimClient({ cert });
  return (await client.get('/Users')).status;
};

describe('CRL and CA bundle are reloaded when their files change', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService('sqlite');
  });
  afterAll(() => service.stop());

  it('a CRL file replaced with one revoking the client refuses its next handshake, without SIGHUP or the admin API', async () => {
    const client = await service.registration('auto-revoked');
    expect((await client.scim.get('/Users')).status).toBe(200);
    writeFileSync(service.crlFile, await createRevocationList(service.ca, [client.certificate.serialNumber], { nextUpdateDays: 7 }));
    await vi.waitFor(async () => expect(await statusWith(service, client.certificate)).toBe(401), UNTIL);
    expect(logEvents(service)).toContainEqual(expect.objectContaining({ event: 'tls.reload', trigger: 'file-change' }));
  });

  it('a keep-alive connection busy when a revocation is reloaded ends after its response, so the client must handshake again', async () => {
    const client = await service.registration('busy-revoked');
    const busy = await startSlowRequest(`${service.scimUrl}/Users`, {
      method: 'POST',
      body: entraUser('busy@busy-revoked.example'),
      ca: service.ca.certificatePem,
      cert: client.certificate.certificatePem,
      key: client.certificate.privateKeyPem,
      headers: { connection: 'keep-alive' },
    });
    writeFileSync(service.crlFile, await createRevocationList(service.ca, [client.certificate.serialNumber], { nextUpdateDays: 7 }));
    expect((await service.admin.post('/tls/reload', {})).status).toBe(200);
    // Authenticated before the revocation, the request completes; its connection is not kept for another.
    const answer = await busy.finish();
    expect(answer.status, answer.text).toBe(201);
    expect(answer.headers.connection).toBe('close');
    expect(await statusWith(service, client.certificate)).toBe(401);
  });

  it('a CA added to the client CA bundle is trusted without a restart', async () => {
    const partnerCa = await createCertificateAuthority({ commonName: 'Partner CA', validDays: 30 });
    const partnerClient = await issueClientCertificate(partnerCa, { commonName: 'partner-client', validDays: 30 });
    await service.admin.post('/registrations', { name: 'partner', portalAccountId: 'acct-partner', accountDomains: ['partner.example'] });
    expect((await service.admin.post('/registrations/partner/certificates', { pem: partnerClient.certificatePem })).status).toBe(201);
    expect(await statusWith(service, partnerClient)).toBe(401);
    writeFileSync(path.join(service.dir, 'ca.pem'), service.ca.certificatePem + partnerCa.certificatePem);
    // With a CRL file in use, OpenSSL wants a CRL from every CA it trusts.
    const crls = await Promise.all([service.ca, partnerCa].map((ca) => createRevocationList(ca, [], { nextUpdateDays: 7 })));
    writeFileSync(service.crlFile, crls.join(''));
    await vi.waitFor(async () => expect(await statusWith(service, partnerClient)).toBe(200), UNTIL);
  });

  it('an unreadable CRL keeps the previous trust material and says why; the admin API answers 422 tls.reload_failed', async () => {
    const reloadsBefore = logEvents(service).filter((event) => event.event === 'tls.reload_failed').length;
    const trusted = await service.registration('still-trusted');
    writeFileSync(service.crlFile, '-----BEGIN X509 CRL-----\nbm90IGEgQ1JM\n-----END X509 CRL-----\n');
    await vi.waitFor(() => expect(logEvents(service).filter((event) => event.event === 'tls.reload_failed').length).toBeGreaterThan(reloadsBefore), UNTIL);
    expect(await statusWith(service, trusted.certificate)).toBe(200);
    const answer = await service.admin.post('/tls/reload', {});
    expect(answer.status).toBe(422);
    expect(answer.body.code).toBe('tls.reload_failed');
  });

  it('a stale CRL (nextUpdate passed) keeps refusing and the log says why', async () => {
    const client = await service.registration('stale-crl');
    writeFileSync(service.crlFile, await createRevocationList(service.ca, [], { nextUpdateDays: -1 }));
    await vi.waitFor(() => expect(logEvents(service)).toContainEqual(expect.objectContaining({ event: 'tls.crl_stale', kind: 'crl', name: 'CN=Test CA' })), UNTIL);
    expect(await statusWith(service, client.certificate)).toBe(401);
    expect(readFileSync(service.logFile, 'utf8')).toContain('CRL_HAS_EXPIRED');
  });
});

describe('expiry dates of the TLS material in use', () => {
  let service: TestService;
  beforeAll(async () => {
    // The test certificates and CRL are valid for 30 days: inside these windows, outside the defaults.
    service = await startTestService('sqlite', { TLS_EXPIRY_WARNING_DAYS: '60', TLS_CRL_WARNING_HOURS: String(60 * 24) });
  });
  afterAll(() => service.stop());

  it('lists the server certificate, the client CA, the CRL nextUpdate and bound client certificates', async () => {
    const client = await service.registration('expiring');
    const expiries = await service.service.tlsExpiries();
    expect(expiries.map((expiry) => [expiry.kind, expiry.name]).sort()).toEqual(
      [
        ['client-ca', 'CN=Test CA'],
        ['client-certificate', `expiring: ${client.certificate.fingerprint256}`],
        ['crl', 'CN=Test CA'],
        ['server-certificate', 'CN=localhost'],
      ].sort(),
    );
    const bound = expiries.find((expiry) => expiry.kind === 'client-certificate')!;
    expect(bound.notAfter.getTime()).toBe(new Date(new X509Certificate(client.certificate.certificatePem).validTo).getTime());
    for (const expiry of expiries) expect(expiry.notAfter.getTime() - Date.now()).toBeGreaterThan(29 * DAY_MS);
  });

  it('warns in the log before anything in use expires', async () => {
    await vi.waitFor(() => {
      const kinds = logEvents(service).filter((event) => event.event === 'tls.expiry_near').map((event) => event.kind);
      expect(kinds).toEqual(expect.arrayContaining(['server-certificate', 'client-ca', 'crl']));
    }, UNTIL);
  });
});
