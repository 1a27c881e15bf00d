import type { JsonObject } from '../kernel/json.js';
import type { Member, MemberChange } from './directory-port.js';

/**
 * What the directory is asked to do, already read and checked by whoever asked (the SCIM edge
 * today; an import or a write-back tomorrow): the directory service takes these and never a
 * request body. Ids are those the service issued; a command on an id of another registration
 * finds nothing (REG-2).
 */

/**
 * A user's attributes as the directory keeps them: the name it is unique by (per registration),
 * the client's own id for it, and the attributes document, shaped like the SCIM core and
 * enterprise schemas (that document is what the mapping rules read, MAP-1..6).
 */
export interface UserAttributes {
  userName: string;
  externalId?: string;
  resource: JsonObject;
}

export interface GroupAttributes {
  displayName: string;
  externalId?: string;
  resource: JsonObject;
}

/**
 * A conditional write (If-Match, RFC 7644 §3.14): applied only while the stored version is one of
 * these, else refused with `directory.precondition_failed`. Absent: whatever version is stored.
 * Empty: no version can match (the client named none the service issues).
 */
export interface Precondition {
  expectedVersions?: readonly number[];
}

/**
 * A change computed from the stored attributes document, pure and safe to run again (a PATCH is
 * retried on a concurrent write). It throws what only the stored resource can tell: nothing to
 * apply an operation to, a required attribute removed.
 */
export type Edit<A> = (stored: JsonObject) => A;

export interface CreateUser {
  attributes: UserAttributes;
}

export interface ReplaceUser extends Precondition {
  id: string;
  attributes: UserAttributes;
}

export interface PatchUser extends Precondition {
  id: string;
  edit: Edit<UserAttributes>;
}

export interface DeleteUser extends Precondition {
  id: string;
}

export interface CreateGroup {
  attributes: GroupAttributes;
  /** Every one must be a user of the registration (`directory.unknown_members` otherwise). */
  members: Member[];
}

export interface ReplaceGroup extends Precondition {
  id: string;
  attributes: GroupAttributes;
  /** The whole member list after the write. */
  members: Member[];
}

/** Attributes and members change as one write; members are data, applied without loading the member list. */
export interface PatchGroup extends Precondition {
  id: string;
  edit: Edit<GroupAttributes>;
  memberOps: MemberChange[];
}

export interface DeleteGroup extends Precondition {
  id: string;
}
