import type { WriteBackField } from './graph-attributes.js';
import type { UserCollection } from '../directory/directory-port.js';
import type { VoiceUserCollection } from '../portal/portal-port.js';

/**
 * One portal change of extension and/or DID that must reach the user in Entra (TWO-1).
 *
 * The entry says *that* a directory user's values changed, not the values: delivery sends what
 * the portal holds at that moment, so several pending entries of a user collapse into one PATCH
 * with the newest values (a newer value supersedes an older one) and a resend is harmless.
 */
export interface OutboxEntry {
  /** Time-ordered: the order changes were recorded in. */
  id: string;
  registrationId: string;
  directoryUserId: string;
  voiceUserId: string;
  /** For support: whose change it is. */
  userName: string;
  fields: WriteBackField[];
  /**
   * The voice-user version that carries the change. The entry is written just before the change
   * itself; until the voice user reaches this version the change has not landed (or failed).
   */
  landsAtVersion: number;
  recordedAt: string;
  /** Failed deliveries so far; drives the backoff. */
  attempts: number;
  /** Not delivered before this time (backoff, or Graph's Retry-After). */
  nextAttemptAt: string;
  lastError?: string;
}

export interface OutboxBacklog {
  pending: number;
  /** The oldest entry not yet delivered, if any. */
  oldest?: OutboxEntry;
}

/**
 * The write-back outbox port (owned here, implemented in store/sqlite and store/mongo). Entries
 * are only ever inserted with a fresh id and removed by id, so a delivery never removes a change
 * recorded while it was in flight. Every method is scoped by registration.
 */
export interface WriteBackOutbox {
  add(entry: OutboxEntry): Promise<void>;
  /** Registrations that have pending entries. */
  registrationsWithPending(): Promise<string[]>;
  /** Pending entries of a registration, oldest first. */
  pending(registrationId: string, limit: number): Promise<OutboxEntry[]>;
  /** Every pending entry of one directory user, oldest first. */
  pendingOf(registrationId: string, directoryUserId: string): Promise<OutboxEntry[]>;
  remove(registrationId: string, ids: readonly string[]): Promise<void>;
  /** A failed attempt: attempts + 1 and the error on the given entries. */
  recordFailure(registrationId: string, ids: readonly string[], lastError: string): Promise<void>;
  /** Holds every pending entry of the registration back until `until` (a registration-wide backoff). */
  postpone(registrationId: string, until: string): Promise<void>;
  backlog(registrationId: string): Promise<OutboxBacklog>;
  deleteAll(registrationId: string): Promise<number>;
}

/** What the write-back reads and changes: its outbox, and the voice user and directory user a delivery sends from and to. */
export interface WriteBackStore {
  outbox: WriteBackOutbox;
  voiceUsers: Pick<VoiceUserCollection, 'findByDirectoryUsers'>;
  users: Pick<UserCollection, 'get'>;
}
