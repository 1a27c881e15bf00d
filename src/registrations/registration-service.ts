import { randomUUID, X509Certificate } from 'node:crypto';
import type { CertificateBinding, RegistrationRecord, RegistrationStore } from './registrations-port.js';
import { type JsonObject } from '../kernel/json.js';
import { CheckedSettingsSchema, RegistrationChangesSchema, RegistrationInputSchema, RegistrationSettingsSchema, type RegistrationInput, type RegistrationSettings } from './settings.js';
import { bindingKeys, credentialKey } from './credential-keys.js';
import { issueToken } from './tokens.js';
import { certificateNames } from '../pki/distinguished-name.js';
import { AppError, isAppError } from '../kernel/app-error.js';

export type BindBy = 'fingerprint' | 'subject' | 'both';

export interface TerminationReport {
  registration: string;
  dryRun: boolean;
  users: number;
  groups: number;
  voiceUsers: number;
}

export type RegistrationChangeAction =
  | 'Registration.Create'
  | 'Registration.Update'
  | 'Registration.Delete'
  | 'Registration.AddCertificate'
  | 'Registration.RemoveCertificate'
  | 'Registration.AddToken'
  | 'Registration.RevokeToken';

/** One change to a registration, for the audit trail: what was there before and after, never a secret. */
export interface RegistrationChange {
  action: RegistrationChangeAction;
  registration: { id: string; name: string };
  summary: string;
  before?: JsonObject;
  after?: JsonObject;
}

export interface RegistrationServiceDeps {
  store: RegistrationStore;
  /** REG-4: removes the voice users provisioned through the registration; returns how many (or would be, on a dry run). */
  removeVoiceUsers?: (registrationId: string, dryRun: boolean) => Promise<number>;
  /** Told of every change once it is stored (the audit trail records it). */
  onChange?: (change: RegistrationChange) => void;
}

