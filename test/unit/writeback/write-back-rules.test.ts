import { describe, expect, it } from 'vitest';
import { parseRetryAfter, retryDelayMs } from '../../../src/writeback/backoff.js';
import { graphPatchBody, graphUserAttribute } from '../../../src/writeback/graph-attributes.js';
import { changedFields, entraUserIdOf } from '../../../src/writeback/write-back-service.js';
import type { UserRecord } from '../../../src/directory/directory-port.js';
import type { VoiceUserRecord } from '../../../src/portal/portal-port.js';

const TARGETS = { extension: 'onPremisesExtensionAttributes.extensionAttribute1', did: 'businessPhones' };

function voiceUser(extra: Partial<VoiceUserRecord> = {}): VoiceUserRecord {
  return {
    registrationId: 'r', id: 'v1', userName: 'jane', firstName: 'Jane', lastName: 'Doe', primaryEmail: 'jane@contoso.example', additionalEmails: [], locationId: 'loc',
    licenses: [], status: 'active', origin: 'provisioned', directoryUserId: 'd1', createdAt: '', updatedAt: '', version: 3, ...extra,
  };
}

describe('TWO-1 Graph PATCH bodies', () => {
  it.each([
    ['default targets, both fields', { extension: '1001', did: '+14255550100' }, TARGETS, ['extension', 'did'], { onPremisesExtensionAttributes: { extensionAttribute1: '1001' }, businessPhones: ['+14255550100'] }],
    ['only the changed field is sent', { extension: '1001', did: '+14255550100' }, TARGETS, ['did'], { businessPhones: ['+14255550100'] }],
    ['a removed DID clears businessPhones', { extension: '1001' }, TARGETS, ['did'], { businessPhones: [] }],
    ['both in custom attributes share one object', { extension: '1001', did: '+1' }, { extension: 'onPremisesExtensionAttributes.extensionAttribute3', did: 'onPremisesExtensionAttributes.extensionAttribute15' }, ['extension', 'did'], { onPremisesExtensionAttributes: { extensionAttribute3: '1001', extensionAttribute15: '+1' } }],
    ['directory extension and mobilePhone', {}, { extension: 'extension_0123456789abcdef0123456789abcdef_voiceExtension', did: 'mobilePhone' }, ['extension', 'did'], { extension_0123456789abcdef0123456789abcdef_voiceExtension: null, mobilePhone: null }],
  ] as const)('%s', (_title, values, targets, fields, body) => {
    expect(graphPatchBody(values, targets, fields)).toEqual(body);
  });

  it.each(['businessPhones', 'mobilePhone', 'onPremisesExtensionAttributes.extensionAttribute1', 'onPremisesExtensionAttributes.extensionAttribute15', 'extension_0123456789abcdef0123456789abcdef_ext'])('%s is a writable target', (name) => {
    expect(graphUserAttribute.safeParse(name).success).toBe(true);
  });

  it.each(['telephoneNumber', 'onPremisesExtensionAttributes.extensionAttribute16', 'extension_123_ext', 'displayName'])('%s is refused', (name) => {
    expect(graphUserAttribute.safeParse(name).success).toBe(false);
  });
});

describe('TWO-1 what is written back, and to whom', () => {
  it('MAP-8 an edit writes back only the extension/DID that changed; other fields never', () => {
    expect(changedFields(voiceUser({ extension: '1' }), voiceUser({ extension: '2' }))).toEqual(['extension']);
    expect(changedFields(voiceUser({ extension: '1' }), voiceUser({ extension: '1', did: '+1' }))).toEqual(['did']);
    expect(changedFields(voiceUser(), voiceUser({ firstName: 'Janet', licenses: ['x'] }))).toEqual([]);
  });

  it('DEL-6 a hand-made user just linked writes back what it holds; an unlinked (hand-made) user writes nothing', () => {
    expect(changedFields(voiceUser({ directoryUserId: undefined, origin: 'portal', extension: '1' }), voiceUser({ extension: '1' }))).toEqual(['extension']);
    expect(changedFields(undefined, voiceUser({ did: '+1' }))).toEqual(['did']);
    expect(changedFields(undefined, voiceUser())).toEqual([]);
    expect(changedFields(voiceUser({ directoryUserId: undefined }), voiceUser({ directoryUserId: undefined, extension: '9' }))).toEqual([]);
  });

  it('DEL-5 a move that could not keep the DID clears it in Entra; what it kept is not sent again', () => {
    const moved = voiceUser({ id: 'v2', version: 1, extension: '1', did: undefined });
    expect(changedFields(voiceUser({ extension: '1', did: '+1' }), moved)).toEqual(['did']);
  });

  it('the Entra object id sent as externalId is the Graph key; anything else falls back to the UPN', () => {
    const user = (externalId?: string): UserRecord => ({ id: 'd1', registrationId: 'r', userName: 'jane@contoso.example', version: 1, created: '', lastModified: '', resource: {}, ...(externalId ? { externalId } : {}) });
    expect(entraUserIdOf(user('6F9619FF-8B86-D011-B42D-00C04FC964FF'))).toBe('6F9619FF-8B86-D011-B42D-00C04FC964FF');
    expect(entraUserIdOf(user('jane'))).toBe('jane@contoso.example');
    expect(entraUserIdOf(user())).toBe('jane@contoso.example');
  });
});

describe('TWO-1 backoff', () => {
  const policy = { baseMs: 1000, maxMs: 60_000 };

  it('doubles per failure between half and all of the step, capped', () => {
    expect([1, 2, 3, 4].map((failures) => retryDelayMs(failures, policy, undefined, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((failures) => retryDelayMs(failures, policy, undefined, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(30, policy, undefined, () => 1)).toBe(60_000);
  });

  it("Graph's Retry-After is never undercut, even beyond the cap", () => {
    expect(retryDelayMs(1, policy, 120_000, () => 0)).toBe(120_000);
    expect(retryDelayMs(1, policy, 10_000, () => 1)).toBe(11_000);
  });

  it('Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
