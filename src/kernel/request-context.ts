/** Who is calling and on behalf of which registration; passed to every service call. */
export interface CallerIdentity {
  method: 'client-certificate' | 'bearer-token' | 'entra-jwt';
  /** Certificate subject, token id or JWT `sub`/`appid`: never a secret. */
  subject: string;
  fingerprint256?: string;
  tokenId?: string;
}

export interface RequestContext {
  registrationId: string;
  caller: CallerIdentity;
  correlationId: string;
}
