import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeAuditEvent, type AuditEvent, type AuditEventInput } from '../../src/audit/audit-event.js';
import { MAX_AUDIT_PAGE_SIZE, type AuditLog, type AuditQuery } from '../../src/audit/audit-log.js';
import type { SupportAccountRecord, SupportAccounts } from '../../src/console/support-accounts.js';

export interface AuditStores {
  auditLog: AuditLog;
  supportAccounts: SupportAccounts;
  close(): Promise<void>;
}

export function auditEvent(registrationId: string | undefined, extra: Partial<AuditEventInput> = {}): AuditEvent {
  return completeAuditEvent({
    registrationId,
    correlationId: randomUUID(),
    actor: { kind: 'client-certificate', subject: 'CN=contoso-client', fingerprint256: 'AA:BB' },
    action: 'User.Create',
    resourceType: 'User',
    summary: 'POST user jane@contoso.com',
    outcome: { status: 201, success: true },
    ...extra,
  });
}

/** Every search page after the first, until there is no cursor. */
async function allPages(log: AuditLog, query: AuditQuery): Promise<AuditEvent[][]> {
  const pages: AuditEvent[][] = [];
  let cursor: string | undefined;
  do {
    const page = await log.search({ ...query, cursor });
    pages.push(page.events);
    cursor = page.nextCursor;
  } while (cursor);
  return pages;
}

const at = (minutesAgo: number) => new Date(Date.UTC(2026, 10, 20, 12, 0) - minutesAgo * 60_000).toISOString();