/** Operator-facing management of registrations (REG-1..REG-4); used by the admin API. */
export function createRegistrationService({ store, removeVoiceUsers = async () => 0, onChange = () => undefined }: RegistrationServiceDeps) {
  const changed = (action: RegistrationChangeAction, registration: RegistrationRecord, summary: string, before?: JsonObject, after?: JsonObject) =>
    onChange({ action, registration: { id: registration.id, name: registration.name }, summary, ...(before ? { before } : {}), ...(after ? { after } : {}) });

  async function find(idOrName: string): Promise<RegistrationRecord> {
    const found = (await store.registrations.get(idOrName)) ?? (await store.registrations.findByName(idOrName));
    if (!found || found.status !== 'active') throw new AppError('registration.not_found', `No registration named or with id "${idOrName}"`, { status: 404 });
    return found;
  }

  async function create(input: unknown): Promise<RegistrationRecord> {
    const parsed = parse(RegistrationInputSchema, input);
    const { name, entraTenantId, ...settings } = parsed;
    const now = new Date().toISOString();
    const record: RegistrationRecord = {
      id: randomUUID(),
      name,
      status: 'active',
      settings: settings as unknown as JsonObject,
      certificates: [],
      tokens: [],
      version: 1,
      created: now,
      lastModified: now,
    };
    try {
      await store.registrations.insert(record);
    } catch (error) {
      if (isAppError(error, 'store.conflict')) throw new AppError('registration.duplicate_name', `A registration named "${name}" already exists`, { status: 409 });
      throw error;
    }
    const created = entraTenantId ? await setEntraTenant(record, entraTenantId) : record;
    changed('Registration.Create', created, `registration ${name} created`, undefined, describedSettings(created));
    return created;
  }

  async function update(idOrName: string, changes: unknown): Promise<RegistrationRecord> {
    const current = await find(idOrName);
    const { name, entraTenantId, ...settings } = onlyGiven(parse(RegistrationChangesSchema, withoutRemovals(changes)), changes);
    const merged = parse(CheckedSettingsSchema, {
      ...current.settings,
      ...settings,
      ...mergedNested(current, changes, 'licensing'),
      ...mergedNested(current, changes, 'writeBack'),
      ...mergedMaps(current, changes),
    });
    const renamed = { ...current, name: name ?? current.name, settings: merged as unknown as JsonObject };
    const saved = await save(renamed, current.version);
    await store.seatCounters.forget(saved.id, licencesCountedInOnlyOne(current, saved));
    const updated = entraTenantId !== undefined ? await setEntraTenant(saved, entraTenantId) : saved;
    const [before, after] = changedSettings(describedSettings(current), describedSettings(updated));
    changed('Registration.Update', updated, `registration ${updated.name} updated: ${Object.keys(after).join(', ') || 'nothing changed'}`, before, after);
    return updated;
  }

  async function setEntraTenant(record: RegistrationRecord, tenantId: string): Promise<RegistrationRecord> {
    await bindOrExplain(credentialKey.entraTenant(tenantId), record.id, `Entra tenant ${tenantId}`);
    if (record.entraTenantId && record.entraTenantId !== tenantId) await store.credentials.unbind(credentialKey.entraTenant(record.entraTenantId));
    return save({ ...record, entraTenantId: tenantId }, record.version);
  }

  async function addCertificate(idOrName: string, pem: string, bindBy: BindBy = 'fingerprint', label?: string): Promise<CertificateBinding> {
    const registration = await find(idOrName);
    const certificate = readCertificate(pem);
    const binding: CertificateBinding = {
      ...(bindBy !== 'subject' ? { fingerprint256: certificate.fingerprint256 } : {}),
      ...(bindBy !== 'fingerprint' ? certificateNames(certificate.raw) : {}),
      notAfter: new Date(certificate.validTo).toISOString(),
      ...(label ? { label } : {}),
      addedAt: new Date().toISOString(),
    };
    await refuseNamesBoundBefore(binding, registration.id);
    const keys = bindingKeys(binding);
    for (const key of keys) await bindOrExplain(key, registration.id, 'This certificate');
    try {
      await save({ ...registration, certificates: [...registration.certificates, binding] }, registration.version);
    } catch (error) {
      for (const key of keys) await store.credentials.unbind(key);
      throw error;
    }
    changed('Registration.AddCertificate', registration, `certificate bound to ${registration.name}: ${describeBinding(binding)}`, undefined, binding as unknown as JsonObject);
    return binding;
  }

  async function removeCertificate(idOrName: string, fingerprintOrSubject: string): Promise<CertificateBinding> {
    const registration = await find(idOrName);
    const wanted = fingerprintOrSubject.toUpperCase();
    const binding = registration.certificates.find((c) => c.fingerprint256 === wanted || c.subject === fingerprintOrSubject);
    if (!binding) throw new AppError('registration.certificate_not_bound', `No certificate ${fingerprintOrSubject} is bound to ${registration.name}`, { status: 404 });
    await save({ ...registration, certificates: registration.certificates.filter((c) => c !== binding) }, registration.version);
    for (const key of bindingKeys(binding)) await store.credentials.unbind(key);
    changed('Registration.RemoveCertificate', registration, `certificate removed from ${registration.name}: ${describeBinding(binding)}`, binding as unknown as JsonObject);
    return binding;
  }

  async function createToken(idOrName: string, label?: string): Promise<{ id: string; token: string }> {
    const registration = await find(idOrName);
    const issued = issueToken();
    await bindOrExplain(credentialKey.token(issued.id), registration.id, 'Token id');
    const binding = { id: issued.id, secretHash: issued.secretHash, createdAt: new Date().toISOString(), ...(label ? { label } : {}) };
    await save({ ...registration, tokens: [...registration.tokens, binding] }, registration.version);
    changed('Registration.AddToken', registration, `token ${issued.id}${label ? ` (${label})` : ''} issued for ${registration.name}`, undefined, { id: issued.id, ...(label ? { label } : {}) });
    return { id: issued.id, token: issued.token };
  }

  async function revokeToken(idOrName: string, tokenId: string): Promise<void> {
    const registration = await find(idOrName);
    if (!registration.tokens.some((token) => token.id === tokenId)) {
      throw new AppError('registration.token_not_found', `No token ${tokenId} on ${registration.name}`, { status: 404 });
    }
    await store.credentials.unbind(credentialKey.token(tokenId));
    await save({ ...registration, tokens: registration.tokens.filter((token) => token.id !== tokenId) }, registration.version);
    changed('Registration.RevokeToken', registration, `token ${tokenId} of ${registration.name} revoked`, { id: tokenId });
  }

  /**
   * REG-4 end of service. The registration is marked ended first, so its credentials are
   * refused from that moment; then its directory and voice users go; the audit trail stays.
   * Each step is idempotent, so an interrupted termination is finished by running it again.
   */
  async function terminate(idOrName: string, { dryRun }: { dryRun: boolean }): Promise<TerminationReport> {
    const registration = (await store.registrations.get(idOrName)) ?? (await store.registrations.findByName(idOrName));
    if (!registration) throw new AppError('registration.not_found', `No registration named or with id "${idOrName}"`, { status: 404 });
    const counts = { users: await store.users.countAll(registration.id), groups: await store.groups.countAll(registration.id) };
    if (dryRun) return { registration: registration.name, dryRun, ...counts, voiceUsers: await removeVoiceUsers(registration.id, true) };
    const ended = registration.status === 'ended' ? registration : await save({ ...registration, status: 'ended' }, registration.version);
    await store.credentials.unbindAll(ended.id);
    const voiceUsers = await removeVoiceUsers(ended.id, false);
    await store.groups.deleteAll(ended.id);
    await store.users.deleteAll(ended.id);
    await store.registrations.delete(ended.id);
    // The event is the registration's tombstone: the trail stays searchable by its name (REG-4).
    changed('Registration.Delete', ended, `registration ${ended.name} ended: ${voiceUsers} voice users, ${counts.users} directory users and ${counts.groups} groups removed`, { name: ended.name, ...describedSettings(registration) });
    return { registration: ended.name, dryRun, ...counts, voiceUsers };
  }

  /** REG-2: the same names bound to another registration by an earlier version (text key) count as taken. */
  async function refuseNamesBoundBefore(binding: CertificateBinding, registrationId: string): Promise<void> {
    if (!binding.issuer || !binding.subject) return;
    const owner = await store.credentials.lookup(credentialKey.legacyDistinguishedName(binding.issuer, binding.subject));
    if (owner && owner !== registrationId) throw new AppError('registration.credential_taken', 'This certificate is already bound to another registration', { status: 409 });
  }

  async function bindOrExplain(key: string, registrationId: string, what: string): Promise<void> {
    try {
      await store.credentials.bind(key, registrationId);
    } catch (error) {
      if (isAppError(error, 'store.conflict')) throw new AppError('registration.credential_taken', `${what} is already bound to another registration`, { status: 409 });
      throw error;
    }
  }

  async function save(record: RegistrationRecord, expectedVersion: number): Promise<RegistrationRecord> {
    try {
      return await store.registrations.replace({ ...record, lastModified: new Date().toISOString() }, expectedVersion);
    } catch (error) {
      if (isAppError(error, 'store.conflict')) throw new AppError('registration.duplicate_name', `A registration named "${record.name}" already exists`, { status: 409 });
      throw error;
    }
  }

  return { find, list: () => store.registrations.list(), create, update, addCertificate, removeCertificate, createToken, revokeToken, terminate };
}

