/** What an account may do in the console: read everything it sees, or also start a Reconcile. */
export const SUPPORT_ROLES = ['reader', 'operator'] as const;
export type SupportRole = (typeof SUPPORT_ROLES)[number];

/** A support-staff login for the console: separate from every provisioning credential (AUD-2). */
export interface SupportAccountRecord {
  /** Unique, case-insensitive; stored as given. */
  name: string;
  /** argon2id PHC string; the password itself is never stored. */
  passwordHash: string;
  /** The registrations this account may see; absent means all of them. */
  registrationIds?: string[];
  /** Absent on accounts made before roles existed: they could start a Reconcile, so they still may (see roleOf). */
  role?: SupportRole;
  createdAt: string;
  passwordChangedAt: string;
}

/** The storage port for support accounts; adapters sit beside the audit-log adapters. */
export interface SupportAccounts {
  /** `store.conflict` naming `name` when the name (case-insensitive) is taken. */
  create(record: SupportAccountRecord): Promise<SupportAccountRecord>;
  get(name: string): Promise<SupportAccountRecord | null>;
  list(): Promise<SupportAccountRecord[]>;
  /** `store.not_found` when there is no such account. */
  setPassword(name: string, passwordHash: string, changedAt: string): Promise<void>;
  /** False when there was no such account. */
  delete(name: string): Promise<boolean>;
}

/** The account's role; accounts stored before roles existed keep the power they had (operator). */
export function roleOf(account: Pick<SupportAccountRecord, 'role'>): SupportRole {
  return account.role ?? 'operator';
}
