import type { AttributeType, ComparisonOperator, FilterNode, SearchableAttribute } from '../persistence/query.js';
import { scimError } from './errors.js';
import { parseFilterText, type Filter } from './filter-syntax.js';
import { parseBooleanText } from './values.js';
import { excerpt } from '../kernel/excerpt.js';
import { ENTERPRISE_USER_SCHEMA, findAttribute, type ResolvedAttribute, type ResourceType } from './schemas.js';

type Column = NonNullable<SearchableAttribute['column']>;

/** What a store can filter and sort on; any other attribute (members, password, …) is refused. */
const SEARCHABLE: Record<ResourceType, [path: string, column?: Column][]> = {
  User: [
    ['id', 'id'],
    ['externalId', 'externalId'],
    ['userName', 'userNameLower'],
    ['displayName'],
    ['nickName'],
    ['title'],
    ['userType'],
    ['active'],
    ['name.givenName'],
    ['name.familyName'],
    ['name.formatted'],
    ['emails.value'],
    ['emails.type'],
    ['emails.primary'],
    ['phoneNumbers.value'],
    ['phoneNumbers.type'],
    ...['type', 'locality', 'region', 'postalCode', 'country', 'streetAddress', 'formatted'].map((sub): [string] => [`addresses.${sub}`]),
    ['meta.created', 'created'],
    ['meta.lastModified', 'lastModified'],
    ...['employeeNumber', 'department', 'division', 'costCenter', 'organization', 'manager.value'].map((name): [string] => [`${ENTERPRISE_USER_SCHEMA}:${name}`]),
  ],
  Group: [
    ['id', 'id'],
    ['externalId', 'externalId'],
    ['displayName', 'displayNameLower'],
    ['meta.created', 'created'],
    ['meta.lastModified', 'lastModified'],
  ],
};

const CATALOGUE = {
  User: catalogue('User'),
  Group: catalogue('Group'),
} satisfies Record<ResourceType, Map<string, SearchableAttribute>>;

function catalogue(resourceType: ResourceType): Map<string, SearchableAttribute> {
  return new Map(
    SEARCHABLE[resourceType].map(([path, column]) => {
      const attribute = searchable(findAttribute(resourceType, path)!, column);
      return [attribute.name.toLowerCase(), attribute];
    }),
  );
}

function searchable({ path, definition, parent }: ResolvedAttribute, column: Column | undefined): SearchableAttribute {
  const inMultiValued = parent?.multiValued === true;
  return {
    name: canonicalName(path),
    type: definition.type as AttributeType,
    caseExact: definition.caseExact,
    ...(column ? { column } : {}),
    ...(inMultiValued ? { multiValuedParent: parent.name } : {}),
    path: inMultiValued ? [definition.name] : path,
  };
}

/** `['name','familyName']` → `name.familyName`; extension attributes keep their URN prefix. */
function canonicalName(path: string[]): string {
  const [first, ...rest] = path;
  return first!.startsWith('urn:') ? `${first}:${rest.join('.')}` : path.join('.');
}

interface Scope {
  resourceType: ResourceType;
  text: string;
  /** Set inside `emails[…]`: attribute names there are relative to it. */
  parent?: string;
}

/**
 * Parses a `filter` parameter into the store's filter tree (RFC 7644 §3.4.2.2). Attribute names
 * are case-insensitive; values are normalised (dateTime to UTC ISO, "True"/"False" to booleans).
 */
export function parseFilter(resourceType: ResourceType, text: string): FilterNode {
  return toNode(parseFilterText(text), { resourceType, text });
}

function toNode(filter: Filter, scope: Scope): FilterNode {
  switch (filter.op) {
    case 'and':
    case 'or':
      return { kind: filter.op, operands: filter.filters.map((operand) => toNode(operand, scope)) };
    case 'not':
      return { kind: 'not', operand: toNode(filter.filter, scope) };
    case 'pr':
      return { kind: 'present', attribute: searchableAttribute(filter.attrPath, scope) };
    case '[]':
      return elementNode(filter.attrPath, filter.valFilter, scope);
    default:
      return compareNode(filter.op, filter.attrPath, filter.compValue, scope);
  }
}

function elementNode(parentPath: string, inner: Filter, scope: Scope): FilterNode {
  if (scope.parent) throw invalidFilter(scope, `'${parentPath}[…]' cannot be nested inside '${scope.parent}[…]'`);
  const parent = findAttribute(scope.resourceType, parentPath);
  if (parent?.definition.type !== 'complex') {
    throw invalidFilter(scope, `'${parentPath}[…]' needs a complex attribute such as emails, phoneNumbers or addresses`);
  }
  const name = canonicalName(parent.path);
  const filter = toNode(inner, { ...scope, parent: name });
  return parent.definition.multiValued ? { kind: 'element', parent: name, filter } : filter;
}

