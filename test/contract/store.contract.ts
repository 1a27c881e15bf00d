import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../src/kernel/app-error.js';
import { type JsonObject } from '../../src/kernel/json.js';
import { type Store } from '../../src/persistence/persistence.js';
import type { FilterNode, SearchableAttribute } from '../../src/persistence/query.js';
import type { GroupCollection, GroupRecord, UserCollection, UserRecord } from '../../src/directory/directory-port.js';
import type { GroupBatchReads, UserBatchReads } from '../../src/reconcile/reconcile-port.js';
import { coveringEveryMethod, type MethodsOf } from './port-coverage.js';

const USER_METHODS = {
  insert: true, get: true, replace: true, delete: true, query: true, countAll: true, listAll: true, deleteAll: true, findByUserName: true, existingIds: true, getMany: true,
} satisfies MethodsOf<UserCollection & UserBatchReads>;
const GROUP_METHODS = {
  insert: true, get: true, replace: true, delete: true, query: true, countAll: true, listAll: true, deleteAll: true,
  update: true, listMembers: true, removeUserEverywhere: true, allMemberships: true, getMany: true, groupsOfUsers: true,
} satisfies MethodsOf<GroupCollection & GroupBatchReads>;

const USER_NAME: SearchableAttribute = { name: 'userName', type: 'string', caseExact: false, column: 'userNameLower', path: ['userName'] };
const TITLE: SearchableAttribute = { name: 'title', type: 'string', caseExact: false, path: ['title'] };
const FAMILY: SearchableAttribute = { name: 'name.familyName', type: 'string', caseExact: false, path: ['name', 'familyName'] };
const ACTIVE: SearchableAttribute = { name: 'active', type: 'boolean', caseExact: false, path: ['active'] };
const CREATED: SearchableAttribute = { name: 'meta.created', type: 'dateTime', caseExact: false, column: 'created', path: [] };
const EMAIL_VALUE: SearchableAttribute = { name: 'emails.value', type: 'string', caseExact: false, multiValuedParent: 'emails', path: ['value'] };
const EMAIL_TYPE: SearchableAttribute = { name: 'emails.type', type: 'string', caseExact: false, multiValuedParent: 'emails', path: ['type'] };
const EMPLOYEE: SearchableAttribute = { name: 'employeeNumber', type: 'string', caseExact: false, path: ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'employeeNumber'] };

const compare = (attribute: SearchableAttribute, op: 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le', value: string | boolean | null): FilterNode => ({ kind: 'compare', op, attribute, value });

function user(registrationId: string, userName: string, resource: JsonObject = {}, created = new Date().toISOString()): UserRecord {
  return { id: randomUUID(), registrationId, userName, version: 1, created, lastModified: created, resource: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, ...resource } };
}

function groupRecord(registrationId: string, displayName: string): GroupRecord {
  const now = new Date().toISOString();
  return { id: randomUUID(), registrationId, displayName, version: 1, created: now, lastModified: now, resource: { displayName } };
}

