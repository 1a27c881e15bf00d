import { randomUUID } from 'node:crypto';
import { AppError, isAppError } from '../kernel/app-error.js';
import { excerpt } from '../kernel/excerpt.js';
import { createKeyedLock } from '../kernel/keyed-lock.js';
import type { RequestContext } from '../registrations/request-context.js';
import { storeUnavailable } from '../kernel/store-errors.js';
import type { ListQuery, ListResult } from '../persistence/query.js';
import type { VoiceUserCollection, VoiceUserRecord } from '../portal/portal-port.js';
import type { CreateGroup, CreateUser, DeleteGroup, DeleteUser, GroupAttributes, PatchGroup, PatchUser, Precondition, ReplaceGroup, ReplaceUser, UserAttributes } from './commands.js';
import type { GroupChangeResult, GroupCollection, GroupRecord, Member, UserCollection, UserRecord } from './directory-port.js';
import { decideSync } from './sync-policy.js';

export interface DirectoryServiceDeps {
  users: UserCollection;
  groups: GroupCollection;
  /** The portal-owned values shown with a user. */
  voiceUsers: Pick<VoiceUserCollection, 'findByDirectoryUsers'>;
  /** SYNC-1: reconciles these users of the request's registration before the answer (main.ts wires the reconciler in). */
  reconcileUsers(ctx: RequestContext, userIds: string[]): Promise<unknown>;
}

export interface GroupWithMembers {
  record: GroupRecord;
  /** undefined when the caller asked not to load members. */
  members?: Member[];
}

type ResourceType = 'User' | 'Group';

/** Optimistic-concurrency attempts before a PATCH gives up on a hot resource. */
const MAX_PATCH_ATTEMPTS = 8;

/**
 * The directory's operations on typed commands, independent of any protocol. Every call is
 * confined to the request's registration (REG-2); another registration's id is simply not found.
 * Errors are AppErrors with `directory.*` codes; a write answers with the version it produced.
 */
