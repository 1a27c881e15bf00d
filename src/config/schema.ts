import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const optionalPath = z.string().min(1).optional();

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
      .describe('Selects the MongoDB store (through mongoose); unset = embedded SQLite store under DATA_DIR'),
    TLS_CERT_FILE: optionalPath.describe('Server certificate (PEM); unset = development certificates under DATA_DIR/certs'),
    TLS_KEY_FILE: optionalPath.describe('Server private key (PEM)'),
    TLS_CLIENT_CA_FILE: optionalPath.describe('CA bundle (PEM) trusted to sign client certificates'),
    TLS_CRL_FILE: optionalPath.describe('Certificate revocation list(s) (PEM) for client certificates'),
    MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576).describe('Largest accepted request body (advertised as bulk.maxPayloadSize)'),
    MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(10_000).default(1000).describe('Largest page a list returns (advertised as filter.maxResults)'),
    ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters').optional().describe('Secret for the admin API and CLI (secret); unset = generated once into DATA_DIR/admin-token'),
    ENTRA_JWKS_URL: z.string().url().default('https://login.microsoftonline.com/common/discovery/keys').describe('JWKS used to verify Entra-issued JWTs (only for registrations with an Entra tenant id)'),
    BATCH_TICK_MS: z.coerce.number().int().min(100).default(30_000).describe('How often the batch scheduler looks for batched registrations that are due'),
    RUN_LEASE_MS: z.coerce.number().int().min(1000).default(60_000).describe("How long a reconcile's run lease lasts unrenewed (renewed every third of it while the run lasts): a killed instance's run is taken over this long after"),
    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).default(365).describe('Audit events older than this are purged daily (the only deletion of the audit trail)'),
    LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'debug']).default('info').describe('winston log level'),
  });

/** The server certificate, its key and the client CA come together or not at all. */
export const TLS_FILE_SETTINGS = ['TLS_CERT_FILE', 'TLS_KEY_FILE', 'TLS_CLIENT_CA_FILE'] as const;

export type RawConfig = z.infer<typeof ConfigSchema>;
