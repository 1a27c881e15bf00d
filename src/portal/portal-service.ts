import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { conflictingField } from '../kernel/store-errors.js';
import { type PortalStore, type VoiceUserRecord } from './portal-port.js';
import { AppError, isAppError } from '../kernel/app-error.js';
import type { LicensePolicy } from '../domain/licenses.js';
import { DIRECTORY_OWNED_FIELDS } from '../domain/voice-user-fields.js';
import type { VoiceUserChange } from '../domain/types.js';
import type { LicenseSeats } from './license-seats.js';
import { NO_WRITE_BACK, type WriteBackRecorder } from '../writeback/write-back-service.js';


const text = z.string().trim().min(1);
const PortalOwned = z.object({
  extension: text.max(20).optional(),
  did: text.max(32).optional(),
  licenses: z.array(text).max(50).optional(),
});
const Identity = PortalOwned.extend({
  userName: text.max(128),
  firstName: text.max(128),
  lastName: text.max(128),
  primaryEmail: z.email(),
  additionalEmails: z.array(z.email()),
  locationId: text,
});
const HandMade = Identity.extend({ additionalEmails: Identity.shape.additionalEmails.default([]) });
/** An edit names only what it changes: no defaults, or an edit would "change" fields it never named. */
const Edit = Identity.partial().strict();

export type { VoiceUserChange };

export interface PortalServiceDeps {
  store: Pick<PortalStore, 'voiceUsers' | 'retention'>;
  seats: LicenseSeats;
  licensePolicyOf: (registrationId: string) => Promise<LicensePolicy>;
  onChange?: (registrationId: string, change: VoiceUserChange, rule: string) => Promise<void>;
  /** TWO-1: extension/DID edits of a two-way registration's synced users go to the outbox. */
  writeBack?: WriteBackRecorder;
}

/**
 * What the portal itself owns (MAP-8): extension, DID, licences, and users created by hand.
 * Extension and DID are stored exactly as given and unique within a registration.
 */
export function createPortalService({ store, seats, licensePolicyOf, onChange = async () => undefined, writeBack = NO_WRITE_BACK }: PortalServiceDeps) {
  async function get(registrationId: string, id: string): Promise<VoiceUserRecord> {
    const found = await store.voiceUsers.get(registrationId, id);
    if (!found) throw new AppError('voice_user.not_found', `No voice user ${id}`, { status: 404 });
    return found;
  }

  /** A voice user made in the portal: by hand (DEL-6 keeps it out of reconciliation) or by a CSV import (IMP-1). */
  async function createByHand(registrationId: string, input: unknown, rule: 'DEL-6' | 'IMP-1' = 'DEL-6'): Promise<VoiceUserRecord> {
    const fields = parse(HandMade, input);
    const now = new Date().toISOString();
    const record: VoiceUserRecord = { ...fields, licenses: fields.licenses ?? [], registrationId, id: randomUUID(), status: 'active', origin: 'portal', createdAt: now, updatedAt: now, version: 1 };
    const created = await withSeatsFor(registrationId, record.licenses, () => store.voiceUsers.insert(record));
    await onChange(registrationId, { after: created }, rule);
    return created;
  }

  async function edit(registrationId: string, id: string, input: unknown): Promise<VoiceUserRecord> {
    const changes = parse(Edit, input);
    const current = await get(registrationId, id);
    refuseDirectoryOwnedEdits(current, changes);
    const gaining = (changes.licenses ?? []).filter((license) => !current.licenses.includes(license));
    const next = { ...current, ...changes, updatedAt: new Date().toISOString() };
    const updated = await writeBack.writing(registrationId, current, next, () => withSeatsFor(registrationId, gaining, () => store.voiceUsers.replace(next, current.version)));
    await onChange(registrationId, { before: current, after: updated }, 'MAP-8');
    return updated;
  }

  /** SYNC-5: a counted licence is given only while a seat is free (else `voice_user.no_license_left`); uniqueness clashes are explained. */
  async function withSeatsFor(registrationId: string, gaining: string[], write: () => Promise<VoiceUserRecord>): Promise<VoiceUserRecord> {
    try {
      return await seats.withFreeSeats(registrationId, await licensePolicyOf(registrationId), gaining, write);
    } catch (error) {
      if (isAppError(error, 'store.conflict')) throw new AppError('voice_user.duplicate', `${conflictingField(error)} is already used by another voice user of this registration`, { status: 409 });
      throw error;
    }
  }

  /** DEL-4: deleted voice users whose voicemails and recordings are still kept, soonest purge first. */
  const retained = (registrationId: string) => store.retention.list(registrationId);

  return { list: (registrationId: string) => store.voiceUsers.list(registrationId), get, createByHand, edit, retained };
}

export type PortalService = ReturnType<typeof createPortalService>;

/** MAP-7: Azure AD masters these fields of a provisioned user; naming a field with its current value is fine. */
function refuseDirectoryOwnedEdits(current: VoiceUserRecord, changes: Partial<VoiceUserRecord>): void {
  if (!current.directoryUserId) return;
  const field = DIRECTORY_OWNED_FIELDS.find((name) => changes[name] !== undefined && JSON.stringify(changes[name]) !== JSON.stringify(current[name]));
  if (field) {
    throw new AppError('voice_user.directory_owned', `${field} of ${current.userName} is mastered by Azure AD (MAP-7); change it in Azure AD, the portal owns only extension, DID and licences`, { status: 409 });
  }
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new AppError('voice_user.invalid', result.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`).join('; '), { status: 400 });
}