export function createDirectoryService({ users, groups, voiceUsers, reconcileUsers }: DirectoryServiceDeps) {
  const withLock = createKeyedLock();
  const lockKey = (ctx: RequestContext, id: string) => `${ctx.registration.id}/${id}`;
  /**
   * The work the registration's sync mode asks for after a directory write changed these users
   * (their attributes, or their memberships). The write is already applied, so a database failure
   * here must not be reported as "nothing was changed".
   */
  const followUp = async (ctx: RequestContext, userIds: string[]) => {
    if (!decideSync(ctx).reconcileNow || userIds.length === 0) return;
    try {
      await reconcileUsers(ctx, userIds);
    } catch (error) {
      if (isAppError(error, 'store.unavailable')) throw storeUnavailable('The follow-up work of an applied change failed', { cause: error, mayHaveBeenApplied: true });
      throw error;
    }
  };

  async function getUser(ctx: RequestContext, id: string): Promise<UserRecord> {
    return (await users.get(ctx.registration.id, id)) ?? notFound('User', id);
  }

  async function getGroupRecord(ctx: RequestContext, id: string): Promise<GroupRecord> {
    return (await groups.get(ctx.registration.id, id)) ?? notFound('Group', id);
  }

  async function createUser(ctx: RequestContext, { attributes }: CreateUser): Promise<UserRecord> {
    const now = new Date().toISOString();
    const record: UserRecord = { id: randomUUID(), registrationId: ctx.registration.id, ...attributes, version: 1, created: now, lastModified: now };
    const created = await withUniqueUserName(record.userName, () => users.insert(record));
    await followUp(ctx, [created.id]);
    return created;
  }

  /**
   * A duplicate userName is 409 uniqueness (RFC 7644 §3.3 says MUST), also when Entra retries a
   * create that timed out: its next step is the `userName eq` lookup, which finds the user, so
   * the job continues with a PATCH instead of failing for good.
   */
  function saveUser(record: UserRecord, expectedVersion: number): Promise<UserRecord> {
    return withUniqueUserName(record.userName, () => users.replace(record, expectedVersion));
  }

  async function replaceUser(ctx: RequestContext, { id, attributes, expectedVersions }: ReplaceUser): Promise<UserRecord> {
    const replaced = await withLock(lockKey(ctx, id), async () => {
      const current = await getUser(ctx, id);
      assertExpectedVersion(current, expectedVersions);
      return saveUser(withAttributes(current, attributes), current.version);
    });
    await followUp(ctx, [id]);
    return replaced;
  }

  async function patchUser(ctx: RequestContext, { id, edit, expectedVersions }: PatchUser): Promise<UserRecord> {
    const patched = await withOptimisticRetry(expectedVersions, () =>
      withLock(lockKey(ctx, id), async () => {
        const current = await getUser(ctx, id);
        assertExpectedVersion(current, expectedVersions);
        return saveUser(withAttributes(current, edit(current.resource)), current.version);
      }),
    );
    await followUp(ctx, [id]);
    return patched;
  }

  /** The store removes the user's memberships with it. */
  async function deleteUser(ctx: RequestContext, { id, expectedVersions }: DeleteUser): Promise<void> {
    const expectedVersion = await versionToDelete(expectedVersions, () => getUser(ctx, id));
    if (!(await users.delete(ctx.registration.id, id, expectedVersion))) notDeleted('User', id, expectedVersion);
    await followUp(ctx, [id]);
  }

  async function getGroup(ctx: RequestContext, id: string, loadMembers: boolean): Promise<GroupWithMembers> {
    const record = await getGroupRecord(ctx, id);
    return { record, members: loadMembers ? await membersOf(ctx, id) : undefined };
  }

  /** A group's members as stored now (the group itself is not read again). */
  function membersOf(ctx: RequestContext, groupId: string): Promise<Member[]> {
    return groups.listMembers(ctx.registration.id, groupId);
  }

  async function createGroup(ctx: RequestContext, { attributes, members }: CreateGroup): Promise<GroupWithMembers> {
    await assertMembersExist(ctx, members);
    const now = new Date().toISOString();
    const record = await groups.insert({ id: randomUUID(), registrationId: ctx.registration.id, ...attributes, version: 1, created: now, lastModified: now });
    if (members.length === 0) return { record, members: [] };
    const written = await addMembersOrUndoCreate(ctx, record, members);
    await followUp(ctx, written.changed);
    return withMembers(ctx, written.record);
  }

  /** Group and memberships are separate documents: if the members cannot be written, the group is removed again. */
  async function addMembersOrUndoCreate(ctx: RequestContext, record: GroupRecord, members: Member[]): Promise<GroupChangeResult> {
    try {
      return await groups.update(ctx.registration.id, record.id, record.version, { members: [{ kind: 'add', members }] });
    } catch (error) {
      await groups.delete(ctx.registration.id, record.id).catch(() => undefined);
      throw error;
    }
  }

  /** The group as this request wrote it, with its members. */
  async function withMembers(ctx: RequestContext, record: GroupRecord): Promise<GroupWithMembers> {
    return { record, members: await membersOf(ctx, record.id) };
  }

  async function replaceGroup(ctx: RequestContext, { id, attributes, members, expectedVersions }: ReplaceGroup): Promise<GroupWithMembers> {
    await assertMembersExist(ctx, members);
    const written = await withLock(lockKey(ctx, id), async () => {
      const current = await getGroupRecord(ctx, id);
      assertExpectedVersion(current, expectedVersions);
      const existing = new Set((await membersOf(ctx, id)).map((m) => m.value));
      const wanted = new Set(members.map((m) => m.value));
      return groups.update(ctx.registration.id, id, current.version, {
        record: withAttributes(current, attributes),
        members: [
          { kind: 'remove', ids: [...existing].filter((value) => !wanted.has(value)) },
          { kind: 'add', members: members.filter((m) => !existing.has(m.value)) },
        ],
      });
    });
    await followUp(ctx, written.changed);
    return withMembers(ctx, written.record);
  }

  /**
   * Attributes and member operations are written as one step (see GroupCollection.update). The
   * group is read once per attempt, the member list never; the answer is the version this write produced.
   */
  async function patchGroup(ctx: RequestContext, { id, edit, memberOps, expectedVersions }: PatchGroup): Promise<GroupRecord> {
    const added = memberOps.flatMap((op) => (op.kind === 'add' ? op.members : []));
    const written = await withOptimisticRetry(expectedVersions, () =>
      withLock(lockKey(ctx, id), async () => {
        const current = await getGroupRecord(ctx, id);
        assertExpectedVersion(current, expectedVersions);
        const attributes = edit(current.resource);
        await assertMembersExist(ctx, added);
        const attributesChanged = !sameJson(attributes.resource, current.resource);
        if (!attributesChanged && memberOps.length === 0) return { record: current, changed: [] };
        return groups.update(ctx.registration.id, id, current.version, { ...(attributesChanged ? { record: withAttributes(current, attributes) } : {}), members: memberOps });
      }),
    );
    await followUp(ctx, written.changed);
    return written.record;
  }

  /** The members are listed (to reconcile them) only when the registration reconciles now. */
  async function deleteGroup(ctx: RequestContext, { id, expectedVersions }: DeleteGroup): Promise<void> {
    const expectedVersion = await versionToDelete(expectedVersions, () => getGroupRecord(ctx, id));
    const members = decideSync(ctx).reconcileNow ? await membersOf(ctx, id) : [];
    if (!(await groups.delete(ctx.registration.id, id, expectedVersion))) notDeleted('Group', id, expectedVersion);
    await followUp(ctx, members.map((m) => m.value));
  }

  async function assertMembersExist(ctx: RequestContext, members: Member[]): Promise<void> {
    const ids = [...new Set(members.map((m) => m.value))];
    if (ids.length === 0) return;
    const existing = new Set(await users.existingIds(ctx.registration.id, ids));
    const unknown = ids.filter((id) => !existing.has(id));
    if (unknown.length > 0) {
      const named = `${unknown.slice(0, 5).map((id) => excerpt(id, 60)).join(', ')}${unknown.length > 5 ? ', …' : ''}`;
      throw new AppError('directory.unknown_members', `members refer to unknown users: ${named}`, { data: { unknown: unknown.slice(0, 5) } });
    }
  }

  /** The voice users of these directory users, by directory user id (their portal-owned values). */
  async function voiceUsersOf(ctx: RequestContext, userIds: string[]): Promise<Map<string, VoiceUserRecord>> {
    if (userIds.length === 0) return new Map();
    const found = await voiceUsers.findByDirectoryUsers(ctx.registration.id, userIds);
    return new Map(found.map((voiceUser) => [voiceUser.directoryUserId!, voiceUser]));
  }

  function listUsers(ctx: RequestContext, query: ListQuery): Promise<ListResult<UserRecord>> {
    return users.query(ctx.registration.id, query);
  }

  async function listGroups(ctx: RequestContext, query: ListQuery, loadMembers: boolean): Promise<ListResult<GroupWithMembers>> {
    const page = await groups.query(ctx.registration.id, query);
    const records = await Promise.all(page.records.map(async (record) => ({ record, members: loadMembers ? await membersOf(ctx, record.id) : undefined })));
    return { totalResults: page.totalResults, records };
  }

  return { getUser, createUser, replaceUser, patchUser, deleteUser, listUsers, voiceUsersOf, getGroup, membersOf, createGroup, replaceGroup, patchGroup, deleteGroup, listGroups };
}

