import type { VoiceUser } from '../domain/types.js';
import type { ListQuery, ListResult } from './query.js';
import type { WriteBackOutbox } from '../writeback/outbox.js';

/**
 * The storage port used by the SCIM and reconciliation services. Every method is
 * scoped by registration id: one registration can never read or write another's
 * records (REG-2). Adapters (MongoDB, SQLite) translate driver errors into the
 * StoreError family below; driver errors never leave `store/`.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

interface BaseRecord {
  id: string;
  registrationId: string;
  externalId?: string;
  /** Incremented by every change; the SCIM ETag is derived from it. */
  version: number;
  created: string;
  lastModified: string;
  /** The SCIM body as the client sent it, without `id`, `meta` and (for groups) `members`. */
  resource: JsonObject;
}

export interface UserRecord extends BaseRecord {
  userName: string;
}

export interface GroupRecord extends BaseRecord {
  displayName: string;
}

export interface Member {
  value: string;
  display?: string;
  type?: string;
}

export interface ResourceCollection<R extends BaseRecord> {
  /** Fails with ConflictError when a unique field is taken in the registration. */
  insert(record: R): Promise<R>;
  get(registrationId: string, id: string): Promise<R | null>;
  /**
   * Replaces a record if its stored version is still `expectedVersion`; bumps the version.
   * Fails with NotFoundError if the record is gone, VersionConflictError if it changed.
   */
  replace(record: R, expectedVersion: number): Promise<R>;
  /**
   * Returns false when nothing was deleted. With `expectedVersion` (DELETE with If-Match), deletes
   * only while the stored version is still that one, decided by the database.
   */
  delete(registrationId: string, id: string, expectedVersion?: number): Promise<boolean>;
  query(registrationId: string, query: ListQuery): Promise<ListResult<R>>;
  countAll(registrationId: string): Promise<number>;
  /** Every record of the registration (reconciliation reads the whole directory once). */
  listAll(registrationId: string): Promise<R[]>;
  /** Removes every record of the registration (REG-4); returns how many. */
  deleteAll(registrationId: string): Promise<number>;
}

export interface UserCollection extends ResourceCollection<UserRecord> {
  findByUserName(registrationId: string, userName: string): Promise<UserRecord | null>;
  /** Returns which of the given ids exist in the registration. */
  existingIds(registrationId: string, ids: string[]): Promise<string[]>;
}

/** A change to a group's members, as one PATCH operation asks for it. */
export type MemberChange = { kind: 'add'; members: Member[] } | { kind: 'remove'; ids: string[] } | { kind: 'removeAll' };

export interface GroupChange {
  /** The group's new attributes (displayName, externalId, resource); omitted when only members change. */
  record?: GroupRecord;
  /** Applied in order. Only users of the registration become members (a user deleted meanwhile is not added). */
  members: MemberChange[];
}

export interface GroupChangeResult {
  /** The group as this write left it: the version is the one this write produced. */
  record: GroupRecord;
  /** Users whose membership this write changed. */
  changed: string[];
}

export interface GroupCollection extends ResourceCollection<GroupRecord> {
  /**
   * Attributes and members change as one step, conditional on the group still being at
   * `expectedVersion`, and the version is bumped once. NotFoundError if the group is gone,
   * VersionConflictError if it changed. (How each adapter makes it one step is said there.)
   */
  update(registrationId: string, groupId: string, expectedVersion: number, change: GroupChange): Promise<GroupChangeResult>;
  listMembers(registrationId: string, groupId: string): Promise<Member[]>;
  /** Group ids the user is a member of. */
  groupsOfUser(registrationId: string, userId: string): Promise<string[]>;
  /** Deletes every membership of the user (called when the user is deleted). */
  removeUserEverywhere(registrationId: string, userId: string): Promise<void>;
  /** Every membership of the registration, for reconciliation. */
  allMemberships(registrationId: string): Promise<{ groupId: string; userId: string }[]>;
}

export interface Store {
  readonly kind: 'mongodb' | 'sqlite';
  users: UserCollection;
  groups: GroupCollection;
  registrations: RegistrationCollection;
  credentials: CredentialIndex;
  voiceUsers: VoiceUserCollection;
  retention: RetentionCollection;
  leases: LeaseCollection;
  seatCounters: SeatCounterCollection;
  consoleSessions: ConsoleSessionCollection;
  loginFailures: LoginFailureCollection;
  /** TWO-1: extension/DID changes waiting to be written back to Entra. */
  outbox: WriteBackOutbox;
  /** What the start-up log says about the store (server, conditional-write mode and why). */
  readonly facts: Record<string, string>;
  /** Fails with StoreUnavailableError if the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends StoreError {}

export class ConflictError extends StoreError {
  constructor(readonly field: string, message = `${field} is already taken`) {
    super(message);
  }
}

export class VersionConflictError extends StoreError {}

/**
 * The database cannot be reached or timed out: the SCIM layer answers 503 with Retry-After.
 * `mayHaveBeenApplied` is set when the request may have reached the database before it failed
 * (a write that timed out may still be applied), so nobody is told "nothing was changed" then.
 */
export class StoreUnavailableError extends StoreError {
  readonly mayHaveBeenApplied: boolean;

