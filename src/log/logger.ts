import { readFileSync } from 'node:fs';
import winston from 'winston';
import { currentLogContext } from './log-context.js';

/** Keys whose values never reach a log line (AUD-3). */
const SECRET_KEYS = /^(password|authorization|token|secret|privateKey|private_key|key|cookie|set-cookie|bearer|clientSecret|jwt)$/i;

export const SERVICE_NAME = 'scim-voice-portal';
/** From package.json, found relative to this file (the sources and the build output sit at different depths). */
export const SERVICE_VERSION = readVersion();

const redactSecrets = winston.format((info) => redact(info) as winston.Logform.TransformableInfo);

/** The request's correlation id, or the background job's run id, unless the line names its own. */
const addLogContext = winston.format((info) => Object.assign(info, { ...currentLogContext(), ...info }));

function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const result: Record<string | symbol, unknown> = {};
  for (const key of Reflect.ownKeys(value)) {
    const item = (value as Record<string | symbol, unknown>)[key];
    result[key] = typeof key === 'string' && SECRET_KEYS.test(key) ? '[redacted]' : redact(item, depth + 1);
  }
  return result;
}

export type Logger = winston.Logger;

/** Structured JSON logs on stdout; every line names the service and its version; secrets are redacted by key name. */
export function createLogger(level: string, stream?: NodeJS.WritableStream): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { service: SERVICE_NAME, version: SERVICE_VERSION },
    format: winston.format.combine(addLogContext(), redactSecrets(), winston.format.timestamp(), winston.format.json()),
    transports: [stream ? new winston.transports.Stream({ stream }) : new winston.transports.Console()],
  });
}

function readVersion(): string {
  for (const candidate of ['../../package.json', '../../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // not at this depth (sources vs. a build output folder)
    }
  }
  return 'unknown';
}
