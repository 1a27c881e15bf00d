import { describe, expect, it } from 'vitest';
import { AUDITED_FIELDS, DIRECTORY_OWNED_FIELDS, VOICE_USER_FIELDS } from '../../../src/domain/voice-user-fields.js';

describe('one table of voice-user fields (MAP-7, MAP-8)', () => {
  it('MAP-7 Azure AD masters names, user name, emails, location and status; MAP-8 the portal masters extension, DID and licences', () => {
    expect(DIRECTORY_OWNED_FIELDS).toEqual(['userName', 'firstName', 'lastName', 'primaryEmail', 'additionalEmails', 'locationId', 'status']);
    expect(VOICE_USER_FIELDS.filter((f) => f.owner === 'portal').map((f) => f.field)).toEqual(['extension', 'did', 'licenses']);
  });
  it('AUD-1 the audit compares every field of the table, so before/after cannot miss one', () => {
    expect(AUDITED_FIELDS).toEqual(VOICE_USER_FIELDS.map((f) => f.field));
  });
});
