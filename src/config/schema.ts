import { isIP } from 'node:net';
import { z } from 'zod';
import { REFUSAL_LIMITS } from '../audit/refusal-ledger.js';

const port = z.coerce.number().int().min(0).max(65535);
const optionalPath = z.string().min(1).optional();
const logLevel = z.enum(['error', 'warn', 'info', 'http', 'debug']);

/**
 * Express `trust proxy` for the admin/console listener: `true`, `false`, a number of proxy hops, or a
 * comma-separated list of proxy addresses/subnets (`loopback`, `linklocal`, `uniquelocal` allowed).
 */
const trustProxy = z
  .string()
  .optional()
  .transform((value, context): boolean | number | string[] => {
    if (value === undefined || value === 'false') return false;
    if (value === 'true') return true;
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value.split(',').map((entry) => entry.trim());
    const wrong = entries.filter((entry) => !isProxyAddress(entry));
    if (wrong.length > 0) context.addIssue({ code: 'custom', message: `not an address, subnet, hop count, true or false: ${wrong.join(', ')}` });
    return entries;
  });

function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  return rest.length === 0 && isIP(address) !== 0 && (prefix === undefined || /^\d{1,3}$/.test(prefix));
}

/**
 * Every setting of the service, read from environment variables (or a JSON file named by
 * CONFIG_FILE, whose keys are the same variable names). Parsed once at start-up; code
 * receives the typed Config, never process.env.
 */
