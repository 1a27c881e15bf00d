export interface ServiceLimits {
  maxPageSize: number;
  maxBodyBytes: number;
}

/** RFC 7643 §5: states exactly what this service supports, nothing more. */
export function serviceProviderConfig({ maxPageSize, maxBodyBytes }: ServiceLimits, baseUrl: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: maxBodyBytes },
    filter: { supported: true, maxResults: maxPageSize },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'tlsclientauth',
        name: 'Mutual TLS',
        description: 'A client certificate issued by a trusted CA and bound to the registration (RFC 8705 §2)',
        specUri: 'https://datatracker.ietf.org/doc/html/rfc8705',
        primary: true,
      },
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: 'A secret token issued for the registration, or a Microsoft Entra ID issued JWT',
        specUri: 'https://datatracker.ietf.org/doc/html/rfc6750',
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}