export type DirectoryService = ReturnType<typeof createDirectoryService>;

async function withUniqueUserName<T>(userName: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isAppError(error, 'store.conflict')) throw new AppError('directory.user_name_taken', `userName "${excerpt(userName)}" is already taken by another user`, { status: 409 });
    throw error;
  }
}

/** The record with new attributes; an external id the attributes lack is cleared, not kept. */
function withAttributes<R extends UserRecord | GroupRecord>(current: R, { externalId, ...attributes }: UserAttributes | GroupAttributes): R {
  return { ...current, ...attributes, externalId };
}

/**
 * PATCH is read-modify-write on one document; a concurrent writer makes the conditional
 * write fail and we re-read and re-apply, so neither change is lost. With a precondition the
 * client asked for exactly the version it saw, so a conflict is its 412 to handle.
 */
async function withOptimisticRetry<T>(expectedVersions: Precondition['expectedVersions'], attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isAppError(error, 'store.version_conflict')) throw error;
      if (expectedVersions !== undefined) throw new AppError('directory.precondition_failed', 'The resource changed since the version given in If-Match', { status: 412 });
      if (tries >= MAX_PATCH_ATTEMPTS) throw new AppError('directory.write_contention', 'The resource is being changed by other requests; retry the PATCH', { status: 409 });
    }
  }
}

/** `data.currentVersion` lets a wire say which version is current in its own terms (an ETag). */
function assertExpectedVersion(record: { version: number }, expectedVersions: Precondition['expectedVersions']): void {
  if (expectedVersions === undefined || expectedVersions.includes(record.version)) return;
  throw new AppError('directory.precondition_failed', `The stored version is ${record.version}, not one of those expected (${expectedVersions.join(', ') || 'none'})`, {
    status: 412,
    data: { currentVersion: record.version },
  });
}

/**
 * RFC 7644 §3.14: a DELETE with a precondition deletes only the version the client saw. Checked
 * here (404, 412), then again by the store's conditional delete, so a change in between is a 412 too.
 */
async function versionToDelete(expectedVersions: Precondition['expectedVersions'], current: () => Promise<{ version: number }>): Promise<number | undefined> {
  if (expectedVersions === undefined) return undefined;
  const record = await current();
  assertExpectedVersion(record, expectedVersions);
  return record.version;
}

function notDeleted(resourceType: ResourceType, id: string, expectedVersion: number | undefined): never {
  if (expectedVersion !== undefined) throw new AppError('directory.precondition_failed', `The ${resourceType} changed since the version given in If-Match; nothing was deleted`, { status: 412 });
  notFound(resourceType, id);
}

/** Resource ids are UUIDs the service issues; nothing else can name a resource. */
const ISSUED_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isIssuedId(id: string): boolean {
  return ISSUED_ID.test(id);
}

function notFound(resourceType: ResourceType, id: string): never {
  throw new AppError(`directory.${resourceType.toLowerCase()}_not_found`, `${resourceType} ${id} not found`, { status: 404 });
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
