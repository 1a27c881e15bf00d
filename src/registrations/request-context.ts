import type { RegistrationSettings } from './settings.js';

/**
 * What a SCIM request carries from authentication to every service call. It lives with the
 * registrations because it holds a registration's parsed settings, a type this feature owns.
 */

/** Who is calling and on behalf of which registration. */
export interface CallerIdentity {
  method: 'client-certificate' | 'bearer-token' | 'entra-jwt';
  /** Certificate subject, token id or JWT `sub`/`appid`: never a secret. */
  subject: string;
  fingerprint256?: string;
  tokenId?: string;
}

/**
 * The registration a request acts for, read and its settings parsed once, when the credential was
 * resolved: nothing later in the request reads the registration again.
 */
export interface RequestRegistration {
  id: string;
  name: string;
  settings: RegistrationSettings;
}

export interface RequestContext {
  registration: RequestRegistration;
  caller: CallerIdentity;
  correlationId: string;
}
