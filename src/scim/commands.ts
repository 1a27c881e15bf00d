import type { JsonObject } from '../kernel/json.js';
import type {
  CreateGroup,
  CreateUser,
  DeleteGroup,
  DeleteUser,
  GroupAttributes,
  PatchGroup,
  PatchUser,
  Precondition,
  ReplaceGroup,
  ReplaceUser,
  UserAttributes,
} from '../directory/commands.js';
import { expectedVersionsOf } from './etag.js';
import { compilePatch } from './patch.js';
import { readGroupBody, readResourceBody } from './validate.js';

/**
 * SCIM requests → the directory's typed commands. Everything a request body can get wrong is
 * refused here, before the store is touched; what depends on the stored resource is left to the
 * PATCH's `edit`. `ifMatch` is the request's If-Match header as sent.
 */
export const scimCommands = {
  createUser: (body: unknown): CreateUser => ({ attributes: userAttributesOf(readResourceBody('User', body, 'create')) }),
  replaceUser: (id: string, body: unknown, ifMatch?: string): ReplaceUser => ({ id, attributes: userAttributesOf(readResourceBody('User', body, 'replace')), ...preconditionOf(ifMatch) }),
  patchUser: (id: string, body: unknown, ifMatch?: string): PatchUser => {
    const { edit } = compilePatch('User', body);
    return { id, edit: (stored) => userAttributesOf(edit(stored)), ...preconditionOf(ifMatch) };
  },
  deleteUser: (id: string, ifMatch?: string): DeleteUser => ({ id, ...preconditionOf(ifMatch) }),
  createGroup: (body: unknown): CreateGroup => {
    const { resource, members } = readGroupBody(body, 'create');
    return { attributes: groupAttributesOf(resource), members };
  },
  replaceGroup: (id: string, body: unknown, ifMatch?: string): ReplaceGroup => {
    const { resource, members } = readGroupBody(body, 'replace');
    return { id, attributes: groupAttributesOf(resource), members, ...preconditionOf(ifMatch) };
  },
  patchGroup: (id: string, body: unknown, ifMatch?: string): PatchGroup => {
    const { edit, memberOps } = compilePatch('Group', body);
    return { id, edit: (stored) => groupAttributesOf(edit(stored)), memberOps, ...preconditionOf(ifMatch) };
  },
  deleteGroup: (id: string, ifMatch?: string): DeleteGroup => ({ id, ...preconditionOf(ifMatch) }),
};

function preconditionOf(ifMatch: string | undefined): Precondition {
  const expectedVersions = expectedVersionsOf(ifMatch);
  return expectedVersions === undefined ? {} : { expectedVersions };
}

/** userName is required and a string once the resource passed validation (readResourceBody, the PATCH's edit). */
function userAttributesOf(resource: JsonObject): UserAttributes {
  return { userName: resource.userName as string, externalId: optionalString(resource.externalId), resource };
}

function groupAttributesOf(resource: JsonObject): GroupAttributes {
  return { displayName: resource.displayName as string, externalId: optionalString(resource.externalId), resource };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
