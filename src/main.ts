import { ConfigError, loadConfig } from './config/load.js';
import { createLogger } from './log/logger.js';
import { openStore } from './store/open-store.js';
import { ensureAdminToken, ensureDevelopmentRegistration, prepareTls, startService, type TlsSetup } from './app.js';
import { SCIM_BASE_PATH } from './http/scim-app.js';

/** Composition root: `npm start`. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const store = await openStore(config.store);
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
  });
  printQuickStart(config.HOST, service.scim.port, tls);
  process.on('SIGHUP', () => service.reloadTls());
  const shutdown = async (signal: string) => {
    logger.info('shutting down', { signal });
    await service.close();
    await store.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

function printQuickStart(host: string, port: number, tls: TlsSetup): void {
  if (!tls.development) return;
  const { dir, created, clientCert, clientKey, caCert } = tls.development;
  process.stderr.write(
    [
      '',
      `Development certificates ${created ? 'created' : 'reused'} in ${dir} (never overwritten).`,
      'List users with the development client certificate:',
      `  curl --cacert ${caCert} --cert ${clientCert} --key ${clientKey} https://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}${SCIM_BASE_PATH}/Users`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : (error as Error).stack}\n`);
  process.exit(1);
});
