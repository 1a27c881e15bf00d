import type { VoiceUserRecord } from '../portal/portal-port.js';

/** Unique fields of a voice user within a registration, with the column/field holding each key. */
export const VOICE_USER_UNIQUE_FIELDS = [
  ['userName', 'user_name_key'],
  ['primaryEmail', 'primary_email_key'],
  ['extension', 'extension_key'],
  ['did', 'did_key'],
] as const;

/**
 * Normalised keys for the unique indexes. Names and emails compare case-insensitively
 * (lower-case copies: FerretDB has no collations). Extension and DID are compared exactly as
 * given; an absent one gets a per-user placeholder so that "no extension" never collides
 * (FerretDB v1 has no partial indexes).
 */
export function uniqueKeysOf(record: VoiceUserRecord) {
  return {
    userName: record.userName.toLowerCase(),
    primaryEmail: record.primaryEmail.toLowerCase(),
    extension: record.extension ?? `none:${record.id}`,
    did: record.did ?? `none:${record.id}`,
  };
}
