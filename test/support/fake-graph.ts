import { createHash, randomBytes, randomUUID, webcrypto, X509Certificate } from 'node:crypto';
import https from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { decodeProtectedHeader, importX509, jwtVerify } from 'jose';
import { createCertificateAuthority, issueServerCertificate } from '../../src/pki/certificates.js';

/** A PATCH as Graph received it. `answered` is the status it got (undefined: left hanging). */
export interface GraphRequest {
  userId: string;
  body: Record<string, unknown>;
  at: number;
  answered?: number;
}

export interface TokenRequest {
  tenantId: string;
  clientId?: string;
  issued: boolean;
  reason?: string;
}

export type Misbehaviour = { kind: 'status'; status: 400 | 404 | 429 | 503; retryAfterSeconds?: number } | { kind: 'hang' };

/** Error bodies as Graph words them. */
const GRAPH_ERRORS = {
  400: { code: 'Request_BadRequest', message: 'Unable to update the specified properties for on-premises mastered Directory Sync objects.' },
  404: { code: 'Request_ResourceNotFound', message: 'Resource does not exist or one of its queried reference-property objects are not present.' },
  429: { code: 'TooManyRequests', message: 'Too many requests.' },
  503: { code: 'serviceNotAvailable', message: 'Service unavailable.' },
};

export interface AppCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

/**
 * Microsoft's token endpoint and Graph's `PATCH /v1.0/users/{id}`, over HTTPS on 127.0.0.1.
 * The token endpoint checks the client assertion as Entra does: signature against the
 * certificate registered for the app, `x5t#S256`, audience = the token URL, iss = sub = client
 * id, a short expiry, a fresh `jti`. Graph accepts only tokens it issued and records every PATCH.
 * Told to, it answers 429/503 (with Retry-After), hangs (no answer), or goes down (closed).
 */