function compareNode(op: ComparisonOperator, path: string, value: unknown, scope: Scope): FilterNode {
  const attribute = searchableAttribute(path, scope);
  return { kind: 'compare', op, attribute, value: comparisonValue(op, attribute, value, scope) };
}

function searchableAttribute(path: string, scope: Scope): SearchableAttribute {
  const fullPath = scope.parent ? `${scope.parent}.${path}` : path;
  const attribute = lookupSearchable(scope.resourceType, fullPath);
  if (!attribute) {
    throw invalidFilter(scope, `the attribute '${excerpt(fullPath, 60)}' cannot be searched; ${scope.resourceType} filters can use ${searchableNames(scope.resourceType)}`);
  }
  return attribute;
}

function lookupSearchable(resourceType: ResourceType, path: string): SearchableAttribute | undefined {
  const resolved = findAttribute(resourceType, path);
  if (!resolved) return undefined;
  const name = canonicalName(resolved.path);
  // A bare multi-valued attribute stands for its value (RFC 7644 §3.4.2.2: `emails co "@x"`).
  const candidate = resolved.definition.multiValued && resolved.definition.type === 'complex' ? `${name}.value` : name;
  return CATALOGUE[resourceType].get(candidate.toLowerCase());
}

function searchableNames(resourceType: ResourceType): string {
  return [...CATALOGUE[resourceType].values()].map((attribute) => attribute.name.replace(`${ENTERPRISE_USER_SCHEMA}:`, '')).join(', ');
}

type CompValue = string | number | boolean | null;

const SUBSTRING = new Set<ComparisonOperator>(['co', 'sw', 'ew']);

function comparisonValue(op: ComparisonOperator, attribute: SearchableAttribute, value: unknown, scope: Scope): CompValue {
  if (value === null) {
    if (op === 'eq' || op === 'ne') return null;
    throw invalidFilter(scope, `'${attribute.name} ${op} null' compares with null; only eq and ne can`);
  }
  switch (attribute.type) {
    case 'boolean':
      return booleanValue(op, attribute, value, scope);
    case 'dateTime':
      return dateTimeValue(op, attribute, value, scope);
    default:
      if (typeof value === 'boolean') throw invalidFilter(scope, `${attribute.name} is text: compare it with a double-quoted string, not ${value}`);
      return String(value);
  }
}

function booleanValue(op: ComparisonOperator, attribute: SearchableAttribute, value: unknown, scope: Scope): boolean {
  if (op !== 'eq' && op !== 'ne') throw invalidFilter(scope, `${attribute.name} is a boolean: it can only be compared with eq or ne, not ${op}`);
  const parsed = typeof value === 'boolean' ? value : typeof value === 'string' ? parseBooleanText(value) : undefined;
  if (parsed === undefined) throw invalidFilter(scope, `${attribute.name} is a boolean: compare it with true or false, not ${excerpt(JSON.stringify(value), 60)}`);
  return parsed;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/i;

function dateTimeValue(op: ComparisonOperator, attribute: SearchableAttribute, value: unknown, scope: Scope): string {
  if (SUBSTRING.has(op)) throw invalidFilter(scope, `${attribute.name} is a dateTime: use eq, ne, gt, ge, lt or le, not ${op}`);
  const date = typeof value === 'string' && ISO_DATE_TIME.test(value) ? new Date(/(Z|[+-]\d{2}:\d{2})$/i.test(value) ? value : `${value}Z`) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw invalidFilter(scope, `${excerpt(JSON.stringify(value), 60)} is not a dateTime; ${attribute.name} needs a value like "2015-10-10T14:38:21Z"`);
  }
  return date.toISOString();
}

function invalidFilter(scope: Scope, problem: string) {
  return scimError(400, 'invalidFilter', `Filter '${excerpt(scope.text)}' cannot be used: ${problem}`);
}

/**
 * Resolves `sortBy` (RFC 7644 §3.4.2.3) to a searchable attribute. The RFC does not say what an
 * unknown attribute should do; we answer 400 invalidValue (RFC 7644 §3.12: "the value specified
 * was not compatible") rather than silently returning an unsorted page the client would trust.
 * Multi-valued attributes are refused as well: their "primary value, else first value" order
 * cannot be expressed as an index sort by every store.
 */
export function resolveSortBy(resourceType: ResourceType, sortBy: string): SearchableAttribute {
  const attribute = lookupSearchable(resourceType, sortBy);
  if (!attribute) throw scimError(400, 'invalidValue', `sortBy '${excerpt(sortBy)}' is not an attribute ${resourceType}s can be sorted by; use one of ${searchableNames(resourceType)}`);
  if (attribute.multiValuedParent) throw scimError(400, 'invalidValue', `sortBy '${excerpt(sortBy)}' is multi-valued; sort by a single-valued attribute such as ${resourceType === 'User' ? 'userName' : 'displayName'}`);
  return attribute;
}