export type RegistrationService = ReturnType<typeof createRegistrationService>;

/** Parsed so that settings stored before a setting existed read with its default. */
export function settingsOf(record: RegistrationRecord): RegistrationSettings {
  return RegistrationSettingsSchema.parse(record.settings);
}

/**
 * SYNC-5: a licence that starts or stops being counted has a counter that missed the changes made
 * while it was not counted; forgotten, it is counted afresh from the voice users at its next take.
 */
function licencesCountedInOnlyOne(before: RegistrationRecord, after: RegistrationRecord): string[] {
  const [was, is] = [before, after].map((record) => Object.keys(settingsOf(record).licensing.seats));
  return [...was!.filter((license) => !is!.includes(license)), ...is!.filter((license) => !was!.includes(license))];
}

/** Seats and assignOnCreate (and each write-back setting) may be changed one at a time. */
function mergedNested(current: RegistrationRecord, changes: unknown, key: 'licensing' | 'writeBack'): Record<string, unknown> {
  const given = (changes as Record<string, unknown>)[key];
  if (typeof given !== 'object' || given === null || Array.isArray(given)) return {};
  return { [key]: { ...(current.settings[key] as object | undefined), ...given } };
}

/** Maps an update merges into (JSON merge patch, RFC 7396): a given entry is set, an entry given as null is removed. */
const MERGED_MAPS = ['locationMap', 'locationNumbers'] as const;