export const ConfigSchema = z
  .object({
    HOST: z.string().default('127.0.0.1').describe('Interface the SCIM and admin listeners bind to'),
    SCIM_PORT: port.default(8443).describe('HTTPS (mutual TLS) port of the SCIM API; 0 picks a free port'),
    ADMIN_PORT: port.default(8444).describe('HTTPS port of the admin API and support console; 0 picks a free port'),
    PUBLIC_BASE_URL: z.string().url().optional().describe('Base URL clients use, for meta.location (default https://HOST:SCIM_PORT)'),
    DATA_DIR: z.string().default('./data').describe('Folder for the embedded store and generated development certificates'),
    MONGODB_URI: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
      .optional()
      .describe('Selects the MongoDB store (through mongoose); unset = embedded SQLite store under DATA_DIR (secret: may hold a password)'),
    MONGODB_WRITE_MODE: z
      .enum(['auto', 'atomic', 'claimed'])
      .optional()
      .describe('Conditional writes on MongoDB (default auto): auto = atomic updates where the server passes the check at connect, else version claims; atomic is refused on a server that fails it'),
    TLS_CERT_FILE: optionalPath.describe('Server certificate (PEM); unset = development certificates under DATA_DIR/certs'),
    TLS_KEY_FILE: optionalPath.describe('Server private key (PEM)'),
    TLS_CLIENT_CA_FILE: optionalPath.describe('CA bundle (PEM) trusted to sign client certificates'),
    TLS_CRL_FILE: optionalPath.describe('Certificate revocation list(s) (PEM) for client certificates'),
    TLS_EXPIRY_WARNING_DAYS: z.coerce.number().int().min(1).default(14).describe('Warn in the log this many days before the server certificate, a client CA or a bound client certificate expires'),
    TLS_CRL_WARNING_HOURS: z.coerce.number().int().min(1).default(24).describe("Warn in the log this many hours before a CRL's nextUpdate (after it, every client certificate of that CA is refused)"),
    MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576).describe('Largest accepted request body (advertised as bulk.maxPayloadSize)'),
    MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(10_000).default(1000).describe('Largest page a list returns (advertised as filter.maxResults)'),
    ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters').optional().describe('Secret for the admin API and CLI (secret); unset = generated once into DATA_DIR/admin-token'),
    ENTRA_JWKS_URL: z.string().url().default('https://login.microsoftonline.com/common/discovery/keys').describe('JWKS used to verify Entra-issued JWTs (only for registrations with an Entra tenant id)'),
    ENTRA_JWKS_CA_FILE: optionalPath.describe('Extra CA certificate(s) (PEM) trusted for ENTRA_JWKS_URL besides the system roots, e.g. behind a TLS-inspecting proxy'),
    MAX_REFUSALS_PER_MINUTE: z.coerce.number().int().min(1).default(REFUSAL_LIMITS.maxPerAddress).describe('Refused requests one source address may have per minute before the next are answered 429 (per instance)'),
    BATCH_TICK_MS: z.coerce.number().int().min(100).default(30_000).describe('How often the batch scheduler looks for batched registrations that are due'),
    RUN_LEASE_MS: z.coerce.number().int().min(1000).default(60_000).describe("How long a reconcile's run lease lasts unrenewed (renewed every third of it while the run lasts): a killed instance's run is taken over this long after"),
    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).default(365).describe('Audit events older than this are purged daily (the only deletion of the audit trail)'),
    TRUST_PROXY: trustProxy.describe('Proxies in front of the admin/console listener whose X-Forwarded-For is believed (the sign-in throttle and audit key on that address): true, a hop count, or addresses/subnets; unset = none'),
    LOG_LEVEL: logLevel.default('info').describe('winston log level'),
    REQUEST_LOG_LEVEL: logLevel.default('info').describe('Level of the one line logged per request (shown when LOG_LEVEL is this level or more verbose)'),
    METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters').optional().describe('Secret a Prometheus scraper may use for GET /metrics instead of the admin token (secret)'),
    OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional().describe('OTLP/HTTP collector (e.g. http://otel-collector:4318); set = traces exported, unset = tracing not loaded'),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(25_000).describe('On SIGTERM/SIGINT, how long requests in progress, then background work, may take to finish before they are cut'),
    MAX_CONCURRENT_REQUESTS_PER_REGISTRATION: z.coerce.number().int().min(1).default(256).describe('SCIM requests one registration may have in progress at once; more are answered 503 with Retry-After'),
    MONGODB_SERVER_SELECTION_TIMEOUT_MS: z.coerce.number().int().min(100).default(2000).describe('How long to wait for a reachable MongoDB server (at start-up and per operation) before giving up (then 503 with Retry-After)'),
    GRAPH_BASE_URL: z.string().url().default('https://graph.microsoft.com').describe('Microsoft Graph base URL for the two-way write-back (TWO-1); a national cloud has its own'),
    ENTRA_TOKEN_URL_TEMPLATE: z
      .string()
      .url()
      .refine((url) => url.includes('{tenant}'), 'must contain {tenant}')
      .default('https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token')
      .describe('Token endpoint of the write-back app sign-in; {tenant} becomes the registration\'s tenant id'),
    GRAPH_CA_FILE: optionalPath.describe('Extra CA certificates (PEM) trusted for Graph and the token endpoint, besides the system ones'),
    GRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000).describe('Longest wait for one answer from Graph or the token endpoint'),
    WRITEBACK_DRAIN_MS: z.coerce.number().int().min(10).default(5_000).describe('How often the write-back outbox is drained (a portal edit also starts a drain at once)'),
    WRITEBACK_BACKOFF_BASE_MS: z.coerce.number().int().min(1).default(2_000).describe('Write-back delay after a first failure; doubles per failure, with jitter'),
    WRITEBACK_BACKOFF_MAX_MS: z.coerce.number().int().min(1).default(900_000).describe('Longest write-back delay between attempts (Graph\'s Retry-After may ask for more)'),
  });

/**
 * Settings holding secrets. Each may instead be read from a file named by `<NAME>_FILE` (Docker and
 * Kubernetes secrets); their values are never logged.
 */
export const SECRET_SETTINGS = ['ADMIN_TOKEN', 'METRICS_TOKEN', 'MONGODB_URI'] as const satisfies readonly (keyof z.infer<typeof ConfigSchema>)[];

/** The server certificate, its key and the client CA come together or not at all. */
export const TLS_FILE_SETTINGS = ['TLS_CERT_FILE', 'TLS_KEY_FILE', 'TLS_CLIENT_CA_FILE'] as const;

export type RawConfig = z.infer<typeof ConfigSchema>;
