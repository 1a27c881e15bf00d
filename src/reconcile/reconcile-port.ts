import type { GroupCollection, GroupRecord, UserCollection, UserRecord } from '../directory/directory-port.js';
import type { RetentionCollection, VoiceUserCollection } from '../portal/portal-port.js';

/** A user's membership of a group. */
export interface Membership {
  groupId: string;
  userId: string;
}

/**
 * The batched directory reads of a just-in-time reconcile: one call for any number of ids, so a
 * SCIM write touching k users costs the same few round trips whatever k is. Scoped by registration:
 * an id of another registration is simply not found (REG-2).
 */
export interface UserBatchReads {
  /** The users with these ids that exist in the registration, in no particular order. */
  getMany(registrationId: string, ids: readonly string[]): Promise<UserRecord[]>;
}

export interface GroupBatchReads {
  getMany(registrationId: string, ids: readonly string[]): Promise<GroupRecord[]>;
  /** Every membership of these users (the groups each is in). */
  groupsOfUsers(registrationId: string, userIds: readonly string[]): Promise<Membership[]>;
}

/**
 * What the reconciler reads and writes: the directory (whole, for a run; by ids, just-in-time),
 * the voice users it plans against and changes, and the DEL-4 retention records it writes before
 * a voice user goes. The persistence adapters implement it; main.ts hands it over.
 */
export interface ReconcileStore {
  users: Pick<UserCollection, 'listAll'> & UserBatchReads;
  groups: Pick<GroupCollection, 'listAll' | 'allMemberships'> & GroupBatchReads;
  voiceUsers: Pick<VoiceUserCollection, 'list' | 'get' | 'findByDirectoryUsers' | 'findByPrimaryEmails' | 'insert' | 'replace' | 'delete'>;
  retention: Pick<RetentionCollection, 'add' | 'latestForEach'>;
}
