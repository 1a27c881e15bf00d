import { randomUUID } from 'node:crypto';
import { isAppError } from '../kernel/app-error.js';
import { storeUnavailable } from '../kernel/store-errors.js';
import { type GroupChangeResult, type GroupRecord, type Member, type UserRecord } from './directory-port.js';
import { type JsonObject } from '../kernel/json.js';
import { type Store } from '../persistence/persistence.js';
import { type VoiceUserRecord } from '../portal/portal-port.js';
import type { ListQuery, ListResult } from '../persistence/query.js';
import { scimError } from '../scim/errors.js';
import { excerpt } from '../kernel/excerpt.js';
import { readResourceBody, readGroupBody } from '../scim/validate.js';
import { applyPatch } from '../scim/patch.js';
import type { RequestContext } from '../kernel/request-context.js';
import { createKeyedLock } from '../kernel/keyed-lock.js';

/** What changed in the directory, so that just-in-time reconciliation can follow (SYNC-1). */
export type DirectoryChange =
  | { kind: 'users-changed'; userIds: string[] }
  | { kind: 'users-deleted'; userIds: string[] }
  | { kind: 'groups-changed'; userIds: string[] };

export interface DirectoryServiceDeps {
  store: Store;
  onChange?: (ctx: RequestContext, change: DirectoryChange) => Promise<void>;
}

export interface GroupWithMembers {
  record: GroupRecord;
  /** undefined when the caller asked not to load members. */
  members?: Member[];
}

export type Preconditions = { ifMatch?: string };

/** Optimistic-concurrency attempts before a PATCH gives up on a hot resource. */
const MAX_PATCH_ATTEMPTS = 8;

/**
 * The SCIM operations on the directory, independent of HTTP. Every call is confined to
 * `ctx.registrationId` (REG-2); another registration's id is simply not found.
 */
