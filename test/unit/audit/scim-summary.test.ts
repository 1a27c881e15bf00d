import { describe, expect, it } from 'vitest';
import { scimTargetOf, subjectUserOf, summarizeScimRequest, type ScimExchange } from '../../../src/audit/scim-summary.js';

function exchange(method: string, path: string, requestBody?: unknown, responseBody?: unknown, query: Record<string, unknown> = {}): ScimExchange {
  return { method, path: `/scim/v2${path}`, target: scimTargetOf(method, path), query, requestBody, responseBody };
}

describe('SCIM request in words', () => {
  it.each([
    ['GET', '/Users', { action: 'User.List', resourceType: 'User' }],
    ['POST', '/Users/.search', { action: 'User.List', resourceType: 'User' }],
    ['POST', '/users', { action: 'User.Create', resourceType: 'User' }],
    ['GET', '/Users/u1', { action: 'User.Read', resourceType: 'User', resourceId: 'u1' }],
    ['PUT', '/Groups/g%201', { action: 'Group.Replace', resourceType: 'Group', resourceId: 'g 1' }],
    ['PATCH', '/Groups/g1', { action: 'Group.Patch', resourceType: 'Group', resourceId: 'g1' }],
    ['DELETE', '/Users/u1', { action: 'User.Delete', resourceType: 'User', resourceId: 'u1' }],
    ['GET', '/Schemas/urn:x', { action: 'Discovery.Read' }],
    ['GET', '/ServiceProviderConfig', { action: 'Discovery.Read' }],
    ['POST', '/Bulk', { action: 'Scim.Request' }],
    ['GET', '/Users/u1/extra', { action: 'Scim.Request' }],
  ])('%s %s is %o', (method, path, target) => {
    expect(scimTargetOf(method, path)).toEqual(target);
  });

  it('AUD-1: a user PATCH names the user and each change', () => {
    const body = { Operations: [{ op: 'Replace', path: 'active', value: false }, { op: 'Add', path: 'name.givenName', value: 'Jane' }, { op: 'Remove', path: 'emails[type eq "work"]' }] };
    expect(summarizeScimRequest(exchange('PATCH', '/Users/u1', body, { userName: 'jane@contoso.com' }))).toBe(
      'PATCH user jane@contoso.com: active → false; name.givenName → "Jane"; emails[type eq "work"] removed',
    );
  });

  it('AUD-1: Entra\'s path-less replace lists each attribute; member changes are counted', () => {
    const body = {
      Operations: [
        { op: 'Replace', value: { displayName: 'Sales EU' } },
        { op: 'Add', path: 'members', value: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] },
        { op: 'Remove', path: 'members[value eq "d"]' },
      ],
    };
    expect(summarizeScimRequest(exchange('PATCH', '/Groups/g1', body))).toBe('PATCH group g1: displayName → "Sales EU"; members +3; members −1');
  });

  it('AUD-3: a password in a PATCH or a POST never shows', () => {
    const patch = { Operations: [{ op: 'replace', path: 'password', value: 'Hunter2!' }, { op: 'replace', value: { password: 'Hunter3!' } }] };
    const summary = summarizeScimRequest(exchange('PATCH', '/Users/u1', patch));
    expect(summary).toBe('PATCH user u1: password → [redacted]; password → [redacted]');
    expect(summarizeScimRequest(exchange('POST', '/Users', { userName: 'jane@contoso.com', password: 'Hunter2!', active: true }))).toBe('POST user jane@contoso.com: active true');
  });

  it('long values are cut, and more than ten changes are counted', () => {
    const operations = Array.from({ length: 12 }, (_, i) => ({ op: 'replace', path: `a${i}`, value: 'x'.repeat(100) }));
    const summary = summarizeScimRequest(exchange('PATCH', '/Users/u1', { Operations: operations }));
    expect(summary).toMatch(/^PATCH user u1: a0 → "x{58}…; a1 → /);
    expect(summary).toMatch(/; … 2 more$/);
  });

  it('lists show their filter; creates show the display name and member count', () => {
    expect(summarizeScimRequest(exchange('GET', '/Users', undefined, undefined, { filter: 'userName eq "jane"', count: '1' }))).toBe('GET users filter userName eq "jane", count 1');
    expect(summarizeScimRequest(exchange('POST', '/Groups', { displayName: 'Sales', members: [{ value: 'a' }] }))).toBe('POST group Sales: displayName "Sales"; members 1');
  });

  it('the subject of a user request comes from what was sent or answered', () => {
    const sent = { userName: 'Jane@Contoso.com', emails: [{ value: 'other@contoso.com' }, { value: 'jane@contoso.com', primary: true }] };
    expect(subjectUserOf(exchange('POST', '/Users', sent, { id: 'u1' }))).toEqual({ userName: 'Jane@Contoso.com', email: 'jane@contoso.com', directoryId: 'u1' });
    expect(subjectUserOf(exchange('DELETE', '/Users/u2'))).toEqual({ directoryId: 'u2' });
    expect(subjectUserOf(exchange('PATCH', '/Groups/g1', {}))).toBeUndefined();
  });
});