export async function startFakeGraph({ tokenLifetimeSeconds = 3600 }: { tokenLifetimeSeconds?: number } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-graph-'));
  const ca = await createCertificateAuthority({ commonName: 'Fake Microsoft CA', validDays: 30 });
  const tls = await issueServerCertificate(ca, { commonName: 'localhost', hostnames: ['localhost'], ipAddresses: ['127.0.0.1'], validDays: 30 });
  const caFile = path.join(dir, 'fake-microsoft-ca.pem');
  writeFileSync(caFile, ca.certificatePem);

  const apps = new Map<string, { tenantId: string; certificatePem: string }>();
  const tokens = new Map<string, { tenantId: string; expiresAt: number }>();
  const seenJti = new Set<string>();
  const misbehaviours: Misbehaviour[] = [];
  const requests: GraphRequest[] = [];
  const tokenRequests: TokenRequest[] = [];
  const sockets = new Set<Socket>();
  let port = 0;

  const server = https.createServer({ cert: tls.certificatePem, key: tls.privateKeyPem }, (req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', baseUrl());
      const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
      const user = /^\/v1\.0\/users\/([^/]+)$/.exec(url.pathname);
      const reply = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      if (req.method === 'POST' && token) void issueToken(decodeURIComponent(token[1]!), new URLSearchParams(text), `${baseUrl()}${url.pathname}`).then(([status, body]) => reply(status, body));
      else if (req.method === 'PATCH' && user) patchUser(decodeURIComponent(user[1]!), req.headers.authorization, text, reply);
      else reply(404, { error: { code: 'Request_ResourceNotFound', message: 'no such endpoint in the fake' } });
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function issueToken(tenantId: string, form: URLSearchParams, tokenUrl: string): Promise<[number, unknown]> {
    const clientId = form.get('client_id') ?? undefined;
    const refuse = (reason: string): [number, unknown] => {
      tokenRequests.push({ tenantId, clientId, issued: false, reason });
      return [401, { error: 'invalid_client', error_description: `AADSTS700027: ${reason}` }];
    };
    const app = clientId ? apps.get(clientId) : undefined;
    if (form.get('grant_type') !== 'client_credentials') return refuse('grant_type must be client_credentials');
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return refuse('client_assertion_type must be jwt-bearer');
    if (!form.get('scope')?.endsWith('/.default')) return refuse('scope must be <resource>/.default');
    if (!app || app.tenantId !== tenantId) return refuse(`application ${clientId} is not registered in tenant ${tenantId}`);
    const assertion = form.get('client_assertion') ?? '';
    try {
      const header = decodeProtectedHeader(assertion);
      const registered = new X509Certificate(app.certificatePem);
      if (header['x5t#S256'] !== createHash('sha256').update(registered.raw).digest('base64url')) return refuse('x5t#S256 names no certificate registered on the app');
      const { payload } = await jwtVerify(assertion, await importX509(app.certificatePem, String(header.alg)), { audience: tokenUrl, issuer: clientId, subject: clientId, algorithms: ['PS256', 'RS256'] });
      if (!payload.exp || !payload.nbf || payload.exp - Math.floor(Date.now() / 1000) > 600) return refuse('the assertion must expire within 10 minutes');
      if (!payload.jti || seenJti.has(payload.jti)) return refuse('the assertion was replayed (jti seen before)');
      seenJti.add(payload.jti);
    } catch (error) {
      return refuse(`invalid client assertion (${(error as Error).message})`);
    }
    const accessToken = randomBytes(24).toString('base64url');
    tokens.set(accessToken, { tenantId, expiresAt: Date.now() + tokenLifetimeSeconds * 1000 });
    tokenRequests.push({ tenantId, clientId, issued: true });
    return [200, { token_type: 'Bearer', expires_in: tokenLifetimeSeconds, access_token: accessToken }];
  }

  function patchUser(userId: string, authorization: string | undefined, text: string, reply: (status: number, body?: unknown, headers?: Record<string, string>) => void): void {
    const issued = tokens.get(authorization?.replace(/^Bearer /, '') ?? '');
    if (!issued || issued.expiresAt < Date.now()) {
      reply(401, { error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty, expired or not issued here.' } });
      return;
    }
    const request: GraphRequest = { userId, body: JSON.parse(text) as Record<string, unknown>, at: Date.now() };
    requests.push(request);
    const misbehaviour = misbehaviours.shift();
    if (misbehaviour?.kind === 'hang') return;
    if (misbehaviour?.kind === 'status') {
      request.answered = misbehaviour.status;
      const retryAfter: Record<string, string> = misbehaviour.retryAfterSeconds === undefined ? {} : { 'retry-after': String(misbehaviour.retryAfterSeconds) };
      reply(misbehaviour.status, { error: GRAPH_ERRORS[misbehaviour.status] }, retryAfter);
      return;
    }
    request.answered = 204;
    reply(204);
  }

  function baseUrl(): string {
    return `https://127.0.0.1:${port}`;
  }

  async function listen(onPort: number): Promise<void> {
    await new Promise<void>((resolve) => server.listen(onPort, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  }

  await listen(0);

  return {
    baseUrl: baseUrl(),
    tokenUrlTemplate: `${baseUrl()}/{tenant}/oauth2/v2.0/token`,
    caFile,
    requests,
    tokenRequests,
    /** PATCHes Graph applied (answered 204), in the order it applied them. */
    applied: () => requests.filter((request) => request.answered === 204),
    registerApp(clientId: string, tenantId: string, certificatePem: string): void {
      apps.set(clientId, { tenantId, certificatePem });
    },
    /**
     * An app registration in a customer tenant, as the service is configured for it: the app's
     * certificate and key in files, registered here, and the registration's `writeBack` setting.
     */
    async customerApp(tenantId = randomUUID(), clientId = randomUUID()) {
      const certificate = await createAppCertificate();
      const certificateFile = path.join(dir, `${clientId}.pem`);
      const privateKeyFile = path.join(dir, `${clientId}-key.pem`);
      writeFileSync(certificateFile, certificate.certificatePem);
      writeFileSync(privateKeyFile, certificate.privateKeyPem, { mode: 0o600 });
      apps.set(clientId, { tenantId, certificatePem: certificate.certificatePem });
      return { certificate, writeBack: { tenantId, clientId, certificateFile, privateKeyFile } };
    },
    /** Service settings pointing at this fake, with a fast drain and short backoff for tests. */
    serviceEnv(): Record<string, string> {
      return {
        GRAPH_BASE_URL: baseUrl(),
        ENTRA_TOKEN_URL_TEMPLATE: `${baseUrl()}/{tenant}/oauth2/v2.0/token`,
        GRAPH_CA_FILE: caFile,
        GRAPH_TIMEOUT_MS: '500',
        WRITEBACK_DRAIN_MS: '50',
        WRITEBACK_BACKOFF_BASE_MS: '50',
        WRITEBACK_BACKOFF_MAX_MS: '400',
      };
    },
    /** The next PATCHes (one per entry) misbehave; later ones succeed. */
    misbehave(...next: Misbehaviour[]): void {
      misbehaviours.push(...next);
    },
    /** Closes the listener and every open connection: Graph and the token endpoint are unreachable. */
    async down(): Promise<void> {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    /** Listens again on the same port. */
    up(): Promise<void> {
      return listen(port);
    },
    async close(): Promise<void> {
      if (server.listening) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type FakeGraph = Awaited<ReturnType<typeof startFakeGraph>>;

/** The write-back app's own certificate: RSA (as Entra requires for certificate credentials), self-signed. */
export async function createAppCertificate(commonName = 'voice-portal write-back'): Promise<AppCertificate> {
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 30 * 86_400_000),
    keys: keys as unknown as x509.X509CertificateCreateSelfSignedParams['keys'],
    signingAlgorithm: algorithm,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as webcrypto.CryptoKey);
  return { certificatePem: `${certificate.toString('pem')}\n`, privateKeyPem: `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n` };
}

/** Polls until `condition` holds; fails naming `what` after `timeoutMs` (a bound, not a sleep). */
export async function waitFor<T>(what: string, condition: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