export function createDirectoryService({ store, onChange }: DirectoryServiceDeps) {
  const withLock = createKeyedLock();
  const lockKey = (ctx: RequestContext, id: string) => `${ctx.registrationId}/${id}`;
  /**
   * Runs the just-in-time work that follows a directory write. The write is already applied, so a
   * database failure here must not be reported as "nothing was changed".
   */
  const notify = async (ctx: RequestContext, change: DirectoryChange) => {
    if (!onChange || change.userIds.length === 0) return;
    try {
      await onChange(ctx, change);
    } catch (error) {
      if (isAppError(error, 'store.unavailable')) throw storeUnavailable('The follow-up work of an applied change failed', { cause: error, mayHaveBeenApplied: true });
      throw error;
    }
  };

  async function getUser(ctx: RequestContext, id: string): Promise<UserRecord> {
    return (await store.users.get(ctx.registrationId, id)) ?? notFound('User', id);
  }

  async function getGroupRecord(ctx: RequestContext, id: string): Promise<GroupRecord> {
    return (await store.groups.get(ctx.registrationId, id)) ?? notFound('Group', id);
  }

  async function createUser(ctx: RequestContext, body: unknown): Promise<UserRecord> {
    const resource = readResourceBody('User', body, 'create');
    const now = new Date().toISOString();
    const record: UserRecord = {
      id: randomUUID(),
      registrationId: ctx.registrationId,
      userName: resource.userName as string,
      externalId: optionalString(resource.externalId),
      version: 1,
      created: now,
      lastModified: now,
      resource,
    };
    const created = await saveNewUser(record);
    await notify(ctx, { kind: 'users-changed', userIds: [created.id] });
    return created;
  }

  /**
   * A duplicate userName is 409 uniqueness (RFC 7644 §3.3 says MUST), also when Entra retries a
   * create that timed out: its next step is the `userName eq` lookup, which finds the user, so
   * the job continues with a PATCH instead of failing for good.
   */
  function saveNewUser(record: UserRecord): Promise<UserRecord> {
    return withUniqueUserName(record.userName, () => store.users.insert(record));
  }

  async function replaceUser(ctx: RequestContext, id: string, body: unknown, preconditions: Preconditions): Promise<UserRecord> {
    const resource = readResourceBody('User', body, 'replace');
    const replaced = await withLock(lockKey(ctx, id), async () => {
      const current = await getUser(ctx, id);
      assertIfMatch(current, preconditions);
      return saveUser({ ...current, resource, userName: resource.userName as string, externalId: optionalString(resource.externalId) }, current.version);
    });
    await notify(ctx, { kind: 'users-changed', userIds: [id] });
    return replaced;
  }

  async function patchUser(ctx: RequestContext, id: string, body: unknown, preconditions: Preconditions): Promise<UserRecord> {
    const patched = await withOptimisticRetry(preconditions, () => withLock(lockKey(ctx, id), async () => {
      const current = await getUser(ctx, id);
      assertIfMatch(current, preconditions);
      const { resource } = applyPatch('User', current.resource, body);
      if (typeof resource.userName !== 'string' || resource.userName === '') {
        throw scimError(400, 'invalidValue', 'userName is required and cannot be removed');
      }
      return saveUser({ ...current, resource, userName: resource.userName, externalId: optionalString(resource.externalId) }, current.version);
    }));
    await notify(ctx, { kind: 'users-changed', userIds: [id] });
    return patched;
  }

  function saveUser(record: UserRecord, expectedVersion: number): Promise<UserRecord> {
    return withUniqueUserName(record.userName, () => store.users.replace(record, expectedVersion));
  }

  /** The store removes the user's memberships with it. */
  async function deleteUser(ctx: RequestContext, id: string, preconditions: Preconditions = {}): Promise<void> {
    const expectedVersion = await versionToDelete(preconditions, () => getUser(ctx, id));
    if (!(await store.users.delete(ctx.registrationId, id, expectedVersion))) notDeleted('User', id, expectedVersion);
    await notify(ctx, { kind: 'users-deleted', userIds: [id] });
  }

  async function getGroup(ctx: RequestContext, id: string, loadMembers: boolean): Promise<GroupWithMembers> {
    const record = await getGroupRecord(ctx, id);
    return { record, members: loadMembers ? await store.groups.listMembers(ctx.registrationId, id) : undefined };
  }

  async function createGroup(ctx: RequestContext, body: unknown): Promise<GroupWithMembers> {
    const { resource, members = [] } = readGroupBody(body, 'create');
    await assertMembersExist(ctx, members);
    const now = new Date().toISOString();
    const record = await store.groups.insert({
      id: randomUUID(),
      registrationId: ctx.registrationId,
      displayName: resource.displayName as string,
      externalId: optionalString(resource.externalId),
      version: 1,
      created: now,
      lastModified: now,
      resource,
    });
    if (members.length === 0) return { record, members: [] };
    const written = await addMembersOrUndoCreate(ctx, record, members);
    await notify(ctx, { kind: 'groups-changed', userIds: written.changed });
    return withMembers(ctx, written.record);
  }

  /** Group and memberships are separate documents: if the members cannot be written, the group is removed again. */
  async function addMembersOrUndoCreate(ctx: RequestContext, record: GroupRecord, members: Member[]): Promise<GroupChangeResult> {
    try {
      return await store.groups.update(ctx.registrationId, record.id, record.version, { members: [{ kind: 'add', members }] });
    } catch (error) {
      await store.groups.delete(ctx.registrationId, record.id).catch(() => undefined);
      throw error;
    }
  }

  /** The group as this request wrote it, with its members. */
  async function withMembers(ctx: RequestContext, record: GroupRecord): Promise<GroupWithMembers> {
    return { record, members: await store.groups.listMembers(ctx.registrationId, record.id) };
  }

  async function replaceGroup(ctx: RequestContext, id: string, body: unknown, preconditions: Preconditions): Promise<GroupWithMembers> {
    const { resource, members = [] } = readGroupBody(body, 'replace');
    await assertMembersExist(ctx, members);
    const written = await withLock(lockKey(ctx, id), async () => {
      const current = await getGroupRecord(ctx, id);
      assertIfMatch(current, preconditions);
      const existing = new Set((await store.groups.listMembers(ctx.registrationId, id)).map((m) => m.value));
      const wanted = new Set(members.map((m) => m.value));
      return store.groups.update(ctx.registrationId, id, current.version, {
        record: groupWith(current, resource),
        members: [
          { kind: 'remove', ids: [...existing].filter((value) => !wanted.has(value)) },
          { kind: 'add', members: members.filter((m) => !existing.has(m.value)) },
        ],
      });
    });
    await notify(ctx, { kind: 'groups-changed', userIds: written.changed });
    return withMembers(ctx, written.record);
  }

  /** Attributes and member operations are written as one step (see GroupCollection.update); the answer is its version. */
  async function patchGroup(ctx: RequestContext, id: string, body: unknown, preconditions: Preconditions): Promise<GroupRecord> {
    const written = await withOptimisticRetry(preconditions, () => withLock(lockKey(ctx, id), async () => {
      const current = await getGroupRecord(ctx, id);
      assertIfMatch(current, preconditions);
      const patch = applyPatch('Group', current.resource, body);
      await assertMembersExist(ctx, patch.memberOps.flatMap((op) => (op.kind === 'add' ? op.members : [])));
      const attributesChanged = !sameJson(patch.resource, current.resource);
      if (!attributesChanged && patch.memberOps.length === 0) return { record: current, changed: [] };
      return store.groups.update(ctx.registrationId, id, current.version, { ...(attributesChanged ? { record: groupWith(current, patch.resource) } : {}), members: patch.memberOps });
    }));
    await notify(ctx, { kind: 'groups-changed', userIds: written.changed });
    return written.record;
  }

  async function deleteGroup(ctx: RequestContext, id: string, preconditions: Preconditions = {}): Promise<void> {
    const expectedVersion = await versionToDelete(preconditions, () => getGroupRecord(ctx, id));
    const members = await store.groups.listMembers(ctx.registrationId, id);
    if (!(await store.groups.delete(ctx.registrationId, id, expectedVersion))) notDeleted('Group', id, expectedVersion);
    await notify(ctx, { kind: 'groups-changed', userIds: members.map((m) => m.value) });
  }

  async function assertMembersExist(ctx: RequestContext, members: Member[]): Promise<void> {
    const ids = [...new Set(members.map((m) => m.value))];
    if (ids.length === 0) return;
    const existing = new Set(await store.users.existingIds(ctx.registrationId, ids));
    const unknown = ids.filter((id) => !existing.has(id));
    if (unknown.length > 0) {
      throw scimError(400, 'invalidValue', `members refer to unknown users: ${unknown.slice(0, 5).map((id) => excerpt(id, 60)).join(', ')}${unknown.length > 5 ? ', …' : ''}`);
    }
  }

  /** The voice users of these directory users, by directory user id (their portal-owned values). */
  async function voiceUsersOf(ctx: RequestContext, userIds: string[]): Promise<Map<string, VoiceUserRecord>> {
    if (userIds.length === 0) return new Map();
    const found = await store.voiceUsers.findByDirectoryUsers(ctx.registrationId, userIds);
    return new Map(found.map((voiceUser) => [voiceUser.directoryUserId!, voiceUser]));
  }

  function listUsers(ctx: RequestContext, query: ListQuery): Promise<ListResult<UserRecord>> {
    return store.users.query(ctx.registrationId, query);
  }

  async function listGroups(ctx: RequestContext, query: ListQuery, loadMembers: boolean): Promise<ListResult<GroupWithMembers>> {
    const page = await store.groups.query(ctx.registrationId, query);
    const records = await Promise.all(
      page.records.map(async (record) => ({ record, members: loadMembers ? await store.groups.listMembers(ctx.registrationId, record.id) : undefined })),
    );
    return { totalResults: page.totalResults, records };
  }

  return { getUser, createUser, replaceUser, patchUser, deleteUser, listUsers, voiceUsersOf, getGroup, createGroup, replaceGroup, patchGroup, deleteGroup, listGroups };
}

