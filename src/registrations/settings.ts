import { z } from 'zod';
import { DEFAULT_WRITE_BACK_ATTRIBUTES, graphUserAttribute } from '../writeback/graph-attributes.js';

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

/** A file on the service's hosts, named absolutely: relative paths would depend on each host's working directory. */
const absolutePath = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^(\/|[A-Za-z]:[\\/])/, `must be the absolute path, on the service's hosts, of ${what}`);

/**
 * TWO-1: where extension and DID go in the customer's Entra tenant, and how the service signs in
 * to Microsoft Graph (REG-3: the app's own certificate, never a customer administrator's
 * credentials). Key and certificate are named by file path on the service's hosts, so no key
 * material is ever stored in the database, returned by the admin API or audited.
 */
const writeBackFields = z.strictObject({
    tenantId: z.uuid('must be the customer\'s Entra tenant id (a GUID)'),
    clientId: z.uuid('must be the application (client) id of the app registration (a GUID)'),
    certificateFile: absolutePath('the PEM certificate registered on the app'),
    privateKeyFile: absolutePath('the PEM private key of that certificate'),
    extensionAttribute: graphUserAttribute.default(DEFAULT_WRITE_BACK_ATTRIBUTES.extension),
    didAttribute: graphUserAttribute.default(DEFAULT_WRITE_BACK_ATTRIBUTES.did),
});
const writeBack = writeBackFields.refine((target) => target.extensionAttribute !== target.didAttribute, { message: 'extension and DID must be written to different Graph attributes', path: ['didAttribute'] });

export type WriteBackSettings = z.infer<typeof writeBack>;

/** REG-1: everything a registration holds besides its credentials. */
const RegistrationSettingsObject = z.object({
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
  /** TWO-1: required when syncDirection is two-way. */
  writeBack: writeBack.optional(),
});

/** Settings as stored: read leniently, so a registration saved before a rule existed still reads. */
export const RegistrationSettingsSchema = RegistrationSettingsObject;

export type RegistrationSettings = z.infer<typeof RegistrationSettingsSchema>;

/** MAP-8/TWO-1: a two-way registration must say where and how to write back. */
function twoWayNeedsWriteBack(settings: { syncDirection?: string; writeBack?: unknown }, ctx: z.RefinementCtx): void {
  if (settings.syncDirection === 'two-way' && settings.writeBack === undefined) {
    ctx.addIssue({ code: 'custom', path: ['writeBack'], message: 'is required for two-way sync: tenantId, clientId, certificateFile and privateKeyFile of the app that writes to Microsoft Graph' });
  }
}

/** Settings as they are saved by a create or an update: complete and consistent. */
export const CheckedSettingsSchema = RegistrationSettingsObject.superRefine(twoWayNeedsWriteBack);

const registrationIdentity = {
  name: z.string().trim().min(1, 'is required').max(100),
  entraTenantId: z.uuid('must be the Entra tenant id (a GUID)').optional(),
};

/**
 * What the admin API accepts. Strict: a misspelt setting is refused rather than silently ignored,
 * and there is no field for customer administrator credentials, so none can be stored (REG-3).
 */
export const RegistrationInputSchema = RegistrationSettingsObject.extend(registrationIdentity).strict().superRefine(twoWayNeedsWriteBack);

/**
 * An update: any subset, as strict. Nested objects (licensing, writeBack) may be partial; they are
 * merged into the stored ones and the result is checked with CheckedSettingsSchema.
 */
export const RegistrationChangesSchema = RegistrationSettingsObject.extend({ ...registrationIdentity, writeBack: writeBackFields.partial().strict() }).partial().strict();

export type RegistrationInput = z.input<typeof RegistrationInputSchema>;
