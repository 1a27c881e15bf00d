import { mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { mongoUriForTest } from './mongo-uri.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';

import type { Store } from '../../src/persistence/persistence.js';
import { openPersistence, prepareTls, startService, type RunningService } from '../../src/main.js';
import { createCertificateAuthority, createRevocationList, issueClientCertificate, issueServerCertificate, type IssuedCertificate } from '../../src/pki/certificates.js';
import { createHttpsClient, type HttpsClient } from './https-client.js';

export type StoreKind = 'sqlite' | 'mongodb';
export const STORE_KINDS: StoreKind[] = ['sqlite', 'mongodb'];

export interface TestService {
  kind: StoreKind;
  dir: string;
  /** Settings that point another instance at the same database (SYNC-3 tests). */
  storeEnv: Record<string, string>;
  /** The CRL file the service reads on start and on POST /admin/v1/tls/reload. */
  crlFile: string;
  store: Store;
  service: RunningService;
  ca: IssuedCertificate;
  scimUrl: string;
  adminUrl: string;
  adminToken: string;
  logFile: string;
  /** Creates a registration with its own client certificate and returns a SCIM client presenting it. */
  registration(name: string, settings?: Record<string, unknown>): Promise<RegisteredClient>;
  /** A SCIM client with explicit credentials (for refusal tests). */
  scimClient(credentials: { cert?: IssuedCertificate; bearer?: string }): HttpsClient;
  admin: HttpsClient;
  stop(): Promise<void>;
}

export interface RegisteredClient {
  id: string;
  name: string;
  certificate: IssuedCertificate;
  scim: HttpsClient;
}

/** The real service on 127.0.0.1 with random ports, real certificates and a real store. */
export async function startTestService(
  kind: StoreKind,
  env: Record<string, string> = {},
  mongoUri: () => string = mongoUriForTest,
): Promise<TestService> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scim-test-'));
  const ca = await createCertificateAuthority({ commonName: 'Test CA', validDays: 30 });
  const server = await issueServerCertificate(ca, { commonName: 'localhost', hostnames: ['localhost'], ipAddresses: ['127.0.0.1'], validDays: 30 });
  const files = { cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server-key.pem'), ca: path.join(dir, 'ca.pem'), crl: path.join(dir, 'crl.pem') };
  writeFileSync(files.cert, server.certificatePem);
  writeFileSync(files.key, server.privateKeyPem);
  writeFileSync(files.ca, ca.certificatePem);
  writeFileSync(files.crl, await createRevocationList(ca, [], { nextUpdateDays: 30 }));
  const adminToken = randomBytes(32).toString('base64url');
  const config = loadConfig({
    HOST: '127.0.0.1',
    SCIM_PORT: '0',
    ADMIN_PORT: '0',
    DATA_DIR: dir,
    TLS_CERT_FILE: files.cert,
    TLS_KEY_FILE: files.key,
    TLS_CLIENT_CA_FILE: files.ca,
    TLS_CRL_FILE: files.crl,
    ADMIN_TOKEN: adminToken,
    LOG_LEVEL: 'http',
    ...(kind === 'mongodb' ? { MONGODB_URI: mongoUri() } : {}),
    ...env,
  });
  const logFile = path.join(dir, 'service.log');
  const logger = createLogger(config.LOG_LEVEL, createWriteStream(logFile));
  const store = await openPersistence(config.store);
  const service = await startService({ config, logger, store, tls: await prepareTls(config), adminToken });
  const scimUrl = `https://127.0.0.1:${service.scim.port}/scim/v2`;
  const adminUrl = `https://127.0.0.1:${service.admin.port}`;
  const clients: HttpsClient[] = [];
  const track = (client: HttpsClient) => (clients.push(client), client);
  const scimClient = ({ cert, bearer }: { cert?: IssuedCertificate; bearer?: string }) =>
    track(createHttpsClient(scimUrl, { ca: ca.certificatePem, cert: cert?.certificatePem, key: cert?.privateKeyPem, bearer }));
  const admin = track(createHttpsClient(`${adminUrl}/admin/v1`, { ca: ca.certificatePem, bearer: adminToken }));

  return {
    kind,
    dir,
    crlFile: files.crl,
    storeEnv: config.store.kind === 'mongodb' ? { MONGODB_URI: config.store.uri } : { DATA_DIR: dir },
    store,
    service,
    ca,
    scimUrl,
    adminUrl,
    adminToken,
    logFile,
    admin,
    scimClient,
    async registration(name, settings = {}) {
      const created = await admin.post('/registrations', { name, portalAccountId: `acct-${name}`, accountDomains: [`${name}.example`], ...settings });
      if (created.status !== 201) throw new Error(`registration ${name} not created: ${created.text}`);
      const certificate = await issueClientCertificate(ca, { commonName: `${name}-client`, validDays: 30 });
      const bound = await admin.post(`/registrations/${name}/certificates`, { pem: certificate.certificatePem });
      if (bound.status !== 201) throw new Error(`certificate for ${name} not bound: ${bound.text}`);
      return { id: created.body.id, name, certificate, scim: scimClient({ cert: certificate }) };
    },
    async stop() {
      clients.forEach((client) => client.close());
      await service.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