export type DirectoryService = ReturnType<typeof createDirectoryService>;

async function withUniqueUserName<T>(userName: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isAppError(error, 'store.conflict')) throw scimError(409, 'uniqueness', `userName "${excerpt(userName)}" is already taken by another user`);
    throw error;
  }
}

function groupWith(current: GroupRecord, resource: JsonObject): GroupRecord {
  return { ...current, resource, displayName: resource.displayName as string, externalId: optionalString(resource.externalId) };
}

/**
 * PATCH is read-modify-write on one document; a concurrent writer makes the conditional
 * write fail and we re-read and re-apply, so neither change is lost. With If-Match the
 * client asked for exactly the version it saw, so a conflict is its 412 to handle.
 */
async function withOptimisticRetry<T>(preconditions: Preconditions, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isAppError(error, 'store.version_conflict')) throw error;
      if (preconditions.ifMatch) throw scimError(412, undefined, 'The resource changed since the version given in If-Match');
      if (tries >= MAX_PATCH_ATTEMPTS) throw scimError(409, undefined, 'The resource is being changed by other requests; retry the PATCH');
    }
  }
}

export function etagOf(record: { version: number }): string {
  return `W/"${record.version}"`;
}

function assertIfMatch(record: { version: number }, { ifMatch }: Preconditions): void {
  if (!ifMatch || ifMatch.trim() === '*') return;
  const accepted = ifMatch.split(',').map((tag) => tag.trim());
  if (!accepted.includes(etagOf(record)) && !accepted.includes(`"${record.version}"`)) {
    throw scimError(412, undefined, `If-Match ${excerpt(ifMatch, 60)} does not match the current version ${etagOf(record)}`);
  }
}

/**
 * RFC 7644 §3.14: a DELETE with If-Match deletes only the version the client saw. Checked here
 * (404, 412), then again by the store's conditional delete, so a change in between is a 412 too.
 */
async function versionToDelete(preconditions: Preconditions, current: () => Promise<{ version: number }>): Promise<number | undefined> {
  if (!preconditions.ifMatch || preconditions.ifMatch.trim() === '*') return undefined;
  const record = await current();
  assertIfMatch(record, preconditions);
  return record.version;
}

function notDeleted(resourceType: string, id: string, expectedVersion: number | undefined): never {
  if (expectedVersion !== undefined) throw scimError(412, undefined, `The ${resourceType} changed since the version given in If-Match; nothing was deleted`);
  notFound(resourceType, id);
}

/** Resource ids are UUIDs the service issues; nothing else can name a resource. */
const ISSUED_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isIssuedId(id: string): boolean {
  return ISSUED_ID.test(id);
}

function notFound(resourceType: string, id: string): never {
  throw scimError(404, undefined, `${resourceType} ${id} not found`);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
