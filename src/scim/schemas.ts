import { readFileSync } from 'node:fs';
import SCIMMY from 'scimmy';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const VOICE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:voiceportal:2.0:User';
export const MAILBOX_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:voiceportal:2.0:Mailbox';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
/** Entra adds it to every group it creates; it carries no attributes of its own. */
export const MICROSOFT_GROUP_SCHEMA = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';

export type ResourceType = 'User' | 'Group';

export type AttributeTypeName = 'string' | 'complex' | 'boolean' | 'binary' | 'decimal' | 'integer' | 'dateTime' | 'reference';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';

/** An attribute as described in RFC 7643 §7, narrowed to what this service reads. */
export interface AttributeDefinition {
  name: string;
  type: AttributeTypeName;
  multiValued: boolean;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  subAttributes?: AttributeDefinition[];
}

/** An attribute found from a path, with the canonical names leading to it from the resource root. */
export interface ResolvedAttribute {
  /** e.g. `['name', 'familyName']`, `[ENTERPRISE_USER_SCHEMA, 'manager', 'value']`, `[ENTERPRISE_USER_SCHEMA]`. */
  path: string[];
  definition: AttributeDefinition;
  /** The attribute holding this one (an extension counts as a complex attribute named by its URN). */
  parent?: AttributeDefinition;
}

interface RawAttribute {
  name: string;
  type: string;
  multiValued: boolean;
  required: boolean;
  caseExact?: boolean;
  mutability: string;
  returned: string;
  subAttributes?: RawAttribute[];
}

interface SchemaDescription {
  id: string;
  attributes: RawAttribute[];
}

const ATTRIBUTE_TYPES: readonly AttributeTypeName[] = ['string', 'complex', 'boolean', 'binary', 'decimal', 'integer', 'dateTime', 'reference'];
const MUTABILITIES: readonly Mutability[] = ['readOnly', 'readWrite', 'immutable', 'writeOnly'];
const RETURNED: readonly Returned[] = ['always', 'never', 'default', 'request'];

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`Schema definition has an unknown ${what} "${value}"`);
  return value as T;
}

function toDefinition(raw: RawAttribute): AttributeDefinition {
  return {
    name: raw.name,
    type: oneOf(raw.type, ATTRIBUTE_TYPES, 'attribute type'),
    multiValued: raw.multiValued,
    required: raw.required,
    caseExact: raw.caseExact ?? false,
    mutability: oneOf(raw.mutability, MUTABILITIES, 'mutability'),
    returned: oneOf(raw.returned, RETURNED, 'returned value'),
    ...(raw.subAttributes ? { subAttributes: raw.subAttributes.map(toDefinition) } : {}),
  };
}

/** scimmy's `toJSON()` and `describe()` leave sub-attributes as Attribute instances: serialise them. */
function plain<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** All attributes of a core schema, including the common ones (`id`, `externalId`, `meta`) scimmy hides from its description. */
function coreAttributes(definition: InstanceType<typeof SCIMMY.Types.SchemaDefinition>): AttributeDefinition[] {
  return definition.attributes.filter((attribute) => attribute instanceof SCIMMY.Types.Attribute).map((attribute) => toDefinition(plain(attribute)));
}

/**
 * The repository's `schemas/` folder is read at run time rather than imported, so the compiled
 * service (`dist/scim/`) finds it at the same two levels up as the sources (`src/scim/`).
 */
function readSchemaFile(name: string): SchemaDescription {
  return JSON.parse(readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8')) as SchemaDescription;
}

/** An extension behaves like a single-valued complex attribute named by its URN (RFC 7644 §3.10). */
function extensionAttribute(description: SchemaDescription): AttributeDefinition {
  const subAttributes = description.attributes.map(toDefinition);
  return {
    name: description.id,
    type: 'complex',
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: subAttributes.every((attribute) => attribute.mutability === 'readOnly') ? 'readOnly' : 'readWrite',
    returned: 'default',
    subAttributes,
  };
}

interface ResourceSchema {
  core: string;
  /** Core attributes first, then one complex attribute per extension. */
  attributes: AttributeDefinition[];
  extensions: string[];
  /** URNs a client may put in `schemas`. */
  accepted: string[];
}

const voiceUserSchema = readSchemaFile('voice-user.json');
const mailboxSchema = readSchemaFile('mailbox-user.json');

const RESOURCE_SCHEMAS: Record<ResourceType, ResourceSchema> = {
  User: {
    core: USER_SCHEMA,
    attributes: [
      ...coreAttributes(SCIMMY.Schemas.User.definition),
      extensionAttribute(plain(SCIMMY.Schemas.EnterpriseUser.definition.describe())),
      extensionAttribute(voiceUserSchema),
      extensionAttribute(mailboxSchema),
    ],
    extensions: [ENTERPRISE_USER_SCHEMA, VOICE_USER_SCHEMA, MAILBOX_USER_SCHEMA],
    accepted: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, VOICE_USER_SCHEMA, MAILBOX_USER_SCHEMA],
  },
  Group: {
    core: GROUP_SCHEMA,
    attributes: coreAttributes(SCIMMY.Schemas.Group.definition),
    extensions: [],
    accepted: [GROUP_SCHEMA, MICROSOFT_GROUP_SCHEMA],
  },
};

