import { loadConfig } from './config/load.js';
import { isAppError } from './kernel/app-error.js';
import { SERVICE_NAME, SERVICE_VERSION } from './log/logger.js';

/**
 * The process entry (`npm start`, the image). Tracing starts before anything else loads: its
 * instrumentations patch http, Express and the MongoDB driver as they are imported, so the
 * composition root (main.ts) is imported only after it. Unset, the tracing code is never loaded.
 */
async function start(): Promise<void> {
  const config = loadConfig();
  const tracing = config.OTEL_EXPORTER_OTLP_ENDPOINT
    ? await (await import('./tracing/tracing.js')).startTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: SERVICE_NAME, serviceVersion: SERVICE_VERSION })
    : undefined;
  const { runService } = await import('./main.js');
  await runService(config, tracing);
}

start().catch((error: unknown) => {
  // Configuration and start-up failures say what to fix: their message alone, without a stack trace.
  const explained = isAppError(error, 'config') || isAppError(error, 'startup');
  process.stderr.write(`${explained ? error.message : (error as Error).stack}\n`);
  process.exit(1);
});
