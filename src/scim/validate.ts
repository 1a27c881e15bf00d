import type { JsonObject } from '../kernel/json.js';
import type { Member } from '../directory/directory-port.js';
import { scimError } from './errors.js';
import { acceptedSchema, coreSchemaOf, extensionSchemasOf, rootAttributes, type AttributeDefinition, type ResourceType } from './schemas.js';
import { isPlainObject, isStored, readMembers, readObject } from './values.js';

export type WriteMode = 'create' | 'replace';

/**
 * Reads a POST or PUT body (RFC 7644 §3.3, §3.5.1) into the resource to store: client-owned
 * attributes under their canonical names, values as sent. `id`, `meta`, `password`, read-only
 * attributes (the voice-portal extension) and unknown attributes are dropped without error, as
 * SCIM clients expect. Group `members` are not part of it: see `readGroupBody`.
 */
export function readResourceBody(resourceType: ResourceType, body: unknown, mode: WriteMode): JsonObject {
  const verb = mode === 'create' ? 'create' : 'replace';
  if (!isPlainObject(body)) throw scimError(400, 'invalidSyntax', `The body to ${verb} a ${resourceType} must be a JSON object`);
  const schemas = readSchemas(resourceType, body.schemas);
  const resource: JsonObject = { schemas, ...readObject(storedRootAttributes(resourceType), body, '') };
  assertRequired(resourceType, resource, `to ${verb} a ${resourceType}`);
  return withExtensionSchemas(resourceType, resource);
}

/** A Group body: the group's own attributes, and its members, which are stored apart from it. */
export function readGroupBody(body: unknown, mode: WriteMode): { resource: JsonObject; members: Member[] } {
  const resource = readResourceBody('Group', body, mode);
  return { resource, members: readMembers((body as Record<string, unknown>).members) };
}

/** `schemas` is read on its own; group members are stored apart from the group. */
const HELD_APART = new Set(['schemas', 'members']);

/** Root attributes kept in a stored resource. */
function storedRootAttributes(resourceType: ResourceType): AttributeDefinition[] {
  return rootAttributes(resourceType).filter((attribute) => isStored(attribute) && !HELD_APART.has(attribute.name));
}

function readSchemas(resourceType: ResourceType, schemas: unknown): string[] {
  const core = coreSchemaOf(resourceType);
  if (!Array.isArray(schemas) || !schemas.every((urn) => typeof urn === 'string')) {
    throw scimError(400, 'invalidSyntax', `schemas must be an array of schema URNs, e.g. ["${core}"]`);
  }
  const accepted = schemas.map((urn) => acceptedSchema(resourceType, urn)).filter((urn) => urn !== undefined);
  if (!accepted.includes(core)) throw scimError(400, 'invalidValue', `schemas must include "${core}" for a ${resourceType}`);
  return [...new Set(accepted)];
}

/** RFC 7643 §3: `schemas` lists every extension whose attributes the resource holds. */
export function withExtensionSchemas(resourceType: ResourceType, resource: JsonObject): JsonObject {
  const schemas = (resource.schemas as string[] | undefined) ?? [coreSchemaOf(resourceType)];
  const present = extensionSchemasOf(resourceType).filter((urn) => resource[urn] !== undefined && !schemas.includes(urn));
  return present.length > 0 ? { ...resource, schemas: [...schemas, ...present] } : resource;
}

export function assertRequired(resourceType: ResourceType, resource: JsonObject, context: string): void {
  for (const attribute of storedRootAttributes(resourceType)) {
    const value = resource[attribute.name];
    if (attribute.required && (value === undefined || value === '')) throw scimError(400, 'invalidValue', `${attribute.name} is required ${context}`);
  }
}
