export const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const VOICE = 'urn:ietf:params:scim:schemas:extension:voiceportal:2.0:User';
export const MAILBOX = 'urn:ietf:params:scim:schemas:extension:voiceportal:2.0:Mailbox';
export const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const MS_GROUP = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** A user body as Entra provisioning POSTs it. */
export function entraUser(overrides: Record<string, unknown> = {}) {
  return {
    schemas: [USER, ENTERPRISE],
    externalId: 'ext-ada',
    userName: 'ada.lovelace@contoso.example',
    active: true,
    displayName: 'Ada Lovelace',
    name: { givenName: 'Ada', familyName: 'Lovelace', formatted: 'Ada Lovelace' },
    emails: [{ primary: true, type: 'work', value: 'ada.lovelace@contoso.example' }],
    phoneNumbers: [{ type: 'work', value: '55555555555' }],
    [ENTERPRISE]: { employeeNumber: '1001', department: 'Sales' },
    ...overrides,
  };
}

export function patchBody(...Operations: unknown[]) {
  return { schemas: [PATCH_OP], Operations };
}
