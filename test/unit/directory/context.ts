import type { RequestContext } from '../../../src/registrations/request-context.js';
import { RegistrationSettingsSchema } from '../../../src/registrations/settings.js';

type SyncMode = { kind: 'just-in-time' } | { kind: 'on-demand' } | { kind: 'batched'; intervalMinutes: number };

/** A request context as authentication builds it: the registration with its parsed settings. */
export function contextFor(registrationId: string, syncMode: SyncMode = { kind: 'on-demand' }): RequestContext {
  return {
    registration: { id: registrationId, name: registrationId, settings: RegistrationSettingsSchema.parse({ portalAccountId: `acct-${registrationId}`, accountDomains: ['contoso.example'], syncMode }) },
    caller: { method: 'bearer-token', subject: 'token:test', tokenId: 'test' },
    correlationId: `test-${registrationId}`,
  };
}
