import type { JsonObject } from '../kernel/json.js';
import type { ListQuery, ListResult } from '../persistence/query.js';

/**
 * The directory's port: what Entra pushed (users, groups, memberships), scoped by registration id
 * so one registration can never read or write another's records (REG-2). Adapters translate
 * driver errors into AppError codes `store.*`; driver errors never leave their adapter.
 */
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
  /** Fails with `store.conflict` when a unique field is taken in the registration. */
  insert(record: R): Promise<R>;
  get(registrationId: string, id: string): Promise<R | null>;
  /**
   * Replaces a record if its stored version is still `expectedVersion`; bumps the version.
   * Fails with `store.not_found` if the record is gone, `store.version_conflict` if it changed.
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
   * `expectedVersion`, and the version is bumped once. `store.not_found` if the group is gone,
   * `store.version_conflict` if it changed. (How each adapter makes it one step is said there.)
   */
  update(registrationId: string, groupId: string, expectedVersion: number, change: GroupChange): Promise<GroupChangeResult>;
  listMembers(registrationId: string, groupId: string): Promise<Member[]>;
  /** Deletes every membership of the user (called when the user is deleted). */
  removeUserEverywhere(registrationId: string, userId: string): Promise<void>;
  /** Every membership of the registration, for reconciliation. */
  allMemberships(registrationId: string): Promise<{ groupId: string; userId: string }[]>;
}
