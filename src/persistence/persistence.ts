import type { UserCollection, GroupCollection } from '../directory/directory-port.js';
import type { RegistrationCollection, CredentialIndex } from '../registrations/registrations-port.js';
import type { VoiceUserCollection, RetentionCollection, SeatCounterCollection } from '../portal/portal-port.js';
import type { LeaseCollection } from '../jobs/lease-port.js';
import type { GroupBatchReads, UserBatchReads } from '../reconcile/reconcile-port.js';
import type { StoreCapabilities } from './capabilities.js';
import type { ConsoleSessionCollection, LoginFailureCollection } from '../console/console-state-port.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { SupportAccounts } from '../console/support-accounts.js';
import type { WriteBackOutbox } from '../writeback/outbox.js';

/**
 * Every port an adapter serves, over one connection to one database. Features never see this
 * aggregate: each takes the ports it owns; only main.ts holds it.
 */
export interface Store {
  readonly capabilities: StoreCapabilities;
  users: UserCollection & UserBatchReads;
  groups: GroupCollection & GroupBatchReads;
  registrations: RegistrationCollection;
  credentials: CredentialIndex;
  voiceUsers: VoiceUserCollection;
  retention: RetentionCollection;
  leases: LeaseCollection;
  seatCounters: SeatCounterCollection;
  consoleSessions: ConsoleSessionCollection;
  loginFailures: LoginFailureCollection;
  /** TWO-1: extension/DID changes waiting to be written back to Entra. */
  outbox: WriteBackOutbox;
  /** AUD-1: the audit trail, and the support accounts that read it (AUD-2). */
  auditLog: AuditLog;
  supportAccounts: SupportAccounts;
  /** What the start-up log says about the store (server, conditional-write mode and why). */
  readonly facts: Record<string, string>;
  /** Fails with `store.unavailable` if the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
