import type { FilterNode, ListQuery, SearchableAttribute } from '../query.js';
import { escapeKey } from './field-names.js';

type Query = Record<string, unknown>;

const FIELDS: Record<NonNullable<SearchableAttribute['column']>, string> = {
  id: 'id',
  userNameLower: 'userNameLower',
  displayNameLower: 'displayNameLower',
  externalId: 'externalId',
  created: 'created',
  lastModified: 'lastModified',
};

/**
 * FerretDB v1 only: how many elements of a multi-valued attribute an `emails[…]` filter looks at.
 * FerretDB v1.24 refuses `$elemMatch` on arrays of documents ("unknown operator: type") and
 * `$and`/`$or`/`$nor` inside `$elemMatch` ("not implemented yet"), so there one element's
 * conditions are checked together by addressing each position (`resource.emails.0.type`, …).
 */
export const ELEMENT_FILTER_DEPTH = 20;

/**
 * Case-insensitive multi-valued sub-attributes kept lower-cased in a field of their own on write
 * (`emailsLower`), so that `eq` on them is an indexed lookup instead of a `$regex` with `i`.
 */
export const LOWER_CASE_FIELDS: Record<string, string> = { 'emails.value': 'emailsLower' };

export interface FilterOptions {
  /** The server evaluates `$elemMatch` on arrays of documents (MongoDB; not FerretDB v1). */
  elementMatch: boolean;
}

/**
 * Compiles the SCIM filter tree into a MongoDB query. Case-insensitive `eq` uses the lower-case
 * fields (`userNameLower`, `displayNameLower`, `emailsLower`); other case-insensitive matches use
 * anchored, escaped regular expressions: FerretDB has no collations.
 * Inside `emails[…]` (an `element` node) fields are relative to the element at `element`.
 */
export function compileMongoFilter(node: FilterNode, options: FilterOptions, element?: string): Query {
  switch (node.kind) {
    case 'and':
      return { $and: node.operands.map((operand) => compileMongoFilter(operand, options, element)) };
    case 'or':
      return { $or: node.operands.map((operand) => compileMongoFilter(operand, options, element)) };
    case 'not':
      return { $nor: [compileMongoFilter(node.operand, options, element)] };
    case 'element':
      return { $and: [...indexedEqualities(node), elementMatch(node, options)] };
    case 'present': {
      const field = fieldOf(node.attribute, element);
      const notEmptyArray = node.attribute.column ? [] : [{ [field]: { $ne: [] } }];
      return { $and: [{ [field]: { $exists: true } }, { [field]: { $ne: null } }, { [field]: { $ne: '' } }, ...notEmptyArray] };
    }
    case 'compare':
      return compare(node.attribute, node.op, node.value, element);
  }
}

/** One element must satisfy the whole inner filter: `$elemMatch`, or position by position on FerretDB v1. */
function elementMatch(node: Extract<FilterNode, { kind: 'element' }>, options: FilterOptions): Query {
  const parent = `resource.${node.parent.split('.').map(escapeKey).join('.')}`;
  if (options.elementMatch) return { [parent]: { $elemMatch: compileMongoFilter(node.filter, options, '') } };
  const positions = Array.from({ length: ELEMENT_FILTER_DEPTH }, (_, index) => `${parent}.${index}`);
  return { $or: positions.map((position) => ({ $and: [{ [position]: { $exists: true } }, compileMongoFilter(node.filter, options, position)] })) };
}

/**
 * `emails[type eq "work" and value eq "x"]`: the `value eq` conjunct also matches on `emailsLower`,
 * which an index serves, so only the few candidates are checked element by element.
 */
function indexedEqualities(node: Extract<FilterNode, { kind: 'element' }>): Query[] {
  const conjuncts = node.filter.kind === 'and' ? node.filter.operands : [node.filter];
  return conjuncts.flatMap((conjunct) => {
    if (conjunct.kind !== 'compare' || conjunct.op !== 'eq' || typeof conjunct.value !== 'string') return [];
    const lowerField = LOWER_CASE_FIELDS[`${node.parent}.${conjunct.attribute.path.join('.')}`];
    return lowerField ? [{ [lowerField]: conjunct.value.toLowerCase() }] : [];
  });
}

function compare(attribute: SearchableAttribute, op: string, value: string | number | boolean | null, element?: string): Query {
  const field = fieldOf(attribute, element);
  if (op === 'ne') return { $nor: [compare(attribute, 'eq', value, element)] };
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return op === 'eq' ? { [field]: value } : { [field]: { [ORDERING[op]!]: value } };
  const lowerField = element === undefined && attribute.multiValuedParent ? LOWER_CASE_FIELDS[attribute.name] : undefined;
  if (op === 'eq' && lowerField) return { [lowerField]: value.toLowerCase() };
  const lowerColumn = attribute.column === 'userNameLower' || attribute.column === 'displayNameLower';
  const insensitive = !attribute.caseExact && !lowerColumn && (attribute.type === 'string' || attribute.type === 'reference');
  const text = lowerColumn ? value.toLowerCase() : value;
  const pattern = { eq: `^${escape(text)}$`, co: escape(text), sw: `^${escape(text)}`, ew: `${escape(text)}$` }[op as 'eq' | 'co' | 'sw' | 'ew'];
  if (pattern === undefined) return { [field]: { [ORDERING[op]!]: text } };
  if (op === 'eq' && !insensitive) return { [field]: text };
  return { [field]: { $regex: pattern, ...(insensitive ? { $options: 'i' } : {}) } };
}

const ORDERING: Record<string, string> = { gt: '$gt', ge: '$gte', lt: '$lt', le: '$lte' };

function fieldOf(attribute: SearchableAttribute, element?: string): string {
  if (attribute.column) return FIELDS[attribute.column];
  if (element !== undefined) return [...(element ? [element] : []), ...attribute.path.map(escapeKey)].join('.');
  const path = attribute.multiValuedParent ? [...attribute.multiValuedParent.split('.'), ...attribute.path] : attribute.path;
  return `resource.${path.map(escapeKey).join('.')}`;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function compileMongoSort(query: ListQuery): Record<string, 1 | -1> {
  const direction = query.sortOrder === 'descending' ? -1 : 1;
  if (!query.sortBy) return { created: 1, id: 1 };
  return { [fieldOf(query.sortBy)]: direction, id: 1 };
}
