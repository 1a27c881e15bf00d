import type { GroupRecord, Member, UserRecord } from '../directory/directory-port.js';
import type { JsonObject } from '../kernel/json.js';
import type { VoiceUserRecord } from '../portal/portal-port.js';
import { etagOf } from './etag.js';
import { VOICE_USER_SCHEMA } from './schemas.js';

/**
 * Turns stored records into SCIM resources (RFC 7643 §3.1 common attributes added). A user's
 * voice-portal values (read-only over SCIM) are those of its voice user, when it has one.
 */
export function renderUser(record: UserRecord, baseUrl: string, voiceUser?: VoiceUserRecord): JsonObject {
  const user = withCommonAttributes('User', record, `${baseUrl}/Users/${record.id}`);
  if (!voiceUser) return user;
  const { extension, did, locationId, licenses } = voiceUser;
  const schemas = user.schemas as string[];
  return {
    ...user,
    schemas: schemas.includes(VOICE_USER_SCHEMA) ? schemas : [...schemas, VOICE_USER_SCHEMA],
    [VOICE_USER_SCHEMA]: { ...(extension ? { extension } : {}), ...(did ? { did } : {}), locationId, licenses },
  };
}

export function renderGroup(record: GroupRecord, members: Member[] | undefined, baseUrl: string): JsonObject {
  const group = withCommonAttributes('Group', record, `${baseUrl}/Groups/${record.id}`);
  if (members) group.members = members.map((member) => renderMember(member, baseUrl));
  return group;
}

function renderMember(member: Member, baseUrl: string): JsonObject {
  return {
    value: member.value,
    $ref: `${baseUrl}/Users/${member.value}`,
    ...(member.display ? { display: member.display } : {}),
    ...(member.type ? { type: member.type } : {}),
  };
}

function withCommonAttributes(resourceType: 'User' | 'Group', record: UserRecord | GroupRecord, location: string): JsonObject {
  const { schemas, ...attributes } = record.resource;
  return {
    schemas: schemas ?? [],
    id: record.id,
    ...attributes,
    meta: {
      resourceType,
      created: record.created,
      lastModified: record.lastModified,
      version: etagOf(record.version),
      location,
    },
  };
}
