/**
 * The query language the SCIM layer hands to a store: a validated filter tree over
 * searchable attributes, plus sort and page. Each adapter translates it into its
 * own database query (MongoDB query document / SQL), so filtering, sorting,
 * counting and paging all happen in the database.
 */

export type ComparisonOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

export type AttributeType = 'string' | 'boolean' | 'dateTime' | 'integer' | 'decimal' | 'reference';

/**
 * Where a searchable attribute lives in a stored record.
 * - `column` is a top-level record field the store indexes (`userNameLower`, `externalId`, ...).
 * - otherwise `path` is the JSON path inside `record.resource`; when `multiValuedParent` is set,
 *   `path` is relative to each element of that array (e.g. parent `emails`, path `value`).
 */
export interface SearchableAttribute {
  /** Canonical SCIM name, e.g. `name.familyName`, `emails.value`. */
  name: string;
  type: AttributeType;
  caseExact: boolean;
  column?: 'id' | 'userNameLower' | 'displayNameLower' | 'externalId' | 'created' | 'lastModified';
  multiValuedParent?: string;
  path: string[];
}

export type FilterNode =
  | { kind: 'and'; operands: FilterNode[] }
  | { kind: 'or'; operands: FilterNode[] }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'present'; attribute: SearchableAttribute }
  | { kind: 'compare'; op: ComparisonOperator; attribute: SearchableAttribute; value: string | number | boolean | null }
  /** `emails[type eq "work" and value co "@x"]`: one element must satisfy the whole inner filter. */
  | { kind: 'element'; parent: string; filter: FilterNode };

export interface ListQuery {
  filter?: FilterNode;
  sortBy?: SearchableAttribute;
  sortOrder?: 'ascending' | 'descending';
  /** 1-based, as in SCIM. */
  startIndex: number;
  count: number;
}

export interface ListResult<R> {
  totalResults: number;
  records: R[];
}
