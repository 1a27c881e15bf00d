export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const MS_GROUP_SCHEMA = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** A user as Entra provisioning POSTs it. */
export function entraUser(upn: string, overrides: Record<string, unknown> = {}) {
  const [given = 'Test', family = 'User'] = upn.split('@')[0]!.split('.');
  return {
    schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
    externalId: `ext-${upn}`,
    userName: upn,
    active: true,
    displayName: `${given} ${family}`,
    name: { givenName: given, familyName: family, formatted: `${given} ${family}` },
    emails: [{ primary: true, type: 'work', value: upn }],
    phoneNumbers: [{ type: 'work', value: '55555555555' }],
    [ENTERPRISE_SCHEMA]: { employeeNumber: '1001', department: 'Sales' },
    ...overrides,
  };
}

export function entraGroup(displayName: string, members: string[] = []) {
  return {
    schemas: [GROUP_SCHEMA, MS_GROUP_SCHEMA],
    externalId: `ext-${displayName}`,
    displayName,
    members: members.map((value) => ({ value })),
  };
}

export function patch(...Operations: Record<string, unknown>[]) {
  return { schemas: [PATCH_SCHEMA], Operations };
}
