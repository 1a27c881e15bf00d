import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes, X509Certificate } from 'node:crypto';
import path from 'node:path';
import { dataPaths, type Config } from './config/load.js';

import type { Store } from './persistence/persistence.js';
import { AppError, isAppError } from './kernel/app-error.js';
import { openSqliteStore } from './persistence/sqlite/sqlite-store.js';
import { openMongoStore } from './persistence/mongo/mongo-store.js';
import { SCIM_BASE_PATH } from './http/scim-app.js';
import { createLogger, type Logger } from './log/logger.js';
import { ensureDevCertificates } from './pki/dev-certificates.js';
import { createDirectoryService } from './directory/directory-service.js';
import { createScimApp, scimErrorAnswer } from './http/scim-app.js';
import { createScimAudit } from './http/audit-context.js';
import { adminErrorAnswer, createAdminApp } from './http/admin-app.js';
import { startTlsServer, type RunningServer, type TlsMaterial } from './http/tls-server.js';
import { createTlsReloader, type CertificateExpiry } from './http/tls-reload.js';
import { boundCertificateExpiries } from './registrations/credential-keys.js';
import { createRegistrationResolver } from './auth/credential-resolver.js';
import { createRegistrationService, type RegistrationService } from './registrations/registration-service.js';
import { registrationChangeEvent } from './audit/registration-audit.js';
import type { AuditActor } from './audit/audit-event.js';

/** The admin API has one caller identity: whoever holds the admin token. */
const ADMIN_ACTOR: AuditActor = { kind: 'admin', subject: 'admin-api' };
import { createEntraJwtVerifier } from './auth/entra-jwt.js';
import { createReconcileService, type ReconcileObserver } from './reconcile/reconcile-service.js';
import { createPortalService } from './portal/portal-service.js';
import { createLicenseSeats } from './portal/license-seats.js';
import { NO_LICENSES } from './domain/licenses.js';
import { createBatchScheduler } from './reconcile/batch-scheduler.js';
import { createJobRunner, type JobRunner } from './jobs/job-runner.js';
import { exclusiveReconcile } from './jobs/reconcile-runs.js';
import { settingsOf } from './registrations/registration-service.js';
import { portalAdminRoutes } from './http/portal-admin-routes.js';
import { supportAdminRoutes } from './http/support-admin-routes.js';
import { createUserStandingService } from './reconcile/user-standing-service.js';
import { createRegistrationOverview } from './reconcile/registration-overview.js';
import { createImportService } from './import/import-service.js';
import { startAuditing, type Auditing } from './audit/auditing.js';
import { createConsoleRouter } from './console/console-router.js';
import { createAuditSearch } from './audit/audit-search.js';
import { createAuditAdminRouter } from './audit/admin-router.js';
import { createSupportAccountService } from './console/support-account-service.js';
import { recordingsPurgedEvent, recordVoiceUserChanges, reconcileRunEvent, voiceUserChangeEvent, voiceUserErrorEvent } from './audit/voice-user-audit.js';
import { createRecordingsPurge, type RecordingsPurge } from './portal/recordings-purge.js';
import type { AuditRecorder } from './audit/recorder.js';
import type { AuditEventInput } from './audit/audit-event.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { addServiceMetrics, type SeatUsage } from './metrics/service-metrics.js';
import { createMetricsRouter } from './metrics/metrics-router.js';
import { createHealthRouter, createReadiness, type Readiness } from './http/health.js';
import { checkTlsMaterial, tlsExpiry, type TlsSources } from './pki/tls-check.js';
import { createBackgroundWork, trackResponses } from './lifecycle/background-work.js';
import { withLogContext } from './log/log-context.js';

/** The audit queue's last flush is never given less than this, even when requests used the whole shutdown timeout. */
const MIN_AUDIT_FLUSH_MS = 2000;
import { createGraphClient } from './writeback/graph-client.js';
import { createWriteBack, type WriteBack } from './writeback/write-back-service.js';
import { writeBackAdminRoutes } from './writeback/admin-routes.js';

