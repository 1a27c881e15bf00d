import { beforeAll, describe, expect, it } from 'vitest';
import type { GroupAttributes, UserAttributes } from '../../../src/directory/commands.js';
import { createDirectoryService, type DirectoryService } from '../../../src/directory/directory-service.js';
import type { JsonObject } from '../../../src/kernel/json.js';
import type { RequestContext } from '../../../src/registrations/request-context.js';
import { useEmbeddedStore } from '../../support/embedded-store.js';
import { contextFor } from './context.js';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

const userNamed = (userName: string, extra: Record<string, unknown> = {}): UserAttributes => ({ userName, resource: { schemas: [USER_SCHEMA], userName, ...extra } });
const groupNamed = (displayName: string): GroupAttributes => ({ displayName, resource: { schemas: [GROUP_SCHEMA], displayName } });
/** A PATCH's edit that sets one attribute of the stored document. */
const setting = (name: string, value: string) => (stored: JsonObject): UserAttributes => {
  const resource = { ...stored, [name]: value };
  return { userName: resource.userName as string, resource };
};

describe('directory service on typed commands (embedded store)', () => {
  const store = useEmbeddedStore('directory-service');
  /** Users the SYNC-1 follow-up was asked to reconcile, per call. */
  const reconciled: string[][] = [];
  let directory: DirectoryService;
  const onDemand = contextFor('reg-a');
  const justInTime = contextFor('reg-jit', { kind: 'just-in-time' });

  beforeAll(() => {
    directory = createDirectoryService({
      users: store().users,
      groups: store().groups,
      voiceUsers: store().voiceUsers,
      reconcileUsers: async (_ctx: RequestContext, userIds: string[]) => void reconciled.push(userIds),
    });
  });

  it('CreateUser stores the attributes at version 1; a userName taken in the registration is directory.user_name_taken (409)', async () => {
    const created = await directory.createUser(onDemand, { attributes: { ...userNamed('ada@contoso.example'), externalId: 'ext-ada' } });
    expect(created).toMatchObject({ registrationId: 'reg-a', userName: 'ada@contoso.example', externalId: 'ext-ada', version: 1 });
    await expect(directory.createUser(onDemand, { attributes: userNamed('ada@contoso.example') })).rejects.toMatchObject({
      code: 'directory.user_name_taken',
      status: 409,
      message: 'userName "ada@contoso.example" is already taken by another user',
    });
  });

  it('PatchUser applies its edit to the stored document and answers the version the write produced', async () => {
    const { id } = await directory.createUser(onDemand, { attributes: userNamed('grace@contoso.example') });
    const patched = await directory.patchUser(onDemand, { id, edit: setting('title', 'Admiral') });
    expect(patched).toMatchObject({ version: 2, resource: { userName: 'grace@contoso.example', title: 'Admiral' } });
    expect(await directory.getUser(onDemand, id)).toEqual(patched);
  });

  it('an edit that throws leaves the user as it was (all operations or none)', async () => {
    const { id } = await directory.createUser(onDemand, { attributes: userNamed('alan@contoso.example') });
    const refusal = new Error('nothing to apply the operation to');
    await expect(directory.patchUser(onDemand, { id, edit: () => { throw refusal; } })).rejects.toBe(refusal);
    expect(await directory.getUser(onDemand, id)).toMatchObject({ version: 1 });
  });

  it('ReplaceUser clears an external id the new attributes lack', async () => {
    const { id } = await directory.createUser(onDemand, { attributes: { ...userNamed('edsger@contoso.example'), externalId: 'ext-e' } });
    const replaced = await directory.replaceUser(onDemand, { id, attributes: userNamed('edsger@contoso.example') });
    expect(replaced.externalId).toBeUndefined();
    expect((await directory.getUser(onDemand, id)).externalId).toBeUndefined();
  });

  describe('preconditions (expectedVersions)', () => {
    it('a write to a version not expected is directory.precondition_failed (412) naming the current version, and changes nothing', async () => {
      const { id } = await directory.createUser(onDemand, { attributes: userNamed('barbara@contoso.example') });
      await directory.patchUser(onDemand, { id, edit: setting('title', 'first') });
      for (const expectedVersions of [[1], [], [5, 7]]) {
        await expect(directory.patchUser(onDemand, { id, edit: setting('title', 'stale'), expectedVersions })).rejects.toMatchObject({
          code: 'directory.precondition_failed',
          status: 412,
          data: { currentVersion: 2 },
        });
      }
      expect(await directory.getUser(onDemand, id)).toMatchObject({ version: 2, resource: { title: 'first' } });
      await expect(directory.patchUser(onDemand, { id, edit: setting('title', 'second'), expectedVersions: [1, 2] })).resolves.toMatchObject({ version: 3 });
    });

    it('DEL: a stale precondition deletes nothing; the current one deletes', async () => {
      const { id } = await directory.createUser(onDemand, { attributes: userNamed('frances@contoso.example') });
      await expect(directory.deleteUser(onDemand, { id, expectedVersions: [9] })).rejects.toMatchObject({ code: 'directory.precondition_failed', status: 412 });
      await directory.deleteUser(onDemand, { id, expectedVersions: [1] });
      await expect(directory.getUser(onDemand, id)).rejects.toMatchObject({ code: 'directory.user_not_found', status: 404 });
    });
  });

  it('REG-2 another registration\'s user is not found, for reads and writes alike', async () => {
    const { id } = await directory.createUser(onDemand, { attributes: userNamed('hidden@contoso.example') });
    const other = contextFor('reg-b');
    await expect(directory.getUser(other, id)).rejects.toMatchObject({ code: 'directory.user_not_found' });
    await expect(directory.patchUser(other, { id, edit: setting('title', 'x') })).rejects.toMatchObject({ code: 'directory.user_not_found' });
    await expect(directory.deleteUser(other, { id })).rejects.toMatchObject({ code: 'directory.user_not_found' });
    expect(await directory.getUser(onDemand, id)).toMatchObject({ version: 1 });
  });

  describe('groups', () => {
    let members: string[];
    beforeAll(async () => {
      members = await Promise.all(['m1', 'm2', 'm3'].map(async (name) => (await directory.createUser(onDemand, { attributes: userNamed(`${name}@contoso.example`) })).id));
    });

    it('PatchGroup writes attributes and member operations as one write and answers its version; membersOf lists the members', async () => {
      const { record } = await directory.createGroup(onDemand, { attributes: groupNamed('Sales'), members: [] });
      const rename = (stored: JsonObject) => ({ displayName: 'Sales EMEA', resource: { ...stored, displayName: 'Sales EMEA' } });
      const patched = await directory.patchGroup(onDemand, { id: record.id, edit: rename, memberOps: [{ kind: 'add', members: [{ value: members[0]! }, { value: members[1]! }] }] });
      expect(patched).toMatchObject({ version: 2, displayName: 'Sales EMEA' });
      expect((await directory.membersOf(onDemand, record.id)).map((m) => m.value)).toEqual([members[0], members[1]]);
      const removed = await directory.patchGroup(onDemand, { id: record.id, edit: (stored) => ({ displayName: stored.displayName as string, resource: stored }), memberOps: [{ kind: 'remove', ids: [members[0]!] }] });
      expect(removed.version).toBe(3);
      expect((await directory.getGroup(onDemand, record.id, false)).record).toEqual(removed);
    });

    it('a PatchGroup that changes nothing writes nothing and keeps the version', async () => {
      const { record } = await directory.createGroup(onDemand, { attributes: groupNamed('Quiet'), members: [] });
      const unchanged = await directory.patchGroup(onDemand, { id: record.id, edit: (stored) => ({ displayName: 'Quiet', resource: stored }), memberOps: [] });
      expect(unchanged).toEqual(record);
    });

    it('members naming unknown users are directory.unknown_members (400) and nothing is written', async () => {
      const { record } = await directory.createGroup(onDemand, { attributes: groupNamed('Strict'), members: [{ value: members[0]! }] });
      const unknown = '00000000-0000-4000-8000-000000000000';
      await expect(directory.patchGroup(onDemand, { id: record.id, edit: (stored) => ({ displayName: 'Strict', resource: stored }), memberOps: [{ kind: 'add', members: [{ value: members[1]! }, { value: unknown }] }] })).rejects.toMatchObject({
        code: 'directory.unknown_members',
        status: 400,
        message: `members refer to unknown users: ${unknown}`,
      });
      await expect(directory.createGroup(onDemand, { attributes: groupNamed('Never'), members: [{ value: unknown }] })).rejects.toMatchObject({ code: 'directory.unknown_members' });
      expect((await directory.getGroup(onDemand, record.id, true)).members?.map((m) => m.value)).toEqual([members[0]]);
    });

    it('ReplaceGroup leaves exactly the members it names', async () => {
      const { record } = await directory.createGroup(onDemand, { attributes: groupNamed('Swap'), members: [{ value: members[0]! }, { value: members[1]! }] });
      const replaced = await directory.replaceGroup(onDemand, { id: record.id, attributes: groupNamed('Swap'), members: [{ value: members[1]! }, { value: members[2]! }] });
      expect(replaced.members?.map((m) => m.value).sort()).toEqual([members[1], members[2]].sort());
      expect(replaced.record.version).toBe(record.version + 1);
    });
  });

  describe('what follows a write (sync-policy.ts)', () => {
    it('SYNC-1 just-in-time: each write asks to reconcile exactly the users it changed', async () => {
      reconciled.length = 0;
      const a = (await directory.createUser(justInTime, { attributes: userNamed('jit1@contoso.example') })).id;
      const b = (await directory.createUser(justInTime, { attributes: userNamed('jit2@contoso.example') })).id;
      const { record } = await directory.createGroup(justInTime, { attributes: groupNamed('Voice'), members: [] });
      await directory.patchGroup(justInTime, { id: record.id, edit: (stored) => ({ displayName: 'Voice', resource: stored }), memberOps: [{ kind: 'add', members: [{ value: a }, { value: b }] }] });
      await directory.patchUser(justInTime, { id: a, edit: setting('title', 'x') });
      await directory.deleteGroup(justInTime, { id: record.id });
      // The group created empty changed nobody's membership: nothing to reconcile for it.
      expect(reconciled).toEqual([[a], [b], [a, b], [a], [a, b]]);
    });

    it.each([
      ['SYNC-2 on-demand', { kind: 'on-demand' } as const],
      ['SYNC-3 batched', { kind: 'batched', intervalMinutes: 60 } as const],
    ])('%s: no write reconciles before its answer', async (_title, syncMode) => {
      reconciled.length = 0;
      const ctx = contextFor(`reg-${syncMode.kind}`, syncMode);
      const { id } = await directory.createUser(ctx, { attributes: userNamed('quiet@contoso.example') });
      const { record } = await directory.createGroup(ctx, { attributes: groupNamed('Quiet'), members: [{ value: id }] });
      await directory.patchUser(ctx, { id, edit: setting('title', 'x') });
      await directory.deleteGroup(ctx, { id: record.id });
      await directory.deleteUser(ctx, { id });
      expect(reconciled).toEqual([]);
    });
  });
});
