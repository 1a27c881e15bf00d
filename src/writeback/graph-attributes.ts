import { z } from 'zod';

/** The portal-owned values written back (MAP-8, TWO-1), in the order a PATCH body lists them. */
export const WRITE_BACK_FIELDS = ['extension', 'did'] as const;
export type WriteBackField = (typeof WRITE_BACK_FIELDS)[number];

/**
 * Defaults: the DID to `businessPhones` (Graph keeps one number there and a PATCH replaces the
 * list), the extension to Exchange custom attribute 1. Both are writable by Graph for cloud-only
 * users only; for users synced from on-premises AD, name a directory extension instead.
 */
export const DEFAULT_WRITE_BACK_ATTRIBUTES: Record<WriteBackField, string> = {
  extension: 'onPremisesExtensionAttributes.extensionAttribute1',
  did: 'businessPhones',
};

const ON_PREMISES_ATTRIBUTE = /^onPremisesExtensionAttributes\.(extensionAttribute(?:[1-9]|1[0-5]))$/;
/** A directory (schema) extension registered by an app: extension_<app id without dashes>_<name>. */
const DIRECTORY_EXTENSION = /^extension_[0-9a-f]{32}_[A-Za-z0-9_]{1,100}$/;
const PLAIN_ATTRIBUTES = ['businessPhones', 'mobilePhone'] as const;

export const graphUserAttribute = z
  .string()
  .trim()
  .refine(
    (name) => (PLAIN_ATTRIBUTES as readonly string[]).includes(name) || ON_PREMISES_ATTRIBUTE.test(name) || DIRECTORY_EXTENSION.test(name),
    'must be businessPhones, mobilePhone, onPremisesExtensionAttributes.extensionAttribute1..15 or a directory extension extension_<appId>_<name>',
  );

export type GraphUserPatch = Record<string, unknown>;

/**
 * The body of `PATCH /v1.0/users/{id}` that sets each target attribute to the portal's value;
 * a value the portal no longer holds is cleared (null, or an empty businessPhones list).
 */
export function graphPatchBody(values: Partial<Record<WriteBackField, string | undefined>>, targets: Record<WriteBackField, string>, fields: readonly WriteBackField[]): GraphUserPatch {
  const body: GraphUserPatch = {};
  for (const field of WRITE_BACK_FIELDS.filter((name) => fields.includes(name))) {
    const attribute = targets[field];
    const value = values[field] ?? null;
    const onPremises = ON_PREMISES_ATTRIBUTE.exec(attribute);
    if (onPremises) body.onPremisesExtensionAttributes = { ...(body.onPremisesExtensionAttributes as object | undefined), [onPremises[1]!]: value };
    else if (attribute === 'businessPhones') body.businessPhones = value === null ? [] : [value];
    else body[attribute] = value;
  }
  return body;
}
