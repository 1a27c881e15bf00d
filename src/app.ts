import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Config } from './config/load.js';
import type { Logger } from './log/logger.js';
import type { Store } from './store/store.js';
import { ensureDevCertificates } from './pki/dev-certificates.js';
import { createDirectoryService } from './service/directory-service.js';
import { createScimApp } from './http/scim-app.js';
import { createAdminApp } from './http/admin-app.js';
import { startTlsServer, type RunningServer, type TlsMaterial } from './http/tls-server.js';
import { createRegistrationResolver } from './registrations/resolver.js';
import { createRegistrationService, type RegistrationService } from './registrations/registration-service.js';
import { registrationChangeEvent } from './audit/registration-audit.js';
import type { AuditActor } from './audit/audit-event.js';

/** The admin API has one caller identity: whoever holds the admin token. */
const ADMIN_ACTOR: AuditActor = { kind: 'admin', subject: 'admin-api' };
import { createEntraJwtVerifier } from './auth/entra-jwt.js';
import { createReconcileService, type ReconcileObserver, type ReconcileService } from './service/reconcile-service.js';
import { createPortalService } from './service/portal-service.js';
import { createLicenseSeats } from './service/license-seats.js';
import { NO_LICENSES } from './domain/licenses.js';
import { createBatchScheduler } from './service/batch-scheduler.js';
import { createJobRunner, type JobRunner } from './jobs/job-runner.js';
import { exclusiveReconcile } from './jobs/reconcile-runs.js';
import { settingsOf } from './registrations/registration-service.js';
import { portalAdminRoutes } from './http/portal-admin-routes.js';
import { createImportService, ImportError } from './import/import-service.js';
import { startAuditing, type Auditing } from './audit/auditing.js';
import { recordingsPurgedEvent, recordVoiceUserChanges, reconcileRunEvent, voiceUserChangeEvent, voiceUserErrorEvent } from './audit/voice-user-audit.js';
import { createRecordingsPurge, type RecordingsPurge } from './service/recordings-purge.js';
import type { AuditRecorder } from './audit/recorder.js';
import type { DirectoryChange } from './service/directory-service.js';
import type { RequestContext } from './service/context.js';

export interface TlsSetup {
  /** Re-reads the files on each call, so a reload picks up a new CA bundle or CRL. */
  load(): TlsMaterial;
  /** Set when development certificates are in use: where they are, for the start-up message. */
  development?: { dir: string; created: boolean; clientCert: string; clientKey: string; caCert: string };
}

export interface ServiceDeps {
  config: Config;
  logger: Logger;
  store: Store;
  tls: TlsSetup;
  adminToken: string;
}

export interface RunningService {
  scim: RunningServer;
  /** The audit trail (its recorder can be flushed, e.g. before reading events back). */
  audit: Auditing;
  admin: RunningServer;
  registrations: RegistrationService;
  /** DEL-4: the hourly purge of recordings whose retention ended. */
  recordings: RecordingsPurge;
  /** The lease-guarded runner of every background and on-demand job; `stop()` waits for runs in flight. */
  jobs: JobRunner;
  reloadTls(): void;
  close(): Promise<void>;
}

