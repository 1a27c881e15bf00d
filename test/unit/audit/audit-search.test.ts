import { describe, expect, it } from 'vitest';
import type { AuditLog, AuditQuery } from '../../../src/audit/audit-log.js';
import { createAuditSearch } from '../../../src/audit/audit-search.js';
import { isAppError, type AppError } from '../../../src/kernel/app-error.js';
import { encodeCursor } from '../../../src/audit/audit-log.js';

const NOW = new Date('2026-11-23T12:00:00.000Z');

function searchRecordingQueries() {
  const queries: AuditQuery[] = [];
  const auditLog: AuditLog = {
    search: async (query) => (queries.push(query), { events: [] }),
    append: async () => undefined,
    get: async () => null,
    purgeOlderThan: async () => 0,
  };
  const registrations = { list: async () => [{ id: 'reg-1', name: 'Contoso' }, { id: 'reg-2', name: 'Fabrikam' }] };
  const search = createAuditSearch({ auditLog, registrations, now: () => NOW });
  return { queries, search };
}

async function queryFor(params: Record<string, unknown>, registrationIds?: string[]): Promise<AuditQuery> {
  const { queries, search } = searchRecordingQueries();
  await search.search(params, registrationIds ? { registrationIds } : {});
  return queries[0]!;
}

async function refusal(params: Record<string, unknown>, registrationIds?: string[]): Promise<AppError> {
  const error = await queryFor(params, registrationIds).catch((caught: unknown) => caught);
  expect(isAppError(error, 'audit')).toBe(true);
  return error as AppError;
}

describe('audit search parameters', () => {
  it.each([
    ['2h', '2026-11-23T10:00:00.000Z'],
    ['30m', '2026-11-23T11:30:00.000Z'],
    ['7d', '2026-11-16T12:00:00.000Z'],
    ['1w', '2026-11-16T12:00:00.000Z'],
    ['2026-11-23T10:02Z', '2026-11-23T10:02:00.000Z'],
    ['2026-11-23T10:02', '2026-11-23T10:02:00.000Z'],
    ['2026-11-23T11:02:00+01:00', '2026-11-23T10:02:00.000Z'],
    ['2026-11-20', '2026-11-20T00:00:00.000Z'],
  ])('AUD-2: since=%s means %s', async (since, expected) => {
    expect((await queryFor({ since })).since).toBe(expected);
  });

  it('AUD-2: a registration is named or given by id; Noun.* expands to every verb of the noun', async () => {
    const query = await queryFor({ registration: 'contoso', action: 'Group.*,User.Patch', outcome: 'failure', limit: '20', user: ' Jane ' });
    expect(query).toMatchObject({ registrationIds: ['reg-1'], outcome: 'failure', limit: 20, user: 'Jane' });
    expect(query.actions).toContain('Group.Patch');
    expect(query.actions).toContain('User.Patch');
    expect(query.actions).not.toContain('User.Create');
  });

  it.each([
    [{ since: 'yesterday' }, 'audit.invalid_time'],
    [{ until: '2026-13-45' }, 'audit.invalid_time'],
    [{ since: '1h', until: '2h' }, 'audit.invalid_time_range'],
    [{ action: 'User.Frobnicate' }, 'audit.unknown_action'],
    [{ action: 'Nothing.*' }, 'audit.unknown_action'],
    [{ outcome: 'maybe' }, 'audit.invalid_outcome'],
    [{ limit: '100000' }, 'audit.invalid_limit'],
    [{ limit: '0' }, 'audit.invalid_limit'],
    [{ limit: '1e3' }, 'audit.invalid_limit'],
    [{ cursor: 'abc' }, 'audit.invalid_cursor'],
    [{ user: ['a', 'b'] }, 'audit.invalid_parameter'],
    [{ user: 'x'.repeat(300) }, 'audit.invalid_parameter'],
  ])('AUD-2: %o is refused with %s (400)', async (params, code) => {
    const error = await refusal(params);
    expect(error.code).toBe(code);
    expect(error.status).toBe(400);
  });

  it('AUD-2: a limited account searching another registration gets the same 404 as for one that never existed; without one it sees only its own', async () => {
    const refusals = await Promise.all([refusal({ registration: 'fabrikam' }, ['reg-1']), refusal({ registration: 'reg-2' }, ['reg-1']), refusal({ registration: 'nobody' }, ['reg-1'])]);
    const shapes = refusals.map(({ status, code, message }) => ({ status, code, message: message.replace(/"[^"]*"/, '"…"') }));
    expect(shapes).toEqual(Array(3).fill({ status: 404, code: 'audit.unknown_registration', message: 'No registration you may see is named or has the id "…"' }));
    expect((await queryFor({}, ['reg-1'])).registrationIds).toEqual(['reg-1']);
  });

  it('AUD-2: an unknown registration is 404 for an unlimited searcher too', async () => {
    expect(await refusal({ registration: 'unknown' })).toMatchObject({ status: 404, code: 'audit.unknown_registration' });
  });

  it('a cursor this service made is passed on', async () => {
    const cursor = encodeCursor({ time: NOW.toISOString(), id: 'x' });
    expect((await queryFor({ cursor })).cursor).toBe(cursor);
  });
});
