import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigSchema, TLS_FILE_SETTINGS, type RawConfig } from './schema.js';

export interface Config extends RawConfig {
  store: { kind: 'mongodb'; uri: string; writeMode?: 'auto' | 'atomic' | 'claimed' } | { kind: 'sqlite'; file: string };
  tls: { source: 'configured'; certFile: string; keyFile: string; clientCaFile: string; crlFile?: string } | { source: 'development'; dir: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Environment = Record<string, string | undefined>;

/** Reads and validates the configuration, listing every problem at once. */
export function loadConfig(env: Environment = process.env): Config {
  const source = { ...readConfigFile(env.CONFIG_FILE), ...definedOnly(env) };
  const parsed = ConfigSchema.safeParse(source);
  const problems = [...(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`)), ...incompleteTls(source)];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const raw = parsed.data;
  const missingFiles = (['TLS_CERT_FILE', 'TLS_KEY_FILE', 'TLS_CLIENT_CA_FILE', 'TLS_CRL_FILE', 'GRAPH_CA_FILE'] as const)
    .filter((name) => raw[name] !== undefined && !existsSync(raw[name]!))
    .map((name) => `${name}: file ${raw[name]} does not exist`);
  if (missingFiles.length > 0) throw new ConfigError(missingFiles);
  return { ...raw, store: storeOf(raw), tls: tlsOf(raw) };
}

function incompleteTls(source: Environment): string[] {
  const given = TLS_FILE_SETTINGS.filter((name) => source[name] !== undefined);
  if (given.length === 0 || given.length === TLS_FILE_SETTINGS.length) return [];
  return TLS_FILE_SETTINGS.filter((name) => source[name] === undefined).map((name) => `${name}: is required when ${given.join(', ')} is set`);
}

function readConfigFile(file: string | undefined): Environment {
  if (!file) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Environment;
  } catch (error) {
    throw new ConfigError([`CONFIG_FILE: cannot read ${file} as JSON (${(error as Error).message})`]);
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
  return { source: 'development', dir: path.join(raw.DATA_DIR, 'certs') };
}
