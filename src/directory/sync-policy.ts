import type { RequestContext } from '../registrations/request-context.js';

/** What follows a directory write in the request that made it, by the registration's sync mode. */
export type SyncDecision =
  /** SYNC-1: the changed users are reconciled before the SCIM answer is sent. */
  | { rule: 'SYNC-1'; reconcileNow: true }
  /** SYNC-2 (an administrator runs Reconcile) and SYNC-3 (the schedule runs it): nothing now. */
  | { rule: 'SYNC-2' | 'SYNC-3'; reconcileNow: false };

/** Decided from the settings the request's authentication read, never from another read. */
export function decideSync(ctx: RequestContext): SyncDecision {
  switch (ctx.registration.settings.syncMode.kind) {
    case 'just-in-time':
      return { rule: 'SYNC-1', reconcileNow: true };
    case 'on-demand':
      return { rule: 'SYNC-2', reconcileNow: false };
    case 'batched':
      return { rule: 'SYNC-3', reconcileNow: false };
  }
}