  constructor(message: string, options?: { cause?: unknown; mayHaveBeenApplied?: boolean }) {
    super(message, options);
    this.mayHaveBeenApplied = options?.mayHaveBeenApplied ?? false;
  }
}

/** A certificate identity a registration accepts: by fingerprint, or by issuer + subject. */
export interface CertificateBinding {
  fingerprint256?: string;
  issuer?: string;
  subject?: string;
  /** SHA-256 of issuer + subject DER; absent on issuer + subject bindings made before it existed. */
  nameDigest?: string;
  /** End of validity of the certificate bound (ISO); absent on bindings made before it was kept. */
  notAfter?: string;
  label?: string;
  addedAt: string;
}

export interface TokenBinding {
  id: string;
  /** SHA-256 of the token's secret part; the secret itself is never stored. */
  secretHash: string;
  label?: string;
  createdAt: string;
}

export interface RegistrationRecord {
  id: string;
  name: string;
  status: 'active' | 'ended';
  /** The customer-facing settings (REG-1), validated by the registrations module. */
  settings: JsonObject;
  certificates: CertificateBinding[];
  tokens: TokenBinding[];
  /** Accept Entra-issued JWTs for this Entra tenant id (`tid`). */
  entraTenantId?: string;
  version: number;
  created: string;
  lastModified: string;
}

export interface RegistrationCollection {
  /** ConflictError('name') when the name (case-insensitive) is taken. */
  insert(record: RegistrationRecord): Promise<RegistrationRecord>;
  get(id: string): Promise<RegistrationRecord | null>;
  findByName(name: string): Promise<RegistrationRecord | null>;
  list(): Promise<RegistrationRecord[]>;
  replace(record: RegistrationRecord, expectedVersion: number): Promise<RegistrationRecord>;
  delete(id: string): Promise<boolean>;
}

/**
 * Credential key → registration id, unique: resolves a certificate or token to its
 * registration in O(1) and refuses a credential bound to two registrations.
 */
export interface CredentialIndex {
  /** ConflictError('credential') when the key is bound to another registration. */
  bind(key: string, registrationId: string): Promise<void>;
  unbind(key: string): Promise<void>;
  lookup(key: string): Promise<string | null>;
  unbindAll(registrationId: string): Promise<void>;
}

/** A user of the voice portal, in the collection the portal itself reads (DATA-1: nothing more). */
export type VoiceUserRecord = VoiceUser;

export interface VoiceUserCollection {
  /** All voice users of a registration (reconciliation compares them with the desired state). */
  list(registrationId: string): Promise<VoiceUserRecord[]>;
  get(registrationId: string, id: string): Promise<VoiceUserRecord | null>;
  /** The voice users linked to these directory users (one query, indexed). */
  findByDirectoryUsers(registrationId: string, directoryUserIds: readonly string[]): Promise<VoiceUserRecord[]>;
  /** Case-insensitive, through the unique primary-email key. */
  findByPrimaryEmail(registrationId: string, email: string): Promise<VoiceUserRecord | null>;
  /** ConflictError naming userName, primaryEmail, extension, did or id when taken in the registration. */
  insert(record: VoiceUserRecord): Promise<VoiceUserRecord>;
  /** Licences the record no longer holds give their seat back to the seat counters. */
  replace(record: VoiceUserRecord, expectedVersion: number): Promise<VoiceUserRecord>;
  /**
   * The voice user's licences give their seats back to the seat counters, unless `keepSeats`
   * (DEL-5: the user is re-created at once with the same licences).
   */
  delete(registrationId: string, id: string, options?: { keepSeats?: boolean }): Promise<boolean>;
  /** Forgets the registration's seat counters too. */
  deleteAll(registrationId: string): Promise<number>;
  /** How many voice users of the registration hold the licence (a seat count; indexed). */
  countHolding(registrationId: string, license: string): Promise<number>;
}

/** DEL-4: voicemails and recordings of a deleted voice user are kept until `purgeAfter`. */
export interface RetentionRecord {
  id: string;
  registrationId: string;
  voiceUserId: string;
  userName: string;
  deletedAt: string;
  purgeAfter: string;
  /** The directory user it was linked to, and the licences it held. */
  directoryUserId?: string;
  licenses?: string[];
  /** Set when the deletion was the first half of a DEL-5 move to this location, with the numbers it carries. */
  movedTo?: string;
  carried?: { extension?: string; did?: string };
}

export interface RetentionCollection {
  /** Idempotent by id. */
  add(record: RetentionRecord): Promise<void>;
  due(now: string): Promise<RetentionRecord[]>;
  remove(id: string): Promise<void>;
  list(registrationId: string): Promise<RetentionRecord[]>;
  /** The newest record of a voice user linked to this directory user (indexed). */
  latestFor(registrationId: string, directoryUserId: string): Promise<RetentionRecord | null>;
}

/** Who holds a lease, since when and until when, in the database's clock (ISO-8601). */
export interface LeaseHolder {
  holder: string;
  acquiredAt: string;
  expiresAt: string;
}

/**
 * A named lease with expiry, for one-instance-at-a-time work (SYNC-3). Single-document atomic.
 * Expiry is decided by the database's clock, never by an instance's, so instances whose clocks
 * disagree still agree on who holds a lease.
 */
export interface LeaseCollection {
  /** True when `holder` now holds the lease (free, expired, or already its own), until database now + ttlMs. */
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Extends `holder`'s lease to database now + ttlMs; false when it is no longer `holder`'s (it expired and was taken). */
  renew(name: string, holder: string, ttlMs: number): Promise<boolean>;
  release(name: string, holder: string): Promise<void>;
  /** The live holder of the lease, or null when it is free or expired. */
  current(name: string): Promise<LeaseHolder | null>;
}

/**
 * SYNC-5 seat counters: one document per (registration, licence) holding how many voice users
 * hold the licence. Changed only by conditional updates in the database, so instances sharing it
 * can never give the last seat twice.
 */
export interface SeatCounterCollection {
  /**
   * Takes one seat if fewer than `seats` are used; false when none is left. A counter not yet
   * stored starts from `initial()` (the holders counted in the voice users).
   */
  take(registrationId: string, license: string, seats: number, initial: () => Promise<number>): Promise<boolean>;
  /**
   * Gives one seat back (never below zero). The voice-user collection gives back the seats of
   * licences a voice user loses (delete, replace) itself; this is for a take whose write failed.
   */
  giveBack(registrationId: string, license: string): Promise<void>;
  /** The stored counter, or undefined when none is stored yet. */
  used(registrationId: string, license: string): Promise<SeatCounter | undefined>;
  /** Sets the counter to `used` if it is still at `expected.version` (a recount); false when it moved meanwhile. */
  correct(registrationId: string, license: string, expected: SeatCounter, used: number): Promise<boolean>;
  /**
   * Forgets the counters of these licences (all when omitted): the next take counts the holders
   * afresh. For licences that start or stop being counted, and REG-4 (the voice users are gone).
   */
  forget(registrationId: string, licenses?: readonly string[]): Promise<void>;
}

export interface SeatCounter {
  used: number;
  version: number;
  /** When the counter last changed, in the database's clock (ms since the epoch). */
  changedAt: number;
  /** The database's clock when the counter was read. */
  readAt: number;
}

/** A support console session (AUD-2), shared by every instance. Times are ms since the epoch. */
export interface ConsoleSessionRecord {
  /** SHA-256 of the session token: the token itself is never stored. */
  tokenHash: string;
  account: string;
  csrfToken: string;
  createdAt: number;
  lastSeen: number;
  /** When it ends unless used again; expired sessions are deleted (a TTL index where the server has one). */
  expiresAt: number;
}

export interface ConsoleSessionCollection {
  insert(session: ConsoleSessionRecord): Promise<void>;
  get(tokenHash: string): Promise<ConsoleSessionRecord | null>;
  touch(tokenHash: string, lastSeen: number, expiresAt: number): Promise<void>;
  delete(tokenHash: string): Promise<void>;
  deleteExpired(now: number): Promise<number>;
}

/** Failed console sign-ins, one entry per failure, so instances counting at once never lose one. */
export interface LoginFailureCollection {
  add(keyHash: string, at: number, expiresAt: number): Promise<void>;
  /** The times of `keyHash`'s failures at or after `since`, oldest first. */
  since(keyHash: string, since: number): Promise<number[]>;
  clear(keyHash: string): Promise<void>;
  deleteExpired(now: number): Promise<number>;
}
