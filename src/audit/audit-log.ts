import { AppError } from '../kernel/app-error.js';
import type { AuditAction, AuditEvent } from './audit-event.js';

/** Largest page a search returns; larger requests are refused at the edge with a 400. */
export const MAX_AUDIT_PAGE_SIZE = 500;
export const DEFAULT_AUDIT_PAGE_SIZE = 50;

export interface AuditQuery {
  /** Only events of these registrations (a support account limited to some passes its own list). */
  registrationIds?: string[];
  /** Prefix of the subject's user name, email or directory id, case-insensitive. */
  user?: string;
  /** Inclusive, ISO 8601 UTC. */
  since?: string;
  /** Exclusive, ISO 8601 UTC. */
  until?: string;
  actions?: AuditAction[];
  outcome?: 'success' | 'failure';
  correlationId?: string;
  runId?: string;
  /** Capped at MAX_AUDIT_PAGE_SIZE. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export interface AuditPage {
  /** Newest first. */
  events: AuditEvent[];
  /** Present when more events match. */
  nextCursor?: string;
}

/**
 * The audit trail's storage port: append-only. There is no update and no delete besides the
 * retention purge; adapters (SQLite, MongoDB) are proven by test/contract/audit-log.contract.ts.
 */
export interface AuditLog {
  /** Idempotent by event id, so a retried batch never duplicates an event. */
  append(events: AuditEvent[]): Promise<void>;
  search(query: AuditQuery): Promise<AuditPage>;
  get(id: string): Promise<AuditEvent | null>;
  /** Retention: deletes events older than `date`; returns how many. */
  purgeOlderThan(date: Date): Promise<number>;
}

/** A position in the newest-first order: the last event of a page. */
export interface AuditCursor {
  time: string;
  id: string;
}

export function encodeCursor(event: Pick<AuditEvent, 'time' | 'id'>): string {
  return Buffer.from(JSON.stringify([event.time, event.id])).toString('base64url');
}

export function decodeCursor(cursor: string): AuditCursor {
  try {
    const [time, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof time === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(time))) return { time, id };
  } catch {
    // falls through to the error below
  }
  throw new AppError('audit.invalid_cursor', 'The "cursor" is not one this service returned; start the search again');
}

export function pageSizeOf(query: AuditQuery): number {
  return Math.min(Math.max(1, query.limit ?? DEFAULT_AUDIT_PAGE_SIZE), MAX_AUDIT_PAGE_SIZE);
}

/** Adapters fetch one row more than the page size to know whether another page follows. */
export function toPage(rows: AuditEvent[], pageSize: number): AuditPage {
  if (rows.length <= pageSize) return { events: rows };
  const events = rows.slice(0, pageSize);
  return { events, nextCursor: encodeCursor(events[events.length - 1]!) };
}

/** The upper bound of a prefix range over binary-ordered strings. */
export function prefixEnd(prefix: string): string {
  return `${prefix}\uffff`;
}