/** The storage contract every adapter passes: same data, same answers (kratos' TestPool idea). */
export function describeStoreContract(name: string, open: () => Promise<Store>) {
  describe(`${name}: users, groups and memberships`, () => {
    let store: Store;
    const reg = `reg-${randomUUID()}`;
    const other = `other-${randomUUID()}`;
    const insertUsers = async (registrationId: string, count: number) =>
      (await Promise.all(Array.from({ length: count }, () => store.users.insert(user(registrationId, `member-${randomUUID()}@contoso.com`))))).map((u) => u.id);
    const names = async (filter: FilterNode) => (await store.users.query(reg, { filter, startIndex: 1, count: 100, sortBy: USER_NAME })).records.map((r) => r.userName);

    const openCovered = coveringEveryMethod(open, { users: USER_METHODS, groups: GROUP_METHODS });

    beforeAll(async () => {
      store = await openCovered();
      await store.users.insert(user(reg, 'Alice@Contoso.com', { title: 'Engineer', active: true, name: { familyName: 'Smith' }, emails: [{ type: 'work', value: 'alice@contoso.com' }, { type: 'home', value: 'a@home.example' }], 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: '42' } }, '2026-01-01T00:00:00.000Z'));
      await store.users.insert(user(reg, 'bob@contoso.com', { title: 'Manager', active: false, name: { familyName: 'Jones' }, emails: [{ type: 'home', value: 'bob@contoso.com' }] }, '2026-02-01T00:00:00.000Z'));
      await store.users.insert(user(reg, 'carol@fabrikam.com', { active: true, emails: [{ type: 'work', value: 'carol@home.example' }] }, '2026-03-01T00:00:00.000Z'));
      await store.users.insert(user(other, 'alice@contoso.com'));
    });
    afterAll(() => store.close());

    it('REG-2: userName is unique per registration, case-insensitively; another registration may reuse it', async () => {
      await expect(store.users.insert(user(reg, 'ALICE@contoso.com'))).rejects.toMatchObject({ code: 'store.conflict' });
      expect((await store.users.findByUserName(reg, 'alice@CONTOSO.com'))?.userName).toBe('Alice@Contoso.com');
      expect((await store.users.query(other, { startIndex: 1, count: 10 })).totalResults).toBe(1);
    });

    it('REG-2: another registration’s ids are not found and cannot be changed', async () => {
      const [foreign] = (await store.users.query(other, { startIndex: 1, count: 1 })).records;
      expect(await store.users.get(reg, foreign!.id)).toBeNull();
      expect(await store.users.delete(reg, foreign!.id)).toBe(false);
      await expect(store.users.replace({ ...foreign!, registrationId: reg }, 1)).rejects.toMatchObject({ code: 'store.not_found' });
    });

    it.each([
      ['eq (case-insensitive)', compare(USER_NAME, 'eq', 'ALICE@contoso.com'), ['Alice@Contoso.com']],
      ['ne (includes absent)', compare(TITLE, 'ne', 'Engineer'), ['bob@contoso.com', 'carol@fabrikam.com']],
      ['co', compare(USER_NAME, 'co', 'CONTOSO'), ['Alice@Contoso.com', 'bob@contoso.com']],
      ['sw', compare(FAMILY, 'sw', 'sm'), ['Alice@Contoso.com']],
      ['ew', compare(USER_NAME, 'ew', '.com'), ['Alice@Contoso.com', 'bob@contoso.com', 'carol@fabrikam.com']],
      ['gt on dateTime', compare(CREATED, 'gt', '2026-01-15T00:00:00.000Z'), ['bob@contoso.com', 'carol@fabrikam.com']],
      ['le on dateTime', compare(CREATED, 'le', '2026-02-01T00:00:00.000Z'), ['Alice@Contoso.com', 'bob@contoso.com']],
      ['boolean eq', compare(ACTIVE, 'eq', false), ['bob@contoso.com']],
      ['pr', { kind: 'present', attribute: TITLE } as FilterNode, ['Alice@Contoso.com', 'bob@contoso.com']],
      ['multi-valued sub-attribute', compare(EMAIL_VALUE, 'co', '@home.example'), ['Alice@Contoso.com', 'carol@fabrikam.com']],
      ['extension attribute', compare(EMPLOYEE, 'eq', '42'), ['Alice@Contoso.com']],
      ['not (A or B)', { kind: 'not', operand: { kind: 'or', operands: [compare(TITLE, 'eq', 'engineer'), compare(ACTIVE, 'eq', false)] } } as FilterNode, ['carol@fabrikam.com']],
      ['and binds tighter than or', { kind: 'or', operands: [{ kind: 'and', operands: [compare(ACTIVE, 'eq', true), compare(TITLE, 'eq', 'Engineer')] }, compare(USER_NAME, 'sw', 'bob')] } as FilterNode, ['Alice@Contoso.com', 'bob@contoso.com']],
      ['one element must match the whole element filter', { kind: 'element', parent: 'emails', filter: { kind: 'and', operands: [compare({ ...EMAIL_TYPE, path: ['type'] }, 'eq', 'work'), compare({ ...EMAIL_VALUE, path: ['value'] }, 'co', '@home.example')] } } as FilterNode, ['carol@fabrikam.com']],
    ])('filters in the database: %s', async (_name, filter, expected) => {
      expect(await names(filter)).toEqual(expected);
    });

    it('sorts, pages and counts in the database', async () => {
      const page = await store.users.query(reg, { sortBy: USER_NAME, sortOrder: 'descending', startIndex: 2, count: 1 });
      expect(page).toMatchObject({ totalResults: 3, records: [expect.objectContaining({ userName: 'bob@contoso.com' })] });
      expect(await store.users.query(reg, { startIndex: 1, count: 0 })).toEqual({ totalResults: 3, records: [] });
    });

    it('replace is conditional on the version: one of two writers with the same version wins', async () => {
      const record = await store.users.insert(user(reg, `race-${randomUUID()}@contoso.com`));
      const results = await Promise.allSettled([store.users.replace({ ...record, resource: { ...record.resource, title: 'a' } }, 1), store.users.replace({ ...record, resource: { ...record.resource, title: 'b' } }, 1)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'store.version_conflict' });
    });

    it('a failed write (duplicate userName) leaves the resource writable at once', async () => {
      const taken = await store.users.insert(user(reg, `taken-${randomUUID()}@contoso.com`));
      const renamed = await store.users.insert(user(reg, `renamed-${randomUUID()}@contoso.com`));
      await expect(store.users.replace({ ...renamed, userName: taken.userName.toUpperCase() }, 1)).rejects.toMatchObject({ code: 'store.conflict', data: { field: 'userName' } });
      const written = await store.users.replace({ ...renamed, resource: { ...renamed.resource, title: 'still writable' } }, 1);
      expect(written.version).toBe(2);
      expect((await store.users.get(reg, renamed.id))).toMatchObject({ version: 2, userName: renamed.userName, resource: { title: 'still writable' } });
    });

    it('delete with an expected version (If-Match) deletes only that version; a stale one keeps the record and its memberships', async () => {
      const [member] = await insertUsers(reg, 1);
      const group = await store.groups.insert(groupRecord(reg, 'Held'));
      await store.groups.update(reg, group.id, 1, { members: [{ kind: 'add', members: [{ value: member! }] }] });
      const current = (await store.users.get(reg, member!))!;
      const changed = await store.users.replace({ ...current, resource: { ...current.resource, title: 'x' } }, current.version);
      expect(await store.users.delete(reg, member!, current.version)).toBe(false);
      expect(await store.groups.delete(reg, group.id, 1)).toBe(false);
      expect((await store.groups.listMembers(reg, group.id)).map((m) => m.value)).toEqual([member]);
      expect(await store.users.delete(reg, member!, changed.version)).toBe(true);
      expect(await store.users.get(reg, member!)).toBeNull();
      expect(await store.groups.listMembers(reg, group.id)).toEqual([]);
      expect(await store.groups.delete(reg, group.id, (await store.groups.get(reg, group.id))!.version)).toBe(true);
    });

    it('memberships: O(k) add and remove, duplicates ignored, only named members removed, one version per change', async () => {
      const group = await store.groups.insert(groupRecord(reg, 'Sales'));
      const [m1, m2, m3, m4, m5] = await insertUsers(reg, 5);
      const ids = [m1!, m2!, m3!, m4!];
      const add = (version: number, values: string[]) => store.groups.update(reg, group.id, version, { members: [{ kind: 'add', members: values.map((value) => ({ value })) }] });
      expect(await add(1, ids)).toMatchObject({ changed: ids, record: { version: 2 } });
      expect(await add(2, [m2!, m5!])).toMatchObject({ changed: [m5], record: { version: 3 } });
      expect(await store.groups.update(reg, group.id, 3, { members: [{ kind: 'remove', ids: [m1!, m3!, 'absent'] }] })).toMatchObject({ changed: [m1, m3], record: { version: 4 } });
      expect((await store.groups.listMembers(reg, group.id)).map((m) => m.value)).toEqual([m2, m4, m5]);
      expect((await store.groups.get(reg, group.id))!.version).toBe(4);
      expect(await store.groups.groupsOfUsers(reg, [m2!])).toEqual([{ groupId: group.id, userId: m2 }]);
      await store.groups.removeUserEverywhere(reg, m2!);
      expect(await store.groups.groupsOfUsers(reg, [m2!])).toEqual([]);
      expect((await store.groups.update(reg, group.id, 4, { members: [{ kind: 'removeAll' }] })).changed.sort()).toEqual([m4!, m5!].sort());
      await expect(add(1, [m1!])).rejects.toMatchObject({ code: 'store.version_conflict' });
      await expect(store.groups.update(other, group.id, 5, { members: [{ kind: 'add', members: [{ value: m1! }] }] })).rejects.toMatchObject({ code: 'store.not_found' });
      const byName = await store.groups.query(reg, { filter: compare({ name: 'displayName', type: 'string', caseExact: false, column: 'displayNameLower', path: ['displayName'] }, 'eq', 'SALES'), startIndex: 1, count: 10 });
      expect(byName.records.map((g) => g.id)).toEqual([group.id]);
    });

    it('a group change of attributes and members is one step that answers the version it produced; only users become members', async () => {
      const group = await store.groups.insert(groupRecord(reg, 'Support'));
      const [member] = await insertUsers(reg, 1);
      const written = await store.groups.update(reg, group.id, 1, { record: { ...group, displayName: 'Support EU', resource: { displayName: 'Support EU' } }, members: [{ kind: 'add', members: [{ value: member! }, { value: 'not-a-user' }] }] });
      expect(written).toMatchObject({ record: { version: 2, displayName: 'Support EU' }, changed: [member] });
      expect(await store.groups.get(reg, group.id)).toMatchObject({ version: 2, displayName: 'Support EU', resource: { displayName: 'Support EU' } });
      expect((await store.groups.listMembers(reg, group.id)).map((m) => m.value)).toEqual([member]);
      expect(await store.groups.allMemberships(reg)).toEqual(expect.arrayContaining([{ groupId: group.id, userId: member }]));
      expect(await store.groups.allMemberships(other)).toEqual([]);
      expect(await store.groups.listMembers(other, group.id)).toEqual([]);
      expect(await store.groups.groupsOfUsers(other, [member!])).toEqual([]);
      await store.groups.removeUserEverywhere(other, member!);
      expect(await store.groups.groupsOfUsers(reg, [member!])).toEqual([{ groupId: group.id, userId: member }]);
    });

    it('DEL-1: a user deleted while a member add runs never stays a member (no dangling memberships)', async () => {
      const group = await store.groups.insert(groupRecord(reg, `Race-${randomUUID()}`));
      const users = await insertUsers(reg, 8);
      await Promise.all([
        store.groups.update(reg, group.id, 1, { members: [{ kind: 'add', members: users.map((value) => ({ value })) }] }),
        ...users.filter((_, index) => index % 2 === 0).map((id) => store.users.delete(reg, id)),
      ]);
      const alive = new Set(await store.users.existingIds(reg, users));
      expect(alive.size).toBe(4);
      expect((await store.groups.listMembers(reg, group.id)).map((m) => m.value).sort()).toEqual([...alive].sort());
    });

    it('16 concurrent conditional writers of one version: exactly one wins, for each of 3 versions', async () => {
      const record = await store.users.insert(user(reg, `race16-${randomUUID()}@contoso.com`));
      for (let version = 1; version <= 3; version++) {
        const results = await Promise.allSettled(Array.from({ length: 16 }, (_, writer) => store.users.replace({ ...record, resource: { ...record.resource, title: `w${writer}` } }, version)));
        const winners = results.filter((r): r is PromiseFulfilledResult<UserRecord> => r.status === 'fulfilled');
        expect(winners).toHaveLength(1);
        expect(winners[0]!.value.version).toBe(version + 1);
        expect(results.filter((r) => r.status === 'rejected').every((r) => isAppError((r as PromiseRejectedResult).reason, 'store.version_conflict'))).toBe(true);
        expect((await store.users.get(reg, record.id))!.resource.title).toBe(winners[0]!.value.resource.title);
      }
    });

    it('32 concurrent member PATCHes on one group (each re-reading on conflict) give the exact membership and 32 distinct versions', async () => {
      const group = await store.groups.insert(groupRecord(reg, `Busy-${randomUUID()}`));
      const users = await insertUsers(reg, 32);
      const addOne = async (userId: string): Promise<number> => {
        for (;;) {
          const current = (await store.groups.get(reg, group.id))!;
          try {
            return (await store.groups.update(reg, group.id, current.version, { members: [{ kind: 'add', members: [{ value: userId }] }] })).record.version;
          } catch (error) {
            if (!isAppError(error, 'store.version_conflict')) throw error;
          }
        }
      };
      const versions = await Promise.all(users.map(addOne));
      expect(new Set(versions).size).toBe(32);
      expect((await store.groups.listMembers(reg, group.id)).map((m) => m.value).sort()).toEqual([...users].sort());
      expect((await store.groups.get(reg, group.id))!.version).toBe(33);
    });

    it('every read of the port answers for its own registration only', async () => {
      const ids = (await store.users.listAll(reg)).map((u) => u.id);
      expect(ids.length).toBe(await store.users.countAll(reg));
      expect(await store.users.countAll(other)).toBe(1);
      expect((await store.users.listAll(other)).map((u) => u.userName)).toEqual(['alice@contoso.com']);
      expect(await store.users.existingIds(other, ids.slice(0, 3))).toEqual([]);
      expect((await store.users.existingIds(reg, [...ids.slice(0, 2), 'missing'])).sort()).toEqual(ids.slice(0, 2).sort());
      const group = await store.groups.insert(groupRecord(other, 'Other'));
      expect(await store.groups.countAll(other)).toBe(1);
      expect((await store.groups.listAll(other)).map((g) => g.id)).toEqual([group.id]);
      expect((await store.groups.listAll(reg)).map((g) => g.id)).not.toContain(group.id);
      expect(await store.groups.delete(reg, group.id)).toBe(false);
      await store.ping();
    });

    it('SYNC-1 batched reads: users, groups and memberships of many ids in one call each; another registration’s ids are not found', async () => {
      const [a, b, c] = await insertUsers(reg, 3);
      const [foreignUser] = await insertUsers(other, 1);
      const [sales, support] = [await store.groups.insert(groupRecord(reg, `Batch-${randomUUID()}`)), await store.groups.insert(groupRecord(reg, `Batch-${randomUUID()}`))];
      const foreignGroup = await store.groups.insert(groupRecord(other, `Batch-${randomUUID()}`));
      await store.groups.update(reg, sales.id, 1, { members: [{ kind: 'add', members: [{ value: a! }, { value: b! }] }] });
      await store.groups.update(reg, support.id, 1, { members: [{ kind: 'add', members: [{ value: a! }] }] });
      await store.groups.update(other, foreignGroup.id, 1, { members: [{ kind: 'add', members: [{ value: foreignUser! }] }] });
      const ids = (records: { id: string }[]) => records.map((record) => record.id).sort();
      expect(ids(await store.users.getMany(reg, [a!, b!, c!, foreignUser!, 'missing']))).toEqual([a!, b!, c!].sort());
      expect(await store.users.getMany(other, [a!, b!])).toEqual([]);
      expect(await store.users.getMany(reg, [])).toEqual([]);
      expect(ids(await store.groups.getMany(reg, [sales.id, support.id, foreignGroup.id]))).toEqual([sales.id, support.id].sort());
      expect(await store.groups.getMany(other, [sales.id])).toEqual([]);
      const memberships = await store.groups.groupsOfUsers(reg, [a!, b!, c!, foreignUser!]);
      expect(memberships.map((m) => `${m.groupId}/${m.userId}`).sort()).toEqual([`${sales.id}/${a}`, `${sales.id}/${b}`, `${support.id}/${a}`].sort());
      expect(await store.groups.groupsOfUsers(other, [a!, b!])).toEqual([]);
      expect(await store.groups.groupsOfUsers(reg, [])).toEqual([]);
    });

    it('a group replace is conditional on the version and keeps its members; another registration’s group is not found', async () => {
      const group = await store.groups.insert(groupRecord(reg, `Renamed-${randomUUID()}`));
      const [member] = await insertUsers(reg, 1);
      await store.groups.update(reg, group.id, 1, { members: [{ kind: 'add', members: [{ value: member! }] }] });
      const renamed = await store.groups.replace({ ...group, displayName: 'Renamed', resource: { displayName: 'Renamed' } }, 2);
      expect(renamed).toMatchObject({ version: 3, displayName: 'Renamed' });
      expect(await store.groups.get(reg, group.id)).toMatchObject({ version: 3, displayName: 'Renamed', resource: { displayName: 'Renamed' } });
      expect((await store.groups.listMembers(reg, group.id)).map((m) => m.value)).toEqual([member]);
      await expect(store.groups.replace({ ...group, displayName: 'Stale' }, 2)).rejects.toMatchObject({ code: 'store.version_conflict' });
      await expect(store.groups.replace({ ...group, registrationId: other }, 3)).rejects.toMatchObject({ code: 'store.not_found' });
    });

    it('REG-4: deleteAll removes every user, group and membership of one registration and nothing of another', async () => {
      const [ending, staying] = [`ending-${randomUUID()}`, `staying-${randomUUID()}`];
      const [a, b] = await insertUsers(ending, 2);
      const [kept] = await insertUsers(staying, 1);
      const group = await store.groups.insert(groupRecord(ending, 'Ending'));
      const keptGroup = await store.groups.insert(groupRecord(staying, 'Staying'));
      await store.groups.update(ending, group.id, 1, { members: [{ kind: 'add', members: [{ value: a! }, { value: b! }] }] });
      await store.groups.update(staying, keptGroup.id, 1, { members: [{ kind: 'add', members: [{ value: kept! }] }] });
      expect(await store.groups.deleteAll(ending)).toBe(1);
      expect(await store.users.deleteAll(ending)).toBe(2);
      expect(await store.users.listAll(ending)).toEqual([]);
      expect(await store.groups.listAll(ending)).toEqual([]);
      expect(await store.groups.allMemberships(ending)).toEqual([]);
      expect((await store.users.listAll(staying)).map((u) => u.id)).toEqual([kept]);
      expect(await store.groups.allMemberships(staying)).toEqual([{ groupId: keptGroup.id, userId: kept }]);
      expect(await store.users.deleteAll(ending)).toBe(0);
    });

    it('emails.value eq is case-insensitive and finds a matching email at position 25; so does emails[type eq "work" and value eq …]', async () => {
      const emails = [...Array.from({ length: 25 }, (_, i) => ({ type: 'home', value: `h${i}@home.example` })), { type: 'work', value: 'Deep.Down@Contoso.com' }];
      const deep = await store.users.insert(user(reg, `deep-${randomUUID()}@contoso.com`, { emails }));
      const byValue = await store.users.query(reg, { filter: compare(EMAIL_VALUE, 'eq', 'deep.down@CONTOSO.com'), startIndex: 1, count: 10 });
      expect(byValue.records.map((r) => r.id)).toEqual([deep.id]);
      const element: FilterNode = { kind: 'element', parent: 'emails', filter: { kind: 'and', operands: [compare({ ...EMAIL_TYPE, path: ['type'] }, 'eq', 'WORK'), compare({ ...EMAIL_VALUE, path: ['value'] }, 'eq', 'DEEP.down@contoso.com')] } };
      const byElement = await store.users.query(reg, { filter: element, startIndex: 1, count: 10 });
      // FerretDB v1 lacks $elemMatch on documents: its documented fallback checks positions 0-19 only.
      expect(byElement.records.map((r) => r.id)).toEqual(store.facts.elementFilters?.startsWith('positions') ? [] : [deep.id]);
      await store.users.replace({ ...deep, resource: { ...deep.resource, emails: [{ type: 'work', value: 'moved@contoso.com' }] } }, 1);
      expect((await store.users.query(reg, { filter: compare(EMAIL_VALUE, 'eq', 'deep.down@contoso.com'), startIndex: 1, count: 10 })).totalResults).toBe(0);
      expect(await store.users.delete(reg, deep.id)).toBe(true);
    });
  });
}