function mergedMaps(current: RegistrationRecord, changes: unknown): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const key of MERGED_MAPS) {
    const given = (changes as Record<string, unknown>)[key];
    if (typeof given !== 'object' || given === null || Array.isArray(given)) continue;
    const entries = { ...(current.settings[key] as object | undefined), ...given } as Record<string, unknown>;
    merged[key] = Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== null));
  }
  return merged;
}

/** The update as validated: map entries given as null are removals, not values. */
function withoutRemovals(changes: unknown): unknown {
  if (typeof changes !== 'object' || changes === null) return changes;
  const copy: Record<string, unknown> = { ...changes };
  for (const key of MERGED_MAPS) {
    const given = copy[key];
    if (typeof given === 'object' && given !== null && !Array.isArray(given)) copy[key] = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== null));
  }
  return copy;
}

/** Zod fills defaults even for optional fields; an update must change only what was sent. */
function onlyGiven<T extends object>(parsed: T, input: unknown): T {
  const sent = new Set(Object.keys(input as object));
  return Object.fromEntries(Object.entries(parsed).filter(([key]) => sent.has(key))) as T;
}

/** Settings and credential labels as support reads them; token hashes never leave the store. */
function describedSettings(record: RegistrationRecord): JsonObject {
  return {
    name: record.name,
    ...record.settings,
    ...(record.entraTenantId ? { entraTenantId: record.entraTenantId } : {}),
  };
}

/** Only the settings that differ, before and after. */
function changedSettings(before: JsonObject, after: JsonObject): [JsonObject, JsonObject] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
  const pick = (settings: JsonObject) => Object.fromEntries(keys.filter((key) => settings[key] !== undefined).map((key) => [key, settings[key]!]));
  return [pick(before), pick(after)];
}

function describeBinding(binding: CertificateBinding): string {
  return [binding.subject ? `subject ${binding.subject}` : undefined, binding.fingerprint256 ? `SHA-256 ${binding.fingerprint256}` : undefined, binding.label ? `label ${binding.label}` : undefined].filter(Boolean).join(', ');
}

function readCertificate(pem: string): X509Certificate {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw new AppError('registration.bad_certificate', 'The file is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)');
  }
  if (new Date(certificate.validTo) < new Date()) {
    throw new AppError('registration.certificate_expired', `The certificate expired on ${new Date(certificate.validTo).toISOString()}`);
  }
  return certificate;
}

function parse<T>(schema: { safeParse(input: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.map(String).join('.') || 'input'}: ${issue.message}`);
  throw new AppError('registration.invalid', problems.join('; '));
}

export type { RegistrationInput };
