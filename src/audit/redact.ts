import type { Json } from '../kernel/json.js';
import type { AuditEvent } from './audit-event.js';

/** Keys whose values never reach an audit record (AUD-3); matched on the last segment of a path too. */
const SECRET_KEY = /^(password|passwd|pwd|authorization|proxy-authorization|token|access_?token|refresh_?token|id_?token|secret|client_?secret|private_?key|key|cookie|set-cookie|bearer|jwt|certificate|x509certificates|pem|password_?hash|secret_?hash)$/i;

/** Values that are secrets whatever their key: PEM blocks and JWT-shaped strings. */
const SECRET_VALUE = /-----BEGIN [A-Z ]+-----|\beyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]*/;

export const REDACTED = '[redacted]';

export function isSecretKey(key: string): boolean {
  const lastSegment = key.split(/[.:]/).pop() ?? key;
  return SECRET_KEY.test(key) || SECRET_KEY.test(lastSegment);
}

export function isSecretValue(value: string): boolean {
  return SECRET_VALUE.test(value);
}

/** A deep copy with every secret replaced by `[redacted]`, by key and by shape. */
export function redactSecrets<T>(value: T): T {
  return redact(value as Json, 0) as T;
}

const MAX_DEPTH = 32;

function redact(value: Json, depth: number): Json {
  if (typeof value === 'string') return isSecretValue(value) ? REDACTED : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const secretTarget = targetsSecret(value);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, isSecretKey(key) || (secretTarget && key === 'value') ? REDACTED : redact(item, depth + 1)]));
}

/** A PATCH operation whose path names a secret (`{"path": "password", "value": …}`) carries it in `value`. */
function targetsSecret(value: { [key: string]: Json }): boolean {
  const path = value.path;
  return typeof path === 'string' && isSecretKey(path.split(/[.:]/).pop() ?? '');
}

/**
 * An event safe to store: `details` (which carries what clients sent) redacted by key and shape,
 * the free-text fields by shape. The rest is made by this service from identities, never secrets.
 */
export function redactEvent(event: AuditEvent): AuditEvent {
  const outcome = event.outcome.detail && isSecretValue(event.outcome.detail) ? { ...event.outcome, detail: REDACTED } : event.outcome;
  return {
    ...event,
    summary: isSecretValue(event.summary) ? REDACTED : event.summary,
    outcome,
    ...(event.details ? { details: redactSecrets(event.details) } : {}),
  };
}
