import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, VersionConflictError, type JsonObject, type Store, type UserRecord } from '../../src/store/store.js';
import type { FilterNode, SearchableAttribute } from '../../src/store/query.js';

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

/** The storage contract every adapter passes: same data, same answers (kratos' TestPool idea). */
export function describeStoreContract(name: string, open: () => Promise<Store>) {
  describe(`${name}: users, groups and memberships`, () => {
    let store: Store;
    const reg = `reg-${randomUUID()}`;
    const other = `other-${randomUUID()}`;
    const names = async (filter: FilterNode) => (await store.users.query(reg, { filter, startIndex: 1, count: 100, sortBy: USER_NAME })).records.map((r) => r.userName);

    beforeAll(async () => {
      store = await open();
      await store.users.insert(user(reg, 'Alice@Contoso.com', { title: 'Engineer', active: true, name: { familyName: 'Smith' }, emails: [{ type: 'work', value: 'alice@contoso.com' }, { type: 'home', value: 'a@home.example' }], 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: '42' } }, '2026-01-01T00:00:00.000Z'));
      await store.users.insert(user(reg, 'bob@contoso.com', { title: 'Manager', active: false, name: { familyName: 'Jones' }, emails: [{ type: 'home', value: 'bob@contoso.com' }] }, '2026-02-01T00:00:00.000Z'));
      await store.users.insert(user(reg, 'carol@fabrikam.com', { active: true, emails: [{ type: 'work', value: 'carol@home.example' }] }, '2026-03-01T00:00:00.000Z'));
      await store.users.insert(user(other, 'alice@contoso.com'));
    });
    afterAll(() => store.close());

    it('REG-2: userName is unique per registration, case-insensitively; another registration may reuse it', async () => {
      await expect(store.users.insert(user(reg, 'ALICE@contoso.com'))).rejects.toBeInstanceOf(ConflictError);
      expect((await store.users.findByUserName(reg, 'alice@CONTOSO.com'))?.userName).toBe('Alice@Contoso.com');
      expect((await store.users.query(other, { startIndex: 1, count: 10 })).totalResults).toBe(1);
    });

    it('REG-2: another registration’s ids are not found and cannot be changed', async () => {
      const [foreign] = (await store.users.query(other, { startIndex: 1, count: 1 })).records;
      expect(await store.users.get(reg, foreign!.id)).toBeNull();
      expect(await store.users.delete(reg, foreign!.id)).toBe(false);
      await expect(store.users.replace({ ...foreign!, registrationId: reg }, 1)).rejects.toBeInstanceOf(NotFoundError);
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
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflictError);
    });

    it('memberships: O(k) add and remove, duplicates ignored, only named members removed, version bumped', async () => {
      const now = new Date().toISOString();
      const group = await store.groups.insert({ id: randomUUID(), registrationId: reg, displayName: 'Sales', version: 1, created: now, lastModified: now, resource: { displayName: 'Sales' } });
      const ids = ['m1', 'm2', 'm3', 'm4'];
      expect(await store.groups.addMembers(reg, group.id, ids.map((value) => ({ value })))).toEqual(ids);
      expect(await store.groups.addMembers(reg, group.id, [{ value: 'm2' }, { value: 'm5' }])).toEqual(['m5']);
      expect(await store.groups.removeMembers(reg, group.id, ['m1', 'm3', 'absent'])).toEqual(['m1', 'm3']);
      expect((await store.groups.listMembers(reg, group.id)).map((m) => m.value)).toEqual(['m2', 'm4', 'm5']);
      expect((await store.groups.get(reg, group.id))!.version).toBe(4);
      expect(await store.groups.groupsOfUser(reg, 'm2')).toEqual([group.id]);
      await store.groups.removeUserEverywhere(reg, 'm2');
      expect(await store.groups.removeAllMembers(reg, group.id)).toEqual(expect.arrayContaining(['m4', 'm5']));
      await expect(store.groups.addMembers(other, group.id, [{ value: 'm1' }])).rejects.toBeInstanceOf(NotFoundError);
      const byName = await store.groups.query(reg, { filter: compare({ name: 'displayName', type: 'string', caseExact: false, column: 'displayNameLower', path: ['displayName'] }, 'eq', 'SALES'), startIndex: 1, count: 10 });
      expect(byName.records.map((g) => g.id)).toEqual([group.id]);
    });
  });
}
