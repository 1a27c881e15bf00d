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
 * How many elements of a multi-valued attribute an `emails[…]` filter looks at. FerretDB v1
 * implements `$elemMatch` only for arrays of scalars, so one element's conditions are checked
 * together by addressing each position (`resource.emails.0.type`, …) in turn.
 */
export const ELEMENT_FILTER_DEPTH = 20;

/**
 * Compiles the SCIM filter tree into a MongoDB query. Case-insensitive matching uses anchored,
 * escaped regular expressions or the lower-case columns: FerretDB has no collations.
 * Inside `emails[…]` (an `element` node) fields are relative to the element at `element`.
 */
export function compileMongoFilter(node: FilterNode, element?: string): Query {
  switch (node.kind) {
    case 'and':
      return { $and: node.operands.map((operand) => compileMongoFilter(operand, element)) };
    case 'or':
      return { $or: node.operands.map((operand) => compileMongoFilter(operand, element)) };
    case 'not':
      return { $nor: [compileMongoFilter(node.operand, element)] };
    case 'element': {
      const parent = `resource.${node.parent.split('.').map(escapeKey).join('.')}`;
      const positions = Array.from({ length: ELEMENT_FILTER_DEPTH }, (_, index) => `${parent}.${index}`);
      return { $or: positions.map((position) => ({ $and: [{ [position]: { $exists: true } }, compileMongoFilter(node.filter, position)] })) };
    }
    case 'present': {
      const field = fieldOf(node.attribute, element);
      const notEmptyArray = node.attribute.column ? [] : [{ [field]: { $ne: [] } }];
      return { $and: [{ [field]: { $exists: true } }, { [field]: { $ne: null } }, { [field]: { $ne: '' } }, ...notEmptyArray] };
    }
    case 'compare':
      return compare(node.attribute, node.op, node.value, element);
  }
}

function compare(attribute: SearchableAttribute, op: string, value: string | number | boolean | null, element?: string): Query {
  const field = fieldOf(attribute, element);
  if (op === 'ne') return { $nor: [compare(attribute, 'eq', value, element)] };
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return op === 'eq' ? { [field]: value } : { [field]: { [ORDERING[op]!]: value } };
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
  if (element) return [element, ...attribute.path.map(escapeKey)].join('.');
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