/** Wires the service from already-opened parts; used by main.ts and by the end-to-end tests. */
export async function startService({ config, logger, store, tls, adminToken }: ServiceDeps): Promise<RunningService> {
  const jobs = createJobRunner({ leases: store.leases, logger });
  const auditing = await startAuditing({
    jobs,
    consoleState: store,
    store: config.store,
    logger,
    registrations: { list: () => store.registrations.list() },
    retentionDays: config.AUDIT_RETENTION_DAYS,
    // Deferred: the reconcile service needs the recorder this call creates.
    reconcile: { reconcileRegistration: (id, options) => reconcile.reconcileRegistration(id, options) },
  });
  const settingsById = async (id: string) => {
    const found = await store.registrations.get(id);
    return found ? settingsOf(found) : undefined;
  };
  const seats = createLicenseSeats(store);
  // SYNC-3: every reconcile that writes, whatever started it, runs under the registration's run lease.
  const reconcile = exclusiveReconcile({
    reconcile: createReconcileService({ store, seats, registrations: { settingsOf: settingsById }, observer: reconcileAudit(auditing.recorder) }),
    jobs,
    leaseMs: config.RUN_LEASE_MS,
    nameOf: async (id) => (await store.registrations.get(id))?.name ?? id,
  });
  const registrations = createRegistrationService({
    store,
    removeVoiceUsers: reconcile.removeAllVoiceUsers,
    onChange: (change) => void auditing.recorder.record(registrationChangeEvent(change, ADMIN_ACTOR)),
  });
  const portal = createPortalService({
    store,
    seats,
    licensePolicyOf: async (id) => (await settingsById(id))?.licensing ?? NO_LICENSES,
    onChange: recordVoiceUserChanges(auditing.recorder, { actor: ADMIN_ACTOR }),
  });
  const imports = createImportService({
    store,
    portal,
    settingsOf: async (id) => {
      const settings = await settingsById(id);
      if (!settings) throw new ImportError('registration.not_found', `No registration ${id}`, 404);
      return settings;
    },
  });
  const resolver = createRegistrationResolver({
    registrations: store.registrations,
    credentials: store.credentials,
    verifyEntraJwt: createEntraJwtVerifier({ jwksUrl: config.ENTRA_JWKS_URL }),
  });
  const directory = createDirectoryService({ store, onChange: justInTime(store, reconcile) });
  const scimApp = createScimApp({
    directory,
    resolver,
    logger,
    auditing,
    limits: { maxPageSize: config.MAX_PAGE_SIZE, maxBodyBytes: config.MAX_BODY_BYTES },
    publicBaseUrl: config.PUBLIC_BASE_URL,
  });
  const scim = await startTlsServer(tls.load(), scimApp, config.HOST, config.SCIM_PORT);
  const reloadTls = () => {
    scim.reload(tls.load());
    logger.info('TLS trust material reloaded', { event: 'tls.reload' });
  };
  const adminApp = createAdminApp({
    adminToken,
    registrations,
    logger,
    reloadTls,
    extraRouters: [portalAdminRoutes({ registrations, reconcile, portal, imports }), auditing.adminRouter],
    publicRouters: [auditing.consoleRouter],
  });
  const admin = await startTlsServer(tls.load(), adminApp, config.HOST, config.ADMIN_PORT, { requestCert: false });
  const scheduler = createBatchScheduler({
    jobs,
    leases: store.leases,
    batchedRegistrations: async () =>
      (await store.registrations.list()).flatMap((r) => {
        const mode = settingsOf(r).syncMode;
        return r.status === 'active' && mode.kind === 'batched' ? [{ id: r.id, intervalMs: mode.intervalMinutes * 60_000 }] : [];
      }),
    reconcile: async (id) => void (await reconcile.reconcileRegistration(id, { trigger: 'batched', dryRun: false })),
    logger,
    tickMs: config.BATCH_TICK_MS,
  });
  scheduler.start();
  const recordings = createRecordingsPurge({ store, jobs, onPurged: (record) => void auditing.recorder.record(recordingsPurgedEvent(record)) });
  recordings.start();
  return {
    scim,
    audit: auditing,
    admin,
    registrations,
    recordings,
    jobs,
    reloadTls,
    close: async () => {
      await jobs.stop();
      await Promise.all([scim.close(), admin.close()]);
      await auditing.close();
    },
  };
}

/** SYNC-1: in just-in-time registrations a SCIM write reaches the voice portal before the response. */
function justInTime(store: Store, reconcile: ReconcileService) {
  return async (ctx: RequestContext, change: DirectoryChange) => {
    const registration = await store.registrations.get(ctx.registrationId);
    if (registration && settingsOf(registration).syncMode.kind === 'just-in-time') await reconcile.reconcileUsers(ctx.registrationId, change.userIds, ctx.correlationId);
  };
}

function reconcileAudit(recorder: AuditRecorder): ReconcileObserver {
  return {
    voiceUserChanged: (registrationId, change, rule, run) => void recorder.record(voiceUserChangeEvent(registrationId, change, rule, run)),
    userFailed: (registrationId, error, run) => void recorder.record(voiceUserErrorEvent(registrationId, { ...error, directoryId: error.directoryUserId }, run)),
    runFinished: (report) => void recorder.record(reconcileRunEvent(report.registrationId, { ...report, errors: report.errors.length }, report)),
  };
}

/** Reads the configured certificates, or makes (once) and reuses development ones. */
export async function prepareTls(config: Config): Promise<TlsSetup> {
  if (config.tls.source === 'configured') {
    const { certFile, keyFile, clientCaFile, crlFile } = config.tls;
    return { load: () => ({ cert: read(certFile), key: read(keyFile), clientCa: read(clientCaFile), crl: crlFile ? read(crlFile) : undefined }) };
  }
  const dir = path.resolve(config.tls.dir);
  const { created, files } = await ensureDevCertificates(dir);
  return {
    load: () => ({ cert: read(files.serverCert), key: read(files.serverKey), clientCa: read(files.caCert) }),
    development: { dir, created, clientCert: files.clientCert, clientKey: files.clientKey, caCert: files.caCert },
  };
}

/** ADMIN_TOKEN, or a random one generated once into DATA_DIR/admin-token (mode 0600). */
export function ensureAdminToken(config: Config): { token: string; file?: string } {
  if (config.ADMIN_TOKEN) return { token: config.ADMIN_TOKEN };
  const file = path.resolve(config.DATA_DIR, 'admin-token');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return { token: read(file).trim(), file };
}

/**
 * First start with development certificates: a `development` registration that accepts the
 * generated client certificate, so the printed curl command works straight away.
 */
export async function ensureDevelopmentRegistration(registrations: RegistrationService, clientCertFile: string): Promise<void> {
  const existing = await registrations.find('development').catch(() => undefined);
  if (existing) return;
  await registrations.create({ name: 'development', portalAccountId: 'development', accountDomains: ['example.com'] });
  await registrations.addCertificate('development', read(clientCertFile), 'fingerprint', 'generated development client');
}

function read(file: string): string {
  return readFileSync(file, 'utf8');
}
