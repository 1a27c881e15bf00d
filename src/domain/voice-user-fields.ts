import type { VoiceUser } from './types.js';

/**
 * Every field of a voice user a person sees, which system masters it and the rule that says so.
 * The plan's diff (what a Reconcile may change), the MAP-7 guard on portal edits and the audit's
 * before/after are all read from this one table, so they cannot disagree.
 */
export const VOICE_USER_FIELDS = [
  { field: 'userName', owner: 'azure-ad', rule: 'MAP-3' },
  { field: 'firstName', owner: 'azure-ad', rule: 'MAP-1' },
  { field: 'lastName', owner: 'azure-ad', rule: 'MAP-2' },
  { field: 'primaryEmail', owner: 'azure-ad', rule: 'MAP-4' },
  { field: 'additionalEmails', owner: 'azure-ad', rule: 'MAP-5' },
  { field: 'locationId', owner: 'azure-ad', rule: 'MAP-6' },
  { field: 'status', owner: 'azure-ad', rule: 'DEL-3' },
  { field: 'extension', owner: 'portal', rule: 'MAP-8' },
  { field: 'did', owner: 'portal', rule: 'MAP-8' },
  { field: 'licenses', owner: 'portal', rule: 'SYNC-5' },
] as const satisfies readonly { field: keyof VoiceUser; owner: 'azure-ad' | 'portal'; rule: string }[];

export type VoiceUserField = (typeof VOICE_USER_FIELDS)[number]['field'];
type OwnedBy<Owner> = Extract<(typeof VOICE_USER_FIELDS)[number], { owner: Owner }>['field'];
export type DirectoryOwnedField = OwnedBy<'azure-ad'>;

/** Fields Azure AD masters (MAP-7): a Reconcile keeps them equal to the directory, the portal may not edit them. */
export const DIRECTORY_OWNED_FIELDS = VOICE_USER_FIELDS.filter((entry) => entry.owner === 'azure-ad').map((entry) => entry.field) as DirectoryOwnedField[];

/** Every field, in the order support reads them in a before/after. */
export const AUDITED_FIELDS: VoiceUserField[] = VOICE_USER_FIELDS.map((entry) => entry.field);
