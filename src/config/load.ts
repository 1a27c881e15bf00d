import { existsSync, readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import path from 'node:path';
import { AppError } from '../kernel/app-error.js';
import { ConfigSchema, SECRET_SETTINGS, TLS_FILE_SETTINGS, type RawConfig } from './schema.js';

export interface Config extends RawConfig {
  store: { kind: 'mongodb'; uri: string; writeMode?: 'auto' | 'atomic' | 'claimed' } | { kind: 'sqlite'; file: string };
  tls: { source: 'configured'; certFile: string; keyFile: string; clientCaFile: string; crlFile?: string } | { source: 'development'; dir: string };
}

/** `config.invalid`, listing every problem (`data.problems`), each naming its variable. */
export function configError(problems: string[]): AppError {
  return new AppError('config.invalid', `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { data: { problems } });
}

type Environment = Record<string, string | undefined>;

/** Where the service keeps what it makes under DATA_DIR; the CLI finds them there too. */
export const dataPaths = {
  adminToken: (dataDir: string) => path.join(dataDir, 'admin-token'),
  developmentCertificates: (dataDir: string) => path.join(dataDir, 'certs'),
};

/** Reads and validates the configuration of the service, listing every problem at once. */
export function loadConfig(env: Environment = process.env): Config {
  const raw = readSettings(env, incompleteTls);
  const problems = [...missingFiles(raw), ...developmentCertificatesOffLoopback(raw)];
  if (problems.length > 0) throw configError(problems);
  return { ...raw, store: storeOf(raw), tls: tlsOf(raw) };
}

/**
 * The settings alone (defaults applied, secrets read from their `_FILE`s), without the decisions
 * only the service makes: shared with the CLI so both read HOST, ports, DATA_DIR and the admin token alike.
 */
export function readSettings(env: Environment = process.env, check: (source: Environment) => string[] = () => []): RawConfig {
  const { source, problems: secretProblems } = withSecretFiles({ ...readConfigFile(env.CONFIG_FILE), ...definedOnly(env) });
  const parsed = ConfigSchema.safeParse(source);
  const problems = [...secretProblems, ...(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`)), ...check(source)];
  if (!parsed.success || problems.length > 0) throw configError(problems);
  return parsed.data;
}

/** `<NAME>_FILE` holds the value of secret setting NAME; one trailing newline is not part of it. */
function withSecretFiles(given: Environment): { source: Environment; problems: string[] } {
  const source = { ...given };
  const problems: string[] = [];
  for (const name of SECRET_SETTINGS) {
    const file = given[`${name}_FILE`];
    if (file === undefined) continue;
    if (given[name] !== undefined) {
      problems.push(`${name}_FILE: set either ${name} or ${name}_FILE, not both`);
      continue;
    }
    try {
      source[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      problems.push(`${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  return { source, problems };
}

function incompleteTls(source: Environment): string[] {
  const given = TLS_FILE_SETTINGS.filter((name) => source[name] !== undefined);
  if (given.length === 0 || given.length === TLS_FILE_SETTINGS.length) return [];
  return TLS_FILE_SETTINGS.filter((name) => source[name] === undefined).map((name) => `${name}: is required when ${given.join(', ')} is set`);
}

function missingFiles(raw: RawConfig): string[] {
  return (['TLS_CERT_FILE', 'TLS_KEY_FILE', 'TLS_CLIENT_CA_FILE', 'TLS_CRL_FILE', 'GRAPH_CA_FILE'] as const)
    .filter((name) => raw[name] !== undefined && !existsSync(raw[name]!))
    .map((name) => `${name}: file ${raw[name]} does not exist`);
}

/**
 * Development certificates (with their publicly known purpose and the `development` registration)
 * are for a listener only this machine can reach.
 */
function developmentCertificatesOffLoopback(raw: RawConfig): string[] {
  if (raw.TLS_CERT_FILE || isLoopback(raw.HOST)) return [];
  return [
    `HOST: ${raw.HOST} is not a loopback address, and development certificates are only made for 127.0.0.1, ::1 or localhost. ` +
      `Set ${TLS_FILE_SETTINGS.join(', ')} (and TLS_CRL_FILE) to your certificates, or HOST=127.0.0.1 to try the service locally`,
  ];
}

export function isLoopback(host: string): boolean {
  const address = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (address === 'localhost' || address === '::1') return true;
  const ipv4 = address.replace(/^::ffff:/, '');
  return isIPv4(ipv4) && ipv4.startsWith('127.');
}

function readConfigFile(file: string | undefined): Environment {
  if (!file) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Environment;
  } catch (error) {
    throw configError([`CONFIG_FILE: cannot read ${file} as JSON (${(error as Error).message})`]);
  }
}

function definedOnly(env: Environment): Environment {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
}

function storeOf(raw: RawConfig): Config['store'] {
  return raw.MONGODB_URI
    ? { kind: 'mongodb', uri: raw.MONGODB_URI, ...(raw.MONGODB_WRITE_MODE ? { writeMode: raw.MONGODB_WRITE_MODE } : {}) }
    : { kind: 'sqlite', file: path.join(raw.DATA_DIR, 'scim.db') };
}

function tlsOf(raw: RawConfig): Config['tls'] {
  if (raw.TLS_CERT_FILE && raw.TLS_KEY_FILE && raw.TLS_CLIENT_CA_FILE) {
    return { source: 'configured', certFile: raw.TLS_CERT_FILE, keyFile: raw.TLS_KEY_FILE, clientCaFile: raw.TLS_CLIENT_CA_FILE, crlFile: raw.TLS_CRL_FILE };
  }
  return { source: 'development', dir: dataPaths.developmentCertificates(raw.DATA_DIR) };
}
