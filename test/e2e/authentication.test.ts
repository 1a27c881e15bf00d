import { createServer, type Server } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { STORE_KINDS, startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { createCertificateAuthority, createRevocationList, issueClientCertificate, issueServerCertificate } from '../../src/pki/certificates.js';
import { ENTRA_PROVISIONING_AUDIENCE } from '../../src/auth/entra-jwt.js';
import { entraUser } from './scim-fixtures.js';

const TENANT = '4f0a9c1e-2b7d-4c3a-9e8f-0a1b2c3d4e5f';

describe.each(STORE_KINDS)('Authentication and refusals (%s store)', (kind) => {
  let service: TestService;
  let contoso: RegisteredClient;
  let jwks: Server;
  const jwksDir = mkdtempSync(path.join(os.tmpdir(), 'jwks-'));
  let signingKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

  beforeAll(async () => {
    const keys = await generateKeyPair('RS256');
    signingKey = keys.privateKey;
    const publicJwk: JWK = { ...(await exportJWK(keys.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    // The key server is a real HTTPS server with its own CA, which the service is told to trust.
    const keyServerCa = await createCertificateAuthority({ commonName: 'Key server CA', validDays: 1 });
    const keyServer = await issueServerCertificate(keyServerCa, { commonName: 'keys', hostnames: ['localhost'], ipAddresses: ['127.0.0.1'], validDays: 1 });
    writeFileSync(path.join(jwksDir, 'ca.pem'), keyServerCa.certificatePem);
    jwks = createServer({ cert: keyServer.certificatePem, key: keyServer.privateKeyPem }, (_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [publicJwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `https://127.0.0.1:${(jwks.address() as { port: number }).port}/keys`;
    service = await startTestService(kind, { ENTRA_JWKS_URL: jwksUrl, ENTRA_JWKS_CA_FILE: path.join(jwksDir, 'ca.pem') });
    contoso = await service.registration('contoso', { entraTenantId: TENANT });
  });
  afterAll(async () => {
    await service.stop();
    jwks.close();
    rmSync(jwksDir, { recursive: true, force: true });
  });

  const expect401 = async (response: Promise<{ status: number; body: any }>) => {
    const { status, body } = await response;
    expect(status).toBe(401);
    expect(body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: 401 });
    expect(body.detail).not.toMatch(/contoso|registration .* exists/i);
  };
  const jwt = (claims: Record<string, unknown>, expiresIn = '10m') =>
    new SignJWT({ tid: TENANT, appid: 'entra-provisioning', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer(`https://sts.windows.net/${TENANT}/`)
      .setAudience(ENTRA_PROVISIONING_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(signingKey);

  it('REG-2: a bound client certificate is accepted', async () => {
    expect((await contoso.scim.get('/Users')).status).toBe(200);
  });

  it('no certificate and no bearer: 401', async () => {
    await expect401(service.scimClient({}).get('/Users'));
  });

  it('a certificate from another CA, or self-signed: 401', async () => {
    const otherCa = await createCertificateAuthority({ commonName: 'Rogue CA', validDays: 30 });
    await expect401(service.scimClient({ cert: await issueClientCertificate(otherCa, { commonName: 'contoso-client', validDays: 30 }) }).get('/Users'));
    await expect401(service.scimClient({ cert: otherCa }).get('/Users'));
  });

  it('an expired certificate is refused even when its fingerprint is bound', async () => {
    const expired = await issueClientCertificate(service.ca, {
      commonName: 'expired-client',
      validDays: 1,
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    await expect401(service.scimClient({ cert: expired }).get('/Users'));
  });

  it('a trusted certificate bound to no registration: 401, and the attempt is logged without secrets', async () => {
    const stranger = await issueClientCertificate(service.ca, { commonName: 'stranger', validDays: 30 });
    await expect401(service.scimClient({ cert: stranger }).get('/Users'));
    // The log is written through a stream: wait (bounded) until the attempt's line is there.
    const log = await vi.waitUntil(() => {
      const text = readFileSync(service.logFile, 'utf8');
      return text.includes(stranger.fingerprint256) && text;
    }, { timeout: 10_000, interval: 20 });
    expect(log).toContain('certificate-not-bound');
    expect(log).toContain(stranger.fingerprint256);
    expect(log).not.toContain('PRIVATE KEY');
  });

  it('a revoked certificate is refused after the CRL is reloaded without a restart', async () => {
    const registration = await service.registration('revocable');
    expect((await registration.scim.get('/Users')).status).toBe(200);
    writeFileSync(service.crlFile, await createRevocationList(service.ca, [registration.certificate.serialNumber], { nextUpdateDays: 7 }));
    expect((await service.admin.post('/tls/reload', {})).status).toBe(200);
    await expect401(service.scimClient({ cert: registration.certificate }).get('/Users'));
  });

  it('a bearer secret token issued for the registration works; a wrong or revoked one is 401', async () => {
    const issued = await service.admin.post('/registrations/contoso/tokens', { label: 'entra' });
    expect(issued.status).toBe(201);
    const viaToken = service.scimClient({ bearer: issued.body.token });
    expect((await viaToken.post('/Users', entraUser('token.user@contoso.example'))).status).toBe(201);
    const both = await contoso.scim.get(`/Users?filter=${encodeURIComponent('userName eq "token.user@contoso.example"')}`);
    expect(both.body.totalResults).toBe(1);
    await expect401(service.scimClient({ bearer: `${issued.body.token.slice(0, -2)}xx` }).get('/Users'));
    await expect401(service.scimClient({ bearer: 'not-a-token' }).get('/Users'));
    expect((await service.admin.delete(`/registrations/contoso/tokens/${issued.body.id}`)).status).toBe(204);
    await expect401(service.scimClient({ bearer: issued.body.token }).get('/Users'));
  });

  it('an Entra-issued JWT for the registration tenant works', async () => {
    expect((await service.scimClient({ bearer: await jwt({}) }).get('/Users')).status).toBe(200);
  });

  it.each([
    ['wrong audience', async () => new SignJWT({ tid: TENANT }).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).setIssuer(`https://sts.windows.net/${TENANT}/`).setAudience('someone-else').setExpirationTime('10m').sign(signingKey)],
    ['wrong issuer', async () => new SignJWT({ tid: TENANT }).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).setIssuer('https://evil.example/').setAudience(ENTRA_PROVISIONING_AUDIENCE).setExpirationTime('10m').sign(signingKey)],
    ['expired', async () => jwt({}, '-1m')],
    ['unsigned (alg none)', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ tid: TENANT, aud: ENTRA_PROVISIONING_AUDIENCE, iss: `https://sts.windows.net/${TENANT}/`, exp: Math.floor(Date.now() / 1000) + 600 })}.`],
    ['another tenant', async () => jwt({ tid: '00000000-0000-0000-0000-000000000000' })],
  ])('a JWT with %s is 401', async (_name, make) => {
    await expect401(service.scimClient({ bearer: await make() }).get('/Users'));
  });

  it('REG-4: a deleted registration’s certificate is refused from that moment', async () => {
    const leaving = await service.registration('leaving');
    expect((await leaving.scim.post('/Users', entraUser('bye@leaving.example'))).status).toBe(201);
    const dryRun = await service.admin.delete('/registrations/leaving?dryRun=true');
    expect(dryRun.body).toMatchObject({ dryRun: true, users: 1 });
    expect((await leaving.scim.get('/Users')).status).toBe(200);
    const ended = await service.admin.delete('/registrations/leaving');
    expect(ended.body).toMatchObject({ dryRun: false, users: 1 });
    await expect401(service.scimClient({ cert: leaving.certificate }).get('/Users'));
  });

  describe('issuer + subject bindings compare the DER names byte for byte', () => {
    const bindBySubject = async (name: string, certificate: { certificatePem: string }) => {
      await service.admin.post('/registrations', { name, portalAccountId: `acct-${name}`, accountDomains: [`${name}.example`] });
      const bound = await service.admin.post(`/registrations/${name}/certificates`, { pem: certificate.certificatePem, bindBy: 'subject' });
      expect(bound.status).toBe(201);
      return bound.body;
    };

    it('REG-2: a CN holding ", O=Contoso" from the same CA does not pass for CN=x, O=Contoso', async () => {
      const bound = await bindBySubject('subject-bound', await issueClientCertificate(service.ca, { commonName: 'x', organization: 'Contoso', validDays: 30 }));
      expect(bound.subject).toBe('CN=x, O=Contoso');
      const reissued = await issueClientCertificate(service.ca, { commonName: 'x', organization: 'Contoso', validDays: 30 });
      expect((await service.scimClient({ cert: reissued }).get('/Users')).status).toBe(200);
      const lookalike = await issueClientCertificate(service.ca, { commonName: 'x, O=Contoso', validDays: 30 });
      await expect401(service.scimClient({ cert: lookalike }).get('/Users'));
    });

    it('REG-2: a subject with a comma inside a value binds, and a certificate re-issued to it signs in', async () => {
      const names = { commonName: 'Contoso, Ltd provisioning', organization: 'Contoso, Ltd', validDays: 30 };
      const bound = await bindBySubject('comma-subject', await issueClientCertificate(service.ca, names));
      expect(bound.subject).toBe('CN=Contoso\\, Ltd provisioning, O=Contoso\\, Ltd');
      const reissued = await issueClientCertificate(service.ca, names);
      const response = await service.scimClient({ cert: reissued }).post('/Users', entraUser('comma@comma-subject.example'));
      expect(response.status).toBe(201);
    });

    it('REG-2: an issuer + subject binding stored by an earlier version keeps working, and still refuses the lookalike', async () => {
      const original = await issueClientCertificate(service.ca, { commonName: 'y', organization: 'Fabrikam', validDays: 30 });
      const created = await service.admin.post('/registrations', { name: 'legacy-subject', portalAccountId: 'acct-legacy', accountDomains: ['legacy.example'] });
      // What versions before the DER digest wrote: Node's escaped names, one line each, joined by ", ".
      const oneLine = (x509Name: string) => x509Name.split('\n').filter(Boolean).join(', ');
      const x509 = new X509Certificate(original.certificatePem);
      await service.store.credentials.bind(`certificate-dn:${oneLine(x509.issuer)}\n${oneLine(x509.subject)}`, created.body.id);
      const reissued = await issueClientCertificate(service.ca, { commonName: 'y', organization: 'Fabrikam', validDays: 30 });
      expect((await service.scimClient({ cert: reissued }).get('/Users')).status).toBe(200);
      await expect401(service.scimClient({ cert: await issueClientCertificate(service.ca, { commonName: 'y, O=Fabrikam', validDays: 30 }) }).get('/Users'));
      await service.admin.post('/registrations', { name: 'legacy-rival', portalAccountId: 'acct-rival', accountDomains: ['rival.example'] });
      const taken = await service.admin.post('/registrations/legacy-rival/certificates', { pem: reissued.certificatePem, bindBy: 'subject' });
      expect(taken.status).toBe(409);
      expect(taken.body.code).toBe('registration.credential_taken');
    });
  });

  it('a certificate cannot be bound to two registrations', async () => {
    await service.admin.post('/registrations', { name: 'second', portalAccountId: 'acct-2', accountDomains: ['second.example'] });
    const response = await service.admin.post('/registrations/second/certificates', { pem: contoso.certificate.certificatePem });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('registration.credential_taken');
  });
});

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