/**
 * The composition root, and the only module that names an adapter: config → persistence →
 * features → listeners → jobs. `server.ts` (the process entry) starts tracing first and then
 * loads this; the end-to-end tests call `startService` with a persistence they opened here too.
 */
export interface TlsSetup {
  /** Re-reads the files on each call, so a reload picks up a new CA bundle or CRL. */
  load(): TlsMaterial;
  /** Where each part comes from (setting and file), for start-up messages. */
  sources: TlsSources;
  /** Files whose change reloads the listeners' trust material: the client CA bundle and the CRL. */
  watched: string[];
  /** Set when development certificates are in use: where they are, for the start-up message. */
  development?: { dir: string; created: boolean; clientCert: string; clientKey: string; caCert: string };
}

export interface ServiceDeps {
  config: Config;
  logger: Logger;
  store: Store;
  tls: TlsSetup;
  adminToken: string;
  /**
   * The Prometheus registry and the metrics parts share; a feature adds its collectors to
   * `metrics.registry` (or through `metrics.gaugeAtScrape`). Default: a new one.
   */
  metrics?: Metrics;
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
  metrics: Metrics;
  readiness: Readiness;
  /** TWO-1: the write-back outbox; `backlogs()` gives each registration's pending count and oldest age (metrics). */
  writeBack: WriteBack;
  /** SIGHUP: reads the certificate files again; unusable files are logged and the old ones kept. */
  reloadTls(): void;
  /** Each expiry date in use: server certificate, client CAs, CRLs (nextUpdate), bound client certificates. */
  tlsExpiries(): Promise<CertificateExpiry[]>;
  /**
   * Drains (SIGTERM): not ready from now on, listeners stop accepting, requests in progress
   * finish, then background work (just-in-time reconciles, a batched run, a purge); all within
   * SHUTDOWN_TIMEOUT_MS, after which what is left is cut. Then the audit queue is flushed.
   */
  close(): Promise<void>;
}

