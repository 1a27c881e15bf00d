import type { FilterNode, ListQuery, SearchableAttribute } from '../query.js';

export interface Sql {
  sql: string;
  params: unknown[];
}

const COLUMNS: Record<NonNullable<SearchableAttribute['column']>, string> = {
  id: 'id',
  userNameLower: 'user_name_lower',
  displayNameLower: 'display_name_lower',
  externalId: 'external_id',
  created: 'created',
  lastModified: 'last_modified',
};

/** `['urn:…:User', 'manager', 'value']` → `$."urn:…:User"."manager"."value"` (keys may hold colons). */
export function jsonPath(path: string[]): string {
  return `$${path.map((key) => `."${key.replace(/"/g, '\\"')}"`).join('')}`;
}

/** Compiles the SCIM filter tree into a parametrised WHERE clause over the `resource` JSON column. */
export function compileFilter(node: FilterNode, element?: string): Sql {
  switch (node.kind) {
    case 'and':
    case 'or': {
      const parts = node.operands.map((operand) => compileFilter(operand, element));
      return { sql: `(${parts.map((p) => p.sql).join(` ${node.kind.toUpperCase()} `)})`, params: parts.flatMap((p) => p.params) };
    }
    case 'not': {
      const inner = compileFilter(node.operand, element);
      return { sql: `NOT COALESCE(${inner.sql}, 0)`, params: inner.params };
    }
    case 'element': {
      const inner = compileFilter(node.filter, 'e.value');
      const scan: Sql = { sql: `EXISTS (SELECT 1 FROM json_each(resource, ?) e WHERE ${inner.sql})`, params: [jsonPath(node.parent.split('.')), ...inner.params] };
      const indexed = (node.filter.kind === 'and' ? node.filter.operands : [node.filter]).flatMap((conjunct) => (conjunct.kind === 'compare' ? indexedEquality(conjunct.attribute, conjunct.op, conjunct.value) ?? [] : []));
      return indexed.length === 0 ? scan : { sql: `(${[...indexed, scan].map((part) => part.sql).join(' AND ')})`, params: [...indexed, scan].flatMap((part) => part.params) };
    }
    case 'present':
      return present(node.attribute, element);
    case 'compare':
      return compare(node.attribute, node.op, node.value, element);
  }
}

/** RFC 7644 `pr`: has a value that is not null, not an empty string and not an empty array. */
function present(attribute: SearchableAttribute, element?: string): Sql {
  if (attribute.column) return { sql: `(${COLUMNS[attribute.column]} IS NOT NULL AND ${COLUMNS[attribute.column]} != '')`, params: [] };
  const check = (source: string): Sql => ({
    sql: `(json_type(${source}, ?) IN ('true', 'false', 'integer', 'real', 'object') OR (json_type(${source}, ?) = 'text' AND json_extract(${source}, ?) != '') OR (json_type(${source}, ?) = 'array' AND json_array_length(${source}, ?) > 0))`,
    params: Array(5).fill(jsonPath(attribute.path)),
  });
  if (element) return check(element);
  if (!attribute.multiValuedParent) return check('resource');
  const inner = check('e.value');
  return { sql: `EXISTS (SELECT 1 FROM json_each(resource, ?) e WHERE ${inner.sql})`, params: [jsonPath(attribute.multiValuedParent.split('.')), ...inner.params] };
}

/**
 * Case-insensitive `emails.value eq` through the `user_emails` table (lower-cased on write, indexed),
 * instead of scanning every user's JSON.
 */
function indexedEquality(attribute: SearchableAttribute, op: string, raw: string | number | boolean | null): Sql | undefined {
  if (attribute.name !== 'emails.value' || op !== 'eq' || typeof raw !== 'string') return undefined;
  return { sql: 'id IN (SELECT user_id FROM user_emails WHERE email_lower = ?)', params: [raw.toLowerCase()] };
}

function compare(attribute: SearchableAttribute, op: string, raw: string | number | boolean | null, element?: string): Sql {
  const indexed = element === undefined ? indexedEquality(attribute, op, raw) : undefined;
  if (indexed) return indexed;
  if (op === 'ne') {
    const equal = compare(attribute, 'eq', raw, element);
    return { sql: `NOT COALESCE(${equal.sql}, 0)`, params: equal.params };
  }
  return onAttribute(attribute, element, (value) => {
    if (raw === null) return { sql: `${value.sql} IS NULL`, params: value.params };
    const insensitive = attribute.type === 'string' || attribute.type === 'reference' ? !attribute.caseExact : false;
    // The *_lower columns are already lower-case: comparing them bare keeps their index usable.
    const lowerColumn = attribute.column === 'userNameLower' || attribute.column === 'displayNameLower';
    const left = insensitive && !lowerColumn ? `lower(${value.sql})` : value.sql;
    const operand = typeof raw === 'boolean' ? (raw ? 1 : 0) : insensitive ? String(raw).toLowerCase() : raw;
    switch (op) {
      case 'eq':
        return { sql: `${left} = ?`, params: [...value.params, operand] };
      case 'co':
        return like(left, value.params, `%${escapeLike(String(operand))}%`);
      case 'sw':
        return like(left, value.params, `${escapeLike(String(operand))}%`);
      case 'ew':
        return like(left, value.params, `%${escapeLike(String(operand))}`);
      default:
        return { sql: `${left} ${{ gt: '>', ge: '>=', lt: '<', le: '<=' }[op]} ?`, params: [...value.params, operand] };
    }
  });
}

function like(left: string, params: unknown[], pattern: string): Sql {
  return { sql: `${left} LIKE ? ESCAPE '\\'`, params: [...params, pattern] };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Applies `condition` to the attribute's value: a column, a JSON path in the resource, or, for a
 * sub-attribute of a multi-valued attribute, any element (EXISTS over json_each).
 */
function onAttribute(attribute: SearchableAttribute, element: string | undefined, condition: (value: Sql) => Sql): Sql {
  if (attribute.column) return condition({ sql: COLUMNS[attribute.column], params: [] });
  if (element) return condition({ sql: `json_extract(${element}, ?)`, params: [jsonPath(attribute.path)] });
  if (!attribute.multiValuedParent) return condition({ sql: 'json_extract(resource, ?)', params: [jsonPath(attribute.path)] });
  const inner = condition({ sql: 'json_extract(e.value, ?)', params: [jsonPath(attribute.path)] });
  return { sql: `EXISTS (SELECT 1 FROM json_each(resource, ?) e WHERE ${inner.sql})`, params: [jsonPath(attribute.multiValuedParent.split('.')), ...inner.params] };
}

/** ORDER BY the sort attribute (missing values last when ascending), then id for stable pages. */
export function compileOrder(query: ListQuery): Sql {
  if (!query.sortBy) return { sql: 'ORDER BY created, id', params: [] };
  const direction = query.sortOrder === 'descending' ? 'DESC' : 'ASC';
  const value: Sql = query.sortBy.column ? { sql: COLUMNS[query.sortBy.column], params: [] } : { sql: 'json_extract(resource, ?)', params: [jsonPath(query.sortBy.path)] };
  const sortable = query.sortBy.caseExact || query.sortBy.type !== 'string' ? value.sql : `lower(${value.sql})`;
  return { sql: `ORDER BY (${value.sql} IS NULL) ${direction === 'ASC' ? 'ASC' : 'DESC'}, ${sortable} ${direction}, id`, params: [...value.params, ...value.params] };
}
