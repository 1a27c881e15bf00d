import { randomUUID } from 'node:crypto';
import type { RegistrationChange } from '../registrations/registration-service.js';
import type { AuditActor, AuditEventInput } from './audit-event.js';

/**
 * A change to a registration as an audit event: who (the admin API's caller), what, and the
 * settings or credential before and after. Only labels, subjects and fingerprints of credentials
 * reach the trail, never a token's secret or hash (AUD-3).
 */
export function registrationChangeEvent(change: RegistrationChange, actor: AuditActor, correlationId: string = randomUUID()): AuditEventInput {
  return {
    registrationId: change.registration.id,
    correlationId,
    actor,
    action: change.action,
    resourceType: 'Registration',
    resourceId: change.registration.id,
    summary: change.summary,
    outcome: { status: 200, success: true },
    details: { name: change.registration.name, ...(change.before ? { before: change.before } : {}), ...(change.after ? { after: change.after } : {}) },
  };
}