/** Wires the service from already-opened parts; used by main.ts and by the end-to-end tests. */
export async function startService({ config, logger, store, tls, adminToken, metrics = createMetrics() }: ServiceDeps): Promise<RunningService> {
  let material = tls.load();
  checkTlsMaterial(material, tls.sources);
  let serverCertificateExpires = expiryOf(material.cert);
  let draining = false;
  const background = createBackgroundWork();
  const jobs = createJobRunner({ leases: store.leases, logger });
  const auditing = startAuditing({
    jobs,
    auditLog: store.auditLog,
    logger,
    retentionDays: config.AUDIT_RETENTION_DAYS,
    maxRefusalsPerMinute: config.MAX_REFUSALS_PER_MINUTE,
  });
  const settingsById = async (id: string) => {
    const found = await store.registrations.get(id);
    return found ? settingsOf(found) : undefined;
  };
  // One audit search and one support-account service, shared by the admin API and the console (AUD-2).
  const registrationNames = { list: () => store.registrations.list() };
  const auditSearch = createAuditSearch({ auditLog: store.auditLog, registrations: registrationNames });
  const supportAccounts = createSupportAccountService({ accounts: store.supportAccounts, registrations: registrationNames });
  const seats = createLicenseSeats(store);
  const record = recordOrLog(auditing.recorder, logger);
  const writeBack = createWriteBack({
    store,
    jobs,
    graph: createGraphClient({
      graphBaseUrl: config.GRAPH_BASE_URL,
      tokenUrlTemplate: config.ENTRA_TOKEN_URL_TEMPLATE,
      ca: config.GRAPH_CA_FILE ? read(config.GRAPH_CA_FILE) : undefined,
      timeoutMs: config.GRAPH_TIMEOUT_MS,
    }),
    settingsOf: settingsById,
    audit: (event) => auditing.recorder.record(event),
    logger,
    drainIntervalMs: config.WRITEBACK_DRAIN_MS,
    backoff: { baseMs: config.WRITEBACK_BACKOFF_BASE_MS, maxMs: config.WRITEBACK_BACKOFF_MAX_MS },
    graphTimeoutMs: config.GRAPH_TIMEOUT_MS,
  });
  // SYNC-3: every reconcile that writes, whatever started it, runs under the registration's run lease.
  const reconcile = exclusiveReconcile({
    reconcile: createReconcileService({
      store,
      seats,
      parallelWrites: store.capabilities.parallelWrites,
      writeBack,
      registrations: { settingsOf: settingsById },
      observer: allOf([reconcileAudit(record), metrics.reconcileObserver, reconcileLog(logger)]),
    }),
    jobs,
    leaseMs: config.RUN_LEASE_MS,
    nameOf: async (id) => (await store.registrations.get(id))?.name ?? id,
  });
  const registrations = createRegistrationService({
    store,
    removeVoiceUsers: reconcile.removeAllVoiceUsers,
    onChange: (change) => record(registrationChangeEvent(change, ADMIN_ACTOR)),
  });
  const portal = createPortalService({
    store,
    seats,
    licensePolicyOf: async (id) => (await settingsById(id))?.licensing ?? NO_LICENSES,
    writeBack,
    onChange: recordVoiceUserChanges(auditing.recorder, { actor: ADMIN_ACTOR }),
  });
  const imports = createImportService({
    store,
    portal,
    settingsOf: async (id) => {
      const settings = await settingsById(id);
      if (!settings) throw new AppError('registration.not_found', `No registration ${id}`, { status: 404 });
      return settings;
    },
  });
  const standings = createUserStandingService({ reconcile });
  const overviewOf = createRegistrationOverview({
    reconcile,
    settingsOf,
    recentRuns: async (registrationId, limit) => (await auditSearch.events({ registrationIds: [registrationId], actions: ['Reconcile.Run'], limit })).events,
    outboxBacklog: async (registrationId) => {
      const backlog = (await writeBack.backlogs()).find((entry) => entry.registrationId === registrationId);
      return { pending: backlog?.pending ?? 0, ...(backlog?.oldestRecordedAt ? { oldest: backlog.oldestRecordedAt } : {}) };
    },
    tlsExpiries: async () => {
      const { serverCertificate, clientCa, crl } = await tlsExpiry(material);
      const named = { 'the server certificate': serverCertificate, 'the client CA': clientCa, 'the CRL': crl };
      return Object.entries(named).flatMap(([name, date]) => (date ? [{ name, notAfter: date.toISOString() }] : []));
    },
  });
  const consoleRouter = createConsoleRouter({
    search: auditSearch,
    accounts: supportAccounts,
    recorder: auditing.recorder,
    logger,
    reconcile,
    consoleState: store,
    support: { records: store.registrations, overviewOf, standings, retained: portal.retained },
    imports,
  });
  const resolver = createRegistrationResolver({
    registrations: store.registrations,
    credentials: store.credentials,
    verifyEntraJwt: createEntraJwtVerifier({ jwksUrl: config.ENTRA_JWKS_URL, extraCa: config.ENTRA_JWKS_CA_FILE && read(config.ENTRA_JWKS_CA_FILE) }),
  });
  const directory = createDirectoryService({
    users: store.users,
    groups: store.groups,
    voiceUsers: store.voiceUsers,
    // SYNC-1 (sync-policy.ts decides when): tracked as background work too, so that if shutdown
    // cuts the request, the reconcile still finishes first.
    reconcileUsers: (ctx, userIds) => background.track(reconcile.reconcileUsers(ctx.registration.id, userIds, ctx.correlationId, ctx.registration.settings)),
  });
  const readiness = createReadiness({
    pingStore: () => store.ping(),
    tlsLoaded: () => serverCertificateExpires > Date.now(),
    draining: () => draining,
    onPing: metrics.storePinged,
  });
  const health = createHealthRouter(readiness);
  const scimAudit = createScimAudit({ recorder: auditing.recorder, refusals: auditing.refusals, logger });
  const scimApp = createScimApp({
    directory,
    resolver,
    logger,
    auditing: {
      scimRequests: scimAudit.scimRequests,
      onRefusedAuth: (req, res, attempt) => {
        metrics.authRefused(attempt.reason);
        return scimAudit.onRefusedAuth(req, res, attempt);
      },
    },
    limits: { maxPageSize: config.MAX_PAGE_SIZE, maxBodyBytes: config.MAX_BODY_BYTES },
    publicBaseUrl: config.PUBLIC_BASE_URL,
    operations: {
      health,
      metrics: metrics.httpMetrics('scim'),
      inFlight: trackResponses(background),
      requestLogLevel: config.REQUEST_LOG_LEVEL,
      maxConcurrentPerRegistration: config.MAX_CONCURRENT_REQUESTS_PER_REGISTRATION,
    },
  });
  const scim = await startTlsServer(material, scimApp, config.HOST, config.SCIM_PORT, { name: { name: 'SCIM', portSetting: 'SCIM_PORT' }, errorAnswer: scimErrorAnswer });
  const adminApp = createAdminApp({
    adminToken,
    registrations,
    logger,
    reloadTls: () => tlsReloader.reload('admin-api'),
    extraRouters: [
      portalAdminRoutes({ registrations, reconcile, portal, imports }),
      writeBackAdminRoutes({ registrations, writeBack, outbox: store.outbox }),
      supportAdminRoutes({ registrations, overviewOf, standings }),
      createAuditAdminRouter({ search: auditSearch, accounts: supportAccounts, recorder: auditing.recorder }),
    ],
    publicRouters: [createMetricsRouter(metrics, { adminToken, metricsToken: config.METRICS_TOKEN }), consoleRouter],
    operations: { health, metrics: metrics.httpMetrics('admin'), inFlight: trackResponses(background), requestLogLevel: config.REQUEST_LOG_LEVEL },
  });
  // The console's sign-in throttle and audit key on req.ip: the client behind the proxies trusted here.
  adminApp.set('trust proxy', config.TRUST_PROXY);
  const admin = await startTlsServer(material, adminApp, config.HOST, config.ADMIN_PORT, { requestCert: false, name: { name: 'admin', portSetting: 'ADMIN_PORT' }, errorAnswer: adminErrorAnswer });
  const tlsReloader = createTlsReloader({
    initial: material,
    load: () => {
      const next = tls.load();
      checkTlsMaterial(next, tls.sources);
      return next;
    },
    apply: (next) => {
      [scim, admin].forEach((listener) => listener.reload(next));
      material = next;
      serverCertificateExpires = expiryOf(next.cert);
    },
    watched: tls.watched,
    boundCertificates: async () => boundCertificateExpiries(await store.registrations.list()),
    logger,
    warnBefore: { certificateDays: config.TLS_EXPIRY_WARNING_DAYS, crlHours: config.TLS_CRL_WARNING_HOURS },
  });
  tlsReloader.start();
  addServiceMetrics(metrics, {
    audit: auditing.recorder,
    seatUsage: () => seatUsage(store, seats),
    tlsExpiry: () => tlsExpiry(material),
    pingStore: readiness.pingStore,
  });
  // TWO-1: what support and alerts need to see of the write-back outbox.
  metrics.gaugeAtScrape('scim_writeback_pending', 'Write-back changes waiting for Microsoft Graph (TWO-1)', ['registration'], async () =>
    (await writeBack.backlogs()).map((backlog) => ({ labels: { registration: backlog.registrationId }, value: backlog.pending })),
  );
  metrics.gaugeAtScrape('scim_writeback_oldest_age_seconds', 'Age of the oldest write-back change still waiting (TWO-1)', ['registration'], async () =>
    (await writeBack.backlogs()).map((backlog) => ({ labels: { registration: backlog.registrationId }, value: backlog.oldestAgeSeconds ?? 0 })),
  );
  const scheduler = createBatchScheduler({
    jobs,
    batchedRegistrations: async () =>
      (await store.registrations.list()).flatMap((r) => {
        const mode = settingsOf(r).syncMode;
        return r.status === 'active' && mode.kind === 'batched' ? [{ id: r.id, intervalMs: mode.intervalMinutes * 60_000 }] : [];
      }),
    reconcile: async (id) => void (await reconcile.reconcileRegistration(id, { trigger: 'batched', dryRun: false })),
    logger,
    tickMs: config.BATCH_TICK_MS,
  });
  withLogContext({ job: 'batch-scheduler' }, () => scheduler.start());
  const recordings = createRecordingsPurge({
    store,
    jobs,
    onPurged: (purged) => {
      logger.info('recordings purged (retention ended)', { registrationId: purged.registrationId, voiceUserId: purged.voiceUserId, rule: 'DEL-4' });
      record(recordingsPurgedEvent(purged));
    },
  });
  recordings.start();
  writeBack.start();
  const close = async () => {
    const started = Date.now();
    const timeLeft = () => Math.max(0, config.SHUTDOWN_TIMEOUT_MS - (Date.now() - started));
    draining = true;
    tlsReloader.stop();
    logger.info('draining: readiness is now 503, listeners stop accepting', { shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
    const [scimCut, adminCut] = await Promise.all([scim.close(timeLeft()), admin.close(timeLeft())]);
    if (scimCut.cut + adminCut.cut > 0) logger.warn('connections still busy at SHUTDOWN_TIMEOUT_MS were cut', { scim: scimCut.cut, admin: adminCut.cut });
    // The job runner: schedules stop, a batched run, purge or write-back drain in flight finishes (its lease released).
    background.track(jobs.stop());
    const unfinished = await background.settled(timeLeft());
    if (unfinished > 0) logger.warn('background work still running at SHUTDOWN_TIMEOUT_MS is left unfinished (a Reconcile run again finishes it, SYNC-4)', { unfinished });
    // An unreachable audit store gets what is left of the timeout (at least a moment), then its
    // queued events are written to the log instead.
    await auditing.close(Math.max(timeLeft(), MIN_AUDIT_FLUSH_MS));
    logger.info('drained', { durationMs: Date.now() - started });
  };
  const reloadTls = () => void tlsReloader.tryReload('signal');
  return { scim, audit: auditing, admin, registrations, recordings, jobs, writeBack, metrics, readiness, reloadTls, tlsExpiries: tlsReloader.expiries, close };
}

/** When the server certificate stops being valid (ms since the epoch); readiness fails after it. */
function expiryOf(certificatePem: string): number {
  return new Date(new X509Certificate(certificatePem).validTo).getTime();
}

/** Seats used and bought of each active registration's counted licences (the database's seat counters). */
async function seatUsage(store: Store, seats: ReturnType<typeof createLicenseSeats>): Promise<SeatUsage[]> {
  const active = (await store.registrations.list()).filter((registration) => registration.status === 'active');
  const perRegistration = await Promise.all(
    active.map(async (registration) => {
      const { licensing } = settingsOf(registration);
      const counted = Object.keys(licensing.seats);
      const used = await seats.inUse(registration.id, licensing, counted);
      return counted.map((license) => ({ registration: registration.id, license, used: used[license] ?? 0, bought: licensing.seats[license] ?? 0 }));
    }),
  );
  return perRegistration.flat();
}

type RecordEvent = (event: AuditEventInput) => void;

/**
 * Records without waiting. Work cut short by the shutdown timeout may still finish after the
 * recorder closed: its events then go to the operational log instead of failing unhandled.
 */
function recordOrLog(recorder: AuditRecorder, logger: Logger): RecordEvent {
  return (event) =>
    void recorder.record(event).catch((error: unknown) => logger.error('audit event not recorded; it follows', { error: (error as Error).message, unsavedAuditEvent: event }));
}

function reconcileAudit(record: RecordEvent): ReconcileObserver {
  return {
    voiceUserChanged: (registrationId, change, rule, run) => record(voiceUserChangeEvent(registrationId, change, rule, run)),
    userFailed: (registrationId, error, run) => record(voiceUserErrorEvent(registrationId, { ...error, directoryId: error.directoryUserId }, run)),
    runFinished: (report) => record(reconcileRunEvent(report.registrationId, { ...report, errors: report.errors.length }, report)),
  };
}

/** One line per applied reconcile run, with its run id (the audit trail has the details). */
function reconcileLog(logger: Logger): ReconcileObserver {
  return {
    voiceUserChanged: () => undefined,
    userFailed: () => undefined,
    // A just-in-time run's line carries its request's correlation id from the log context.
    runFinished: ({ runId, registrationId, trigger, dryRun, counts, durationMs, stopped }) => {
      if (!dryRun) logger.log(stopped ? 'warn' : 'info', 'reconcile run finished', { runId, registrationId, trigger, counts, durationMs, stopped });
    },
  };
}

function allOf(observers: ReconcileObserver[]): ReconcileObserver {
  return {
    voiceUserChanged: (...args) => observers.forEach((observer) => observer.voiceUserChanged(...args)),
    userFailed: (...args) => observers.forEach((observer) => observer.userFailed(...args)),
    runFinished: (report) => observers.forEach((observer) => observer.runFinished(report)),
  };
}

/** Reads the configured certificates, or makes (once) and reuses development ones. */
export async function prepareTls(config: Config): Promise<TlsSetup> {
  if (config.tls.source === 'configured') {
    const { certFile, keyFile, clientCaFile, crlFile } = config.tls;
    const sources = { cert: `TLS_CERT_FILE (${certFile})`, key: `TLS_KEY_FILE (${keyFile})`, clientCa: `TLS_CLIENT_CA_FILE (${clientCaFile})`, crl: `TLS_CRL_FILE (${crlFile})` };
    return {
      sources,
      watched: [clientCaFile, ...(crlFile ? [crlFile] : [])],
      load: () => ({
        cert: readTlsFile(certFile, sources.cert),
        key: readTlsFile(keyFile, sources.key),
        clientCa: readTlsFile(clientCaFile, sources.clientCa),
        crl: crlFile ? readTlsFile(crlFile, sources.crl) : undefined,
      }),
    };
  }
  const dir = path.resolve(config.tls.dir);
  const { created, files } = await ensureDevCertificates(dir);
  return {
    sources: { cert: `development certificate ${files.serverCert}`, key: `development key ${files.serverKey}`, clientCa: `development CA ${files.caCert}`, crl: 'no CRL' },
    load: () => ({ cert: read(files.serverCert), key: read(files.serverKey), clientCa: read(files.caCert) }),
    watched: [files.caCert],
    development: { dir, created, clientCert: files.clientCert, clientKey: files.clientKey, caCert: files.caCert },
  };
}

/** ADMIN_TOKEN, or a random one generated once into DATA_DIR/admin-token (mode 0600). */
export function ensureAdminToken(config: Config): { token: string; file?: string } {
  if (config.ADMIN_TOKEN) return { token: config.ADMIN_TOKEN };
  const file = path.resolve(dataPaths.adminToken(config.DATA_DIR));
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

function readTlsFile(file: string, source: string): string {
  try {
    return read(file);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const why = code === 'EACCES' ? 'permission denied: the service user must be able to read it' : code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : message;
    throw new AppError('startup.tls_unreadable_file', `Cannot read ${source}: ${why}`, { cause: error });
  }
}

/** The only place that picks a storage adapter: MongoDB when MONGODB_URI is set, else the embedded SQLite file. */
export async function openPersistence(store: Config['store'], { serverSelectionTimeoutMs }: { serverSelectionTimeoutMs?: number } = {}): Promise<Store> {
  if (store.kind === 'mongodb') return openMongoStore(store.uri, { writeMode: store.writeMode, serverSelectionTimeoutMs });
  mkdirSync(path.dirname(store.file), { recursive: true });
  return openSqliteStore(store.file);
}

/** `npm start`: opens everything, starts the listeners and jobs, and drains on SIGTERM/SIGINT. */
export async function runService(config: Config, tracing?: { shutdown(): Promise<void> }): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL);
  const store = await openStoreOrExplain(config);
  const tls = await prepareTls(config);
  const admin = ensureAdminToken(config);
  const service = await startService({ config, logger, store, tls, adminToken: admin.token });
  if (tls.development) await ensureDevelopmentRegistration(service.registrations, tls.development.clientCert);
  logger.info('service started', {
    store: config.store.kind === 'sqlite' ? { ...store.facts, file: config.store.file } : store.facts,
    scimUrl: `https://${config.HOST}:${service.scim.port}${SCIM_BASE_PATH}`,
    adminUrl: `https://${config.HOST}:${service.admin.port}`,
    adminTokenFile: admin.file ?? 'ADMIN_TOKEN',
    certificates: tls.development ? { development: tls.development.dir, created: tls.development.created } : 'configured',
    tracing: tracing ? 'on' : 'off',
  });
  printQuickStart(config.HOST, service.scim.port, tls, SCIM_BASE_PATH);
  process.on('SIGHUP', () => service.reloadTls());
  const shutdown = async (signal: string) => {
    logger.info('shutting down', { signal });
    await service.close();
    await store.close();
    await tracing?.shutdown();
    logger.info('stopped', { signal });
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

/** Opens the store; an unreachable MongoDB is reported with its hosts (never the credentials), the cause and the time waited. */
async function openStoreOrExplain(config: Config) {
  const started = Date.now();
  try {
    return await openPersistence(config.store, { serverSelectionTimeoutMs: config.MONGODB_SERVER_SELECTION_TIMEOUT_MS });
  } catch (error) {
    if (!isAppError(error, 'store.unavailable') || config.store.kind !== 'mongodb') throw error;
    const waited = ((Date.now() - started) / 1000).toFixed(1);
    const cause = (error.cause as Error | undefined)?.message ?? error.message;
    throw new AppError(
      'startup.store_unreachable',
      `Cannot reach MongoDB at ${hostsOf(config.store.uri)} (from MONGODB_URI) after waiting ${waited} s: ${cause}. ` +
        'Check the host name and port, that the server runs and that this machine may connect to it; MONGODB_SERVER_SELECTION_TIMEOUT_MS sets how long to wait.',
      { cause: error },
    );
  }
}

/** `host:port[,host:port]` of a MongoDB URI, without user name or password. */
function hostsOf(uri: string): string {
  const authority = uri.replace(/^mongodb(\+srv)?:\/\//, '').split(/[/?]/)[0] ?? '';
  return authority.slice(authority.lastIndexOf('@') + 1);
}

function printQuickStart(host: string, port: number, tls: TlsSetup, basePath: string): void {
  if (!tls.development) return;
  const { dir, created, clientCert, clientKey, caCert } = tls.development;
  process.stderr.write(
    [
      '',
      `Development certificates ${created ? 'created' : 'reused'} in ${dir} (never overwritten).`,
      'List users with the development client certificate:',
      `  curl --cacert ${caCert} --cert ${clientCert} --key ${clientKey} https://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}${basePath}/Users`,
      '',
    ].join('\n'),
  );
}
