import winston from 'winston';

/** Keys whose values never reach a log line (AUD-3). */
const SECRET_KEYS = /^(password|authorization|token|secret|privateKey|private_key|key|cookie|set-cookie|bearer|clientSecret|jwt)$/i;

const redactSecrets = winston.format((info) => redact(info) as winston.Logform.TransformableInfo);

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

/** Structured JSON logs on stdout; secrets are redacted by key name. */
export function createLogger(level: string, stream?: NodeJS.WritableStream): Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(redactSecrets(), winston.format.timestamp(), winston.format.json()),
    transports: [stream ? new winston.transports.Stream({ stream }) : new winston.transports.Console()],
  });
}
