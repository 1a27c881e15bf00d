import { ConfigError, loadConfig, type Config } from './config/load.js';
import { StartupError } from './lifecycle/startup-error.js';
import { SERVICE_NAME, SERVICE_VERSION } from './log/logger.js';
import type { TlsSetup } from './app.js';

/** Composition root: `npm start`. */
async function main(): Promise<void> {
  const config = loadConfig();
  // Tracing first: its instrumentations patch http, Express and the MongoDB driver as they load,
  // so everything else is imported after it. Unset, the tracing code is never loaded.
  const tracing = config.OTEL_EXPORTER_OTLP_ENDPOINT
    ? await (await import('./tracing/tracing.js')).startTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: SERVICE_NAME, serviceVersion: SERVICE_VERSION })
    : undefined;
  const [{ createLogger }, { createMetrics }, { ensureAdminToken, ensureDevelopmentRegistration, prepareTls, startService }, { SCIM_BASE_PATH }] = await Promise.all([
    import('./log/logger.js'),
    import('./metrics/metrics.js'),
    import('./app.js'),
    import('./http/scim-app.js'),
  ]);
  const logger = createLogger(config.LOG_LEVEL);
  const store = await openStoreOrExplain(config);
  const tls = await prepareTls(config);
  const admin = ensureAdminToken(config);
  const service = await startService({ config, logger, store, tls, adminToken: admin.token, metrics: createMetrics() });
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
  const [{ openStore }, { StoreUnavailableError }] = await Promise.all([import('./store/open-store.js'), import('./store/store.js')]);
  const started = Date.now();
  try {
    return await openStore(config.store, { serverSelectionTimeoutMs: config.MONGODB_SERVER_SELECTION_TIMEOUT_MS });
  } catch (error) {
    if (!(error instanceof StoreUnavailableError) || config.store.kind !== 'mongodb') throw error;
    const waited = ((Date.now() - started) / 1000).toFixed(1);
    const cause = ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
    throw new StartupError(
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

main().catch((error: unknown) => {
  const explained = error instanceof ConfigError || error instanceof StartupError;
  process.stderr.write(`${explained ? error.message : (error as Error).stack}\n`);
  process.exit(1);
});