/** The same contract for the audit log and support accounts of every store. */
export function describeAuditLogContract(name: string, open: () => Promise<AuditStores>) {
  describe(`${name}: audit log and support accounts`, () => {
    let stores: AuditStores;
    let log: AuditLog;
    beforeAll(async () => {
      stores = await open();
      log = stores.auditLog;
    });
    afterAll(() => stores.close());

    it('AUD-1: an appended event reads back unchanged, and appending it again adds nothing', async () => {
      const registration = randomUUID();
      const event = auditEvent(registration, {
        subjectUser: { userName: 'Jane@Contoso.com', email: 'jane@contoso.com', directoryId: randomUUID() },
        details: { request: { 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Sales' }, $ref: 'x' } },
        durationMs: 12.5,
        rule: 'DEL-2',
        runId: 'run-1',
      });
      await log.append([event]);
      await log.append([event]);
      expect(await log.get(event.id)).toEqual(event);
      expect((await log.search({ registrationIds: [registration] })).events).toEqual([event]);
      expect(await log.get('no-such-event')).toBeNull();
    });

    it('AUD-2: newest first; keyset pages visit every event exactly once, ties on time broken by id', async () => {
      const registration = randomUUID();
      const events = Array.from({ length: 25 }, (_, i) => auditEvent(registration, { time: at(Math.floor(i / 3)) }));
      await log.append(events.slice(0, 10));
      await log.append(events.slice(10));
      const pages = await allPages(log, { registrationIds: [registration], limit: 7 });
      expect(pages.map((page) => page.length)).toEqual([7, 7, 7, 4]);
      const seen = pages.flat();
      const expected = [...events].sort((a, b) => (a.time === b.time ? b.id.localeCompare(a.id) : b.time.localeCompare(a.time)));
      expect(seen.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    });

    it('AUD-2: a search confined to some registrations never returns another registration\'s events', async () => {
      const [mine, theirs, other] = [randomUUID(), randomUUID(), randomUUID()];
      await log.append([auditEvent(mine), auditEvent(theirs), auditEvent(other), auditEvent(undefined, { action: 'Support.Login' })]);
      const found = (await log.search({ registrationIds: [mine, theirs] })).events;
      expect(new Set(found.map((e) => e.registrationId))).toEqual(new Set([mine, theirs]));
      expect((await log.search({ registrationIds: [] })).events).toEqual([]);
    });

    it('AUD-2: user matches a prefix of the user name, email or directory id, case-insensitively', async () => {
      const registration = randomUUID();
      const directoryId = randomUUID();
      const byName = auditEvent(registration, { subjectUser: { userName: 'Jane.Doe@Contoso.com' } });
      const byEmail = auditEvent(registration, { subjectUser: { email: 'JDOE@fabrikam.example' } });
      const byId = auditEvent(registration, { subjectUser: { directoryId } });
      const unrelated = auditEvent(registration, { subjectUser: { userName: 'john@contoso.com' } });
      await log.append([byName, byEmail, byId, unrelated]);
      const ids = async (user: string) => (await log.search({ registrationIds: [registration], user })).events.map((e) => e.id).sort();
      expect(await ids('jane')).toEqual([byName.id]);
      expect(await ids('JANE.DOE@CONTOSO.COM')).toEqual([byName.id]);
      expect(await ids('jdoe@')).toEqual([byEmail.id]);
      expect(await ids(directoryId.toUpperCase())).toEqual([byId.id]);
      expect(await ids('j')).toEqual([byName.id, byEmail.id, unrelated.id].sort());
      expect(await ids('nobody')).toEqual([]);
    });

    it('AUD-2: since is inclusive, until exclusive', async () => {
      const registration = randomUUID();
      const events = [60, 30, 10, 0].map((minutes) => auditEvent(registration, { time: at(minutes) }));
      await log.append(events);
      const found = await log.search({ registrationIds: [registration], since: at(30), until: at(0) });
      expect(found.events.map((e) => e.time)).toEqual([at(10), at(30)]);
    });

    it('AUD-2: filters by action, outcome, correlation id and run id, combined with AND', async () => {
      const registration = randomUUID();
      const correlationId = randomUUID();
      const failed = auditEvent(registration, { action: 'User.Patch', outcome: { status: 400, success: false, scimType: 'invalidPath', detail: 'bad path' }, correlationId });
      const patched = auditEvent(registration, { action: 'User.Patch', correlationId });
      const voice = auditEvent(registration, { action: 'VoiceUser.Error', outcome: { status: 422, success: false }, runId: 'run-42', rule: 'MAP-6' });
      const created = auditEvent(registration, { action: 'User.Create' });
      await log.append([failed, patched, voice, created]);
      const ids = async (query: AuditQuery) => (await log.search({ registrationIds: [registration], ...query })).events.map((e) => e.id).sort();
      expect(await ids({ actions: ['User.Patch'] })).toEqual([failed.id, patched.id].sort());
      expect(await ids({ actions: ['User.Patch', 'VoiceUser.Error'], outcome: 'failure' })).toEqual([failed.id, voice.id].sort());
      expect(await ids({ outcome: 'success' })).toEqual([patched.id, created.id].sort());
      expect(await ids({ correlationId })).toEqual([failed.id, patched.id].sort());
      expect(await ids({ runId: 'run-42' })).toEqual([voice.id]);
    });

    it('AUD-2: the page size is capped', async () => {
      const registration = randomUUID();
      const events = Array.from({ length: MAX_AUDIT_PAGE_SIZE + 3 }, () => auditEvent(registration));
      await log.append(events);
      const page = await log.search({ registrationIds: [registration], limit: 100_000 });
      expect(page.events).toHaveLength(MAX_AUDIT_PAGE_SIZE);
      expect(page.nextCursor).toBeDefined();
    });

    it('a cursor the service did not make is refused', async () => {
      await expect(log.search({ cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'audit.invalid_cursor' });
    });

    it('retention: purgeOlderThan deletes only older events and says how many', async () => {
      const registration = randomUUID();
      const old = auditEvent(registration, { time: '2001-01-01T00:00:00.000Z' });
      const older = auditEvent(registration, { time: '2000-06-01T00:00:00.000Z' });
      const recent = auditEvent(registration);
      await log.append([old, older, recent]);
      expect(await log.purgeOlderThan(new Date('2001-01-01T00:00:00.001Z'))).toBe(2);
      expect((await log.search({ registrationIds: [registration] })).events.map((e) => e.id)).toEqual([recent.id]);
    });

    it('support accounts: names are unique case-insensitively; passwords change; delete says whether it did', async () => {
      const accounts = stores.supportAccounts;
      const now = new Date().toISOString();
      const record: SupportAccountRecord = { name: 'Alice', passwordHash: '$argon2id$v=19$x', registrationIds: ['r1'], createdAt: now, passwordChangedAt: now };
      await accounts.create(record);
      await expect(accounts.create({ ...record, name: 'ALICE' })).rejects.toMatchObject({ code: 'store.conflict' });
      expect(await accounts.get('alice')).toEqual(record);
      await accounts.create({ ...record, name: 'bob', registrationIds: undefined });
      expect((await accounts.list()).map((a) => a.name)).toEqual(['Alice', 'bob']);
      await accounts.setPassword('ALICE', '$argon2id$v=19$y', '2030-01-01T00:00:00.000Z');
      expect(await accounts.get('Alice')).toMatchObject({ passwordHash: '$argon2id$v=19$y', passwordChangedAt: '2030-01-01T00:00:00.000Z', registrationIds: ['r1'] });
      await expect(accounts.setPassword('carol', 'x', now)).rejects.toMatchObject({ code: 'store.not_found' });
      expect(await accounts.delete('alice')).toBe(true);
      expect(await accounts.delete('alice')).toBe(false);
      expect(await accounts.get('Alice')).toBeNull();
    });
  });
}
