import type { JsonObject } from '../kernel/json.js';
import type { GroupCollection, UserCollection } from '../directory/directory-port.js';
import type { SeatCounterCollection } from '../portal/portal-port.js';

/** A certificate identity a registration accepts: by fingerprint, or by issuer + subject. */
export interface CertificateBinding {
  fingerprint256?: string;
  issuer?: string;
  subject?: string;
  /** SHA-256 of issuer + subject DER; absent on issuer + subject bindings made before it existed. */
  nameDigest?: string;
  /** End of validity of the certificate bound (ISO); absent on bindings made before it was kept. */
  notAfter?: string;
  label?: string;
  addedAt: string;
}

export interface TokenBinding {
  id: string;
  /** SHA-256 of the token's secret part; the secret itself is never stored. */
  secretHash: string;
  label?: string;
  createdAt: string;
}

export interface RegistrationRecord {
  id: string;
  name: string;
  status: 'active' | 'ended';
  /** The customer-facing settings (REG-1), validated by the registrations module. */
  settings: JsonObject;
  certificates: CertificateBinding[];
  tokens: TokenBinding[];
  /** Accept Entra-issued JWTs for this Entra tenant id (`tid`). */
  entraTenantId?: string;
  version: number;
  created: string;
  lastModified: string;
}

export interface RegistrationCollection {
  /** `store.conflict` naming `name` when the name (case-insensitive) is taken. */
  insert(record: RegistrationRecord): Promise<RegistrationRecord>;
  get(id: string): Promise<RegistrationRecord | null>;
  findByName(name: string): Promise<RegistrationRecord | null>;
  list(): Promise<RegistrationRecord[]>;
  replace(record: RegistrationRecord, expectedVersion: number): Promise<RegistrationRecord>;
  delete(id: string): Promise<boolean>;
}

/**
 * Credential key → registration id, unique: resolves a certificate or token to its
 * registration in O(1) and refuses a credential bound to two registrations.
 */
export interface CredentialIndex {
  /** `store.conflict` naming `credential` when the key is bound to another registration. */
  bind(key: string, registrationId: string): Promise<void>;
  unbind(key: string): Promise<void>;
  lookup(key: string): Promise<string | null>;
  /**
   * The registration bound to the first of `keys` that is bound, in one round trip: a client
   * certificate has several keys (fingerprint, names), looked up together on every request.
   */
  lookupFirst(keys: readonly string[]): Promise<string | null>;
  unbindAll(registrationId: string): Promise<void>;
}

/**
 * The registrations feature's port: its records and credential index, plus what ending a
 * registration (REG-4) clears in the directory and the seat counters.
 */
export interface RegistrationStore {
  registrations: RegistrationCollection;
  credentials: CredentialIndex;
  seatCounters: Pick<SeatCounterCollection, 'forget'>;
  users: Pick<UserCollection, 'countAll' | 'deleteAll'>;
  groups: Pick<GroupCollection, 'countAll' | 'deleteAll'>;
}
