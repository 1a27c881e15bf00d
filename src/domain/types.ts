/** Plain data the reconciliation rules work on; no I/O, no framework types. */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonMap = { [key: string]: JsonValue };

export interface DirectoryUser {
  id: string;
  /** The SCIM resource as Entra sent it. */
  resource: JsonMap;
}

export interface DirectoryGroup {
  id: string;
  displayName: string;
  externalId?: string;
}

export interface Directory {
  users: DirectoryUser[];
  groups: DirectoryGroup[];
  memberships: { groupId: string; userId: string }[];
}

export interface ReconcileSettings {
  accountDomains: string[];
  scope: { kind: 'all-assigned' } | { kind: 'groups'; groups: { displayName?: string; externalId?: string }[] };
  locationSource: string;
  locationMap: Record<string, string>;
  /** DEL-5: DID prefixes per portal location (what a move may carry). */
  locationNumbers?: Record<string, string[]>;
}

/** The fields of a voice user that Azure AD masters (MAP-1..6) plus its status (DEL-3). */
export interface MappedFields {
  userName: string;
  firstName: string;
  lastName: string;
  primaryEmail: string;
  additionalEmails: string[];
  locationId: string;
  status: 'active' | 'deactivated';
}

export interface DesiredVoiceUser extends MappedFields {
  directoryUserId: string;
}

/** A voice user as the portal reads it (the store's record has the same shape). */
export interface VoiceUser extends MappedFields {
  registrationId: string;
  id: string;
  extension?: string;
  did?: string;
  licenses: string[];
  origin: 'provisioned' | 'portal';
  directoryUserId?: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** A voice user before and after one change (absent before: created; absent after: deleted). */
export interface VoiceUserChange {
  before?: VoiceUser;
  after?: VoiceUser;
  /** What support must know besides the fields: when recordings go (DEL-4), a number a move could not carry (DEL-5). */
  note?: string;
}

export type RuleId = `${'MAP' | 'ELIG' | 'DEL' | 'SYNC' | 'REG'}-${number}`;
