import type { GroupRecord, JsonObject, Member, UserRecord } from '../store/store.js';

/** Turns stored records into SCIM resources (RFC 7643 §3.1 common attributes added). */
export function renderUser(record: UserRecord, baseUrl: string): JsonObject {
  return withCommonAttributes('User', record, `${baseUrl}/Users/${record.id}`);
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
      version: `W/"${record.version}"`,
      location,
    },
  };
}
