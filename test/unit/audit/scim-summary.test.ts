import { describe, expect, it } from 'vitest';
import type { NamedResource, ScimOperation, ScimRequestFacts } from '../../../src/audit/scim-request-facts.js';
import { subjectUserOf, summarizeScimRequest } from '../../../src/audit/scim-summary.js';
import { PATCH_OP_SCHEMA, readPatchOperations } from '../../../src/scim/patch.js';

interface Told {
  body?: unknown;
  written?: NamedResource;
  query?: Record<string, unknown>;
  /** A PATCH's Operations, read by the real PATCH parser as the SCIM router does. */
  operations?: unknown[];
}

/** The facts a request's parts tell its audit context: the route's operation, what was sent, what the handler wrote. */
function facts(method: string, path: string, operation: ScimOperation | undefined, { body, written, query = {}, operations }: Told = {}): ScimRequestFacts {
  const patchBody = operations && { schemas: [PATCH_OP_SCHEMA], Operations: operations };
  return {
    correlationId: 'c-1',
    request: { method, url: `/scim/v2${path}`, query, body: patchBody ?? body },
    caller: { registrationId: 'reg-1', caller: { method: 'client-certificate', subject: 'CN=entra' } },
    operation,
    written,
    patch: patchBody && readPatchOperations(patchBody),
    status: 200,
    durationMs: 1,
  };
}

const userPatch = { action: 'User.Patch', resourceType: 'User', resourceId: 'u1' } as const;

describe('SCIM request in words', () => {
  it('AUD-1: a user PATCH names the user and each change', () => {
    const operations = [{ op: 'Replace', path: 'active', value: false }, { op: 'Add', path: 'name.givenName', value: 'Jane' }, { op: 'Remove', path: 'emails[type eq "work"]' }];
    expect(summarizeScimRequest(facts('PATCH', '/Users/u1', userPatch, { operations, written: { userName: 'jane@contoso.com' } }))).toBe(
      'PATCH user jane@contoso.com: active → false; name.givenName → "Jane"; emails[type eq "work"] removed',
    );
  });

  it('AUD-1: Entra\'s path-less replace lists each attribute; member changes are counted', () => {
    const operations = [
      { op: 'Replace', value: { displayName: 'Sales EU' } },
      { op: 'Add', path: 'members', value: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] },
      { op: 'Remove', path: 'members[value eq "d"]' },
    ];
    const groupPatch = { action: 'Group.Patch', resourceType: 'Group', resourceId: 'g1' } as const;
    expect(summarizeScimRequest(facts('PATCH', '/Groups/g1', groupPatch, { operations }))).toBe('PATCH group g1: displayName → "Sales EU"; members +3; members −1');
    expect(summarizeScimRequest(facts('PATCH', '/Groups/g1', groupPatch, { operations, written: { displayName: 'Sales EU' } }))).toBe(
      'PATCH group Sales EU: displayName → "Sales EU"; members +3; members −1',
    );
  });

  it('AUD-3: a password in a PATCH or a POST never shows', () => {
    const operations = [{ op: 'replace', path: 'password', value: 'Hunter2!' }, { op: 'replace', value: { password: 'Hunter3!' } }];
    const summary = summarizeScimRequest(facts('PATCH', '/Users/u1', userPatch, { operations }));
    expect(summary).toBe('PATCH user u1: password → [redacted]; password → [redacted]');
    const create = { action: 'User.Create', resourceType: 'User' } as const;
    expect(summarizeScimRequest(facts('POST', '/Users', create, { body: { userName: 'jane@contoso.com', password: 'Hunter2!', active: true } }))).toBe('POST user jane@contoso.com: active true');
  });

  it('long values are cut, and more than ten changes are counted', () => {
    const operations = Array.from({ length: 12 }, (_, i) => ({ op: 'replace', path: `a${i}`, value: 'x'.repeat(100) }));
    const summary = summarizeScimRequest(facts('PATCH', '/Users/u1', userPatch, { operations }));
    expect(summary).toMatch(/^PATCH user u1: a0 → "x{58}…; a1 → /);
    expect(summary).toMatch(/; … 2 more$/);
  });

  it('a PATCH whose operations could not be read names the resource only (the body as sent is in the details)', () => {
    expect(summarizeScimRequest(facts('PATCH', '/Users/u1', userPatch, { body: { Operations: [{ op: 'frobnicate', path: 'active' }] } }))).toBe('PATCH user u1');
  });

  it('lists show their filter; creates show the display name and member count', () => {
    const list = { action: 'User.List', resourceType: 'User' } as const;
    expect(summarizeScimRequest(facts('GET', '/Users', list, { query: { filter: 'userName eq "jane"', count: '1' } }))).toBe('GET users filter userName eq "jane", count 1');
    const createGroup = { action: 'Group.Create', resourceType: 'Group' } as const;
    expect(summarizeScimRequest(facts('POST', '/Groups', createGroup, { body: { displayName: 'Sales', members: [{ value: 'a' }] } }))).toBe('POST group Sales: displayName "Sales"; members 1');
  });

  it('a request no route took is named by its method and path', () => {
    expect(summarizeScimRequest(facts('DELETE', '/Users?x=1', undefined))).toBe('DELETE /scim/v2/Users');
  });

  it('the subject of a user request comes from what was sent, else from what the handler wrote; the id from the route', () => {
    const sent = { userName: 'Jane@Contoso.com', emails: [{ value: 'other@contoso.com' }, { value: 'jane@contoso.com', primary: true }] };
    expect(subjectUserOf(facts('POST', '/Users', { action: 'User.Create', resourceType: 'User' }, { body: sent, written: { id: 'u1' } }))).toEqual({
      userName: 'Jane@Contoso.com',
      email: 'jane@contoso.com',
      directoryId: 'u1',
    });
    expect(subjectUserOf(facts('DELETE', '/Users/u2', { action: 'User.Delete', resourceType: 'User', resourceId: 'u2' }))).toEqual({ directoryId: 'u2' });
    expect(subjectUserOf(facts('PATCH', '/Groups/g1', { action: 'Group.Patch', resourceType: 'Group', resourceId: 'g1' }, { body: {} }))).toBeUndefined();
  });
});
