import type { VoiceUser } from '../domain/types.js';

/** A user of the voice portal, in the collection the portal itself reads (DATA-1: nothing more). */
export type VoiceUserRecord = VoiceUser;

export interface VoiceUserCollection {
  /** All voice users of a registration (reconciliation compares them with the desired state). */
  list(registrationId: string): Promise<VoiceUserRecord[]>;
  get(registrationId: string, id: string): Promise<VoiceUserRecord | null>;
  /** The voice users linked to these directory users (one query, indexed). */
  findByDirectoryUsers(registrationId: string, directoryUserIds: readonly string[]): Promise<VoiceUserRecord[]>;
  /** The voice users with any of these primary emails, case-insensitively, through the unique primary-email key (one query). */
  findByPrimaryEmails(registrationId: string, emails: readonly string[]): Promise<VoiceUserRecord[]>;
  /** `store.conflict` naming userName, primaryEmail, extension, did or id when taken in the registration. */
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
  /** For each of these directory users that has one, the newest record of a voice user linked to it (one query, indexed). */
  latestForEach(registrationId: string, directoryUserIds: readonly string[]): Promise<RetentionRecord[]>;
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

/** What SYNC-5's seat counting reads and changes: the counters, and the holders a counter starts from. */
export interface SeatStore {
  seatCounters: SeatCounterCollection;
  voiceUsers: Pick<VoiceUserCollection, 'countHolding'>;
}

/**
 * The portal's port: its voice users, the DEL-4 retention records and the SYNC-5 seat counters.
 * The portal service, the seat counting and the recordings purge each take the part they use.
 */
export interface PortalStore extends SeatStore {
  voiceUsers: VoiceUserCollection;
  retention: RetentionCollection;
}
