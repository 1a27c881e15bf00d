import type { RegistrationSettings } from '../registrations/settings.js';

/** Who is calling and on behalf of which registration; passed to every service call. */
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
