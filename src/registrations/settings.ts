import { z } from 'zod';

/** A domain name, or `*.` and a domain name for its subdomains (ELIG-3). */
const DOMAIN_NAME = /^(\*\.)?(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/;

const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(DOMAIN_NAME, 'is not a valid domain name (expected something like contoso.com, or *.contoso.com for its subdomains)');

const syncMode = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('just-in-time') }),
  z.object({ kind: z.literal('on-demand') }),
  z.object({ kind: z.literal('batched'), intervalMinutes: z.number().positive().max(7 * 24 * 60) }),
], { error: () => 'must be one of: just-in-time, on-demand, batched (with intervalMinutes)' });

const syncedGroup = z
  .object({ displayName: z.string().min(1).optional(), externalId: z.string().min(1).optional() })
  .refine((group) => group.displayName !== undefined || group.externalId !== undefined, 'a synced group needs a displayName or an externalId');

const scope = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all-assigned') }),
  z.object({ kind: z.literal('groups'), groups: z.array(syncedGroup).min(1, 'list at least one synced group') }),
], { error: () => 'must be all-assigned, or groups with a list of synced groups' });

const licenseName = z.string().trim().min(1).max(64);

const licensing = z
  .object({
    seats: z.record(licenseName, z.number().int('must be a whole number').min(0)).default({}),
    assignOnCreate: z.array(licenseName).max(20).default([]),
  })
  .default({ seats: {}, assignOnCreate: [] });

/** REG-1: everything a registration holds besides its credentials. */
export const RegistrationSettingsSchema = z.object({
  portalAccountId: z.string().trim().min(1, 'is required'),
  accountDomains: z.array(domainName).min(1, 'list at least one account email domain'),
  syncDirection: z.enum(['one-way', 'two-way']).default('one-way'),
  syncMode: syncMode.default({ kind: 'just-in-time' }),
  scope: scope.default({ kind: 'all-assigned' }),
  locationSource: z.string().trim().min(1).default('addresses[type eq "work"].locality'),
  locationMap: z.record(z.string().trim().min(1), z.string().trim().min(1)).default({}),
  /** DEL-5: the DID prefixes of each portal location; a move carries a DID only to a location whose prefixes it has. */
  locationNumbers: z.record(z.string().trim().min(1), z.array(z.string().trim().regex(/^\+?[\d\s()-]+$/, 'must be a phone-number prefix such as +1206')).min(1)).default({}),
  recordingRetention: z.enum(['6-months', '1-year', '2-years', '3-years']).default('1-year'),
  /** SYNC-5: the account's licence seats and the licences a provisioned voice user is given. */
  licensing,
});

export type RegistrationSettings = z.infer<typeof RegistrationSettingsSchema>;

/**
 * What the admin API accepts. Strict: a misspelt setting is refused rather than silently ignored,
 * and there is no field for customer administrator credentials, so none can be stored (REG-3).
 */
export const RegistrationInputSchema = RegistrationSettingsSchema.extend({
  name: z.string().trim().min(1, 'is required').max(100),
  entraTenantId: z.uuid('must be the Entra tenant id (a GUID)').optional(),
}).strict();

export type RegistrationInput = z.input<typeof RegistrationInputSchema>;