export function coreSchemaOf(resourceType: ResourceType): string {
  return RESOURCE_SCHEMAS[resourceType].core;
}

export function extensionSchemasOf(resourceType: ResourceType): string[] {
  return RESOURCE_SCHEMAS[resourceType].extensions;
}

/** The canonical spelling of a URN the resource type accepts in `schemas`, or undefined. */
export function acceptedSchema(resourceType: ResourceType, urn: string): string | undefined {
  return RESOURCE_SCHEMAS[resourceType].accepted.find((accepted) => sameName(accepted, urn));
}

/** Top-level attributes of a resource type, extensions included as complex attributes named by their URN. */
export function rootAttributes(resourceType: ResourceType): AttributeDefinition[] {
  return RESOURCE_SCHEMAS[resourceType].attributes;
}

/** SCIM attribute names are case-insensitive (RFC 7643 §2.1). */
export function findChild(attributes: AttributeDefinition[] | undefined, name: string): AttributeDefinition | undefined {
  return attributes?.find((attribute) => sameName(attribute.name, name));
}

export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * Finds an attribute from a SCIM attribute path (RFC 7644 §3.10): `userName`, `name.familyName`,
 * `urn:…:enterprise:2.0:User:manager.value`, `urn:…:core:2.0:User:userName` or an extension URN itself.
 * Names are matched case-insensitively; the result carries the canonical names.
 */
export function findAttribute(resourceType: ResourceType, path: string): ResolvedAttribute | undefined {
  const { core, extensions } = RESOURCE_SCHEMAS[resourceType];
  const extension = extensions.find((urn) => sameName(urn, path) || startsWithName(path, `${urn}:`));
  if (extension) {
    const rest = path.slice(extension.length + 1);
    return walk(rootAttributes(resourceType), rest === '' ? [extension] : [extension, ...rest.split('.')]);
  }
  const unprefixed = startsWithName(path, `${core}:`) ? path.slice(core.length + 1) : path;
  return walk(rootAttributes(resourceType), unprefixed.split('.'));
}

function startsWithName(path: string, prefix: string): boolean {
  return path.toLowerCase().startsWith(prefix.toLowerCase());
}

function walk(attributes: AttributeDefinition[], names: string[]): ResolvedAttribute | undefined {
  const path: string[] = [];
  let scope: AttributeDefinition[] | undefined = attributes;
  let parent: AttributeDefinition | undefined;
  let definition: AttributeDefinition | undefined;
  for (const name of names) {
    parent = definition;
    definition = findChild(scope, name);
    if (!definition) return undefined;
    path.push(definition.name);
    scope = definition.subAttributes;
  }
  return definition && { path, definition, ...(parent ? { parent } : {}) };
}

const SCHEMA_PATH = '/Schemas';

/** The documents of GET /Schemas (RFC 7643 §7). */
export function schemaDocuments(): object[] {
  return [
    plain(SCIMMY.Schemas.User.definition.describe(SCHEMA_PATH)),
    plain(SCIMMY.Schemas.EnterpriseUser.definition.describe(SCHEMA_PATH)),
    voiceUserSchema,
    mailboxSchema,
    plain(SCIMMY.Schemas.Group.definition.describe(SCHEMA_PATH)),
  ];
}

const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';

/** The documents of GET /ResourceTypes (RFC 7643 §6). */
export function resourceTypeDocuments(): object[] {
  return (['User', 'Group'] as const).map((resourceType) => {
    const { id, name, endpoint, description, schema } = resourceDescription(resourceType);
    return {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id,
      name,
      endpoint,
      description,
      schema,
      schemaExtensions: extensionSchemasOf(resourceType).map((urn) => ({ schema: urn, required: false })),
      meta: { resourceType: 'ResourceType', location: `/ResourceTypes/${name}` },
    };
  });
}

function resourceDescription(resourceType: ResourceType) {
  return (resourceType === 'User' ? SCIMMY.Resources.User : SCIMMY.Resources.Group).describe() as { id: string; name: string; endpoint: string; description: string; schema: string };
}
