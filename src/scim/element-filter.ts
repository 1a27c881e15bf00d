import type { Json, JsonObject } from '../kernel/json.js';
import { scimError } from './errors.js';
import { parseFilterText, type Filter } from './filter-syntax.js';
import { findChild, type AttributeDefinition } from './schemas.js';
import { isPlainObject, parseBooleanText } from './values.js';
import { excerpt } from '../kernel/excerpt.js';

/** A value filter on the elements of a complex attribute: the `type eq "work"` of `emails[type eq "work"]`. */
export interface ElementFilter {
  matches(element: Json): boolean;
  /**
   * The element the filter describes when it is only `eq` conditions joined by `and`
   * (`type eq "mobile"` → `{ type: "mobile" }`), so that an add or replace can create it.
   */
  template: JsonObject | undefined;
}

type Compare = Extract<Filter, { compValue: unknown }>;
type Primitive = Compare['compValue'];

/**
 * Compiles `text` against the sub-attributes of `parent`. Comparisons follow RFC 7644 §3.4.2.2:
 * strings are compared case-insensitively unless the sub-attribute is caseExact (unlike
 * scim2-parse-filter's own tester, which is always case-sensitive).
 */
export function elementFilter(parent: AttributeDefinition, text: string): ElementFilter {
  const filter = parseFilterText(text);
  const fail = (problem: string) => scimError(400, 'invalidFilter', `Filter '${excerpt(text)}' on ${parent.name} cannot be used: ${problem}`);
  const predicate = compile(filter, parent, fail);
  return { matches: (element) => isPlainObject(element) && predicate(element), template: templateOf(filter, parent) };
}

type Predicate = (element: JsonObject) => boolean;
type Fail = (problem: string) => Error;

function compile(filter: Filter, parent: AttributeDefinition, fail: Fail): Predicate {
  switch (filter.op) {
    case 'and': {
      const operands = filter.filters.map((operand) => compile(operand, parent, fail));
      return (element) => operands.every((operand) => operand(element));
    }
    case 'or': {
      const operands = filter.filters.map((operand) => compile(operand, parent, fail));
      return (element) => operands.some((operand) => operand(element));
    }
    case 'not': {
      const operand = compile(filter.filter, parent, fail);
      return (element) => !operand(element);
    }
    case 'pr': {
      const { name } = subAttribute(parent, filter.attrPath, fail);
      return (element) => isPresent(element[name]);
    }
    case '[]':
      throw fail(`'${filter.attrPath}[…]' cannot be nested inside a filter on ${parent.name}`);
    default:
      return compileComparison(filter, subAttribute(parent, filter.attrPath, fail), fail);
  }
}

function subAttribute(parent: AttributeDefinition, path: string, fail: Fail): AttributeDefinition {
  const definition = findSubAttribute(parent, path);
  if (!definition) throw fail(`'${excerpt(path, 60)}' is not a sub-attribute of ${parent.name}`);
  return definition;
}

/** Inside `emails[…]` names are relative (`type`), though some clients repeat the parent (`emails.type`). */
function findSubAttribute(parent: AttributeDefinition, path: string): AttributeDefinition | undefined {
  const relative = path.toLowerCase().startsWith(`${parent.name.toLowerCase()}.`) ? path.slice(parent.name.length + 1) : path;
  return findChild(parent.subAttributes, relative);
}

function isPresent(value: Json | undefined): boolean {
  return value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0);
}

function compileComparison({ op, compValue }: Compare, definition: AttributeDefinition, fail: Fail): Predicate {
  if (compValue === null) {
    if (op !== 'eq' && op !== 'ne') throw fail(`only eq and ne can compare ${definition.name} with null`);
    return (element) => isPresent(element[definition.name]) === (op === 'ne');
  }
  const expected = comparable(definition, compValue);
  if (expected === undefined) throw fail(`${JSON.stringify(compValue)} cannot be compared with ${definition.name}, a ${definition.type}`);
  if (typeof expected === 'boolean' && op !== 'eq' && op !== 'ne') throw fail(`${definition.name} is a boolean: use eq or ne, not ${op}`);
  return (element) => {
    const actual = comparable(definition, element[definition.name]);
    return actual === undefined ? op === 'ne' : compare(op, actual, expected);
  };
}

type Comparable = string | number | boolean;

function comparable(definition: AttributeDefinition, value: Json | Primitive | undefined): Comparable | undefined {
  if (value === null || value === undefined || typeof value === 'object') return undefined;
  switch (definition.type) {
    case 'boolean':
      return typeof value === 'string' ? parseBooleanText(value) : typeof value === 'boolean' ? value : undefined;
    case 'dateTime': {
      const time = typeof value === 'string' ? Date.parse(value) : NaN;
      return Number.isNaN(time) ? undefined : time;
    }
    case 'integer':
    case 'decimal':
      return typeof value === 'number' ? value : undefined;
    default:
      return definition.caseExact ? String(value) : String(value).toLowerCase();
  }
}

function compare(op: Compare['op'], actual: Comparable, expected: Comparable): boolean {
  switch (op) {
    case 'eq':
      return actual === expected;
    case 'ne':
      return actual !== expected;
    case 'co':
      return String(actual).includes(String(expected));
    case 'sw':
      return String(actual).startsWith(String(expected));
    case 'ew':
      return String(actual).endsWith(String(expected));
    case 'gt':
      return actual > expected;
    case 'ge':
      return actual >= expected;
    case 'lt':
      return actual < expected;
    case 'le':
      return actual <= expected;
  }
}

function templateOf(filter: Filter, parent: AttributeDefinition): JsonObject | undefined {
  if (filter.op === 'and') {
    const parts = filter.filters.map((operand) => templateOf(operand, parent));
    return parts.every((part) => part !== undefined) ? Object.assign({}, ...parts) : undefined;
  }
  if (filter.op !== 'eq' || filter.compValue === null) return undefined;
  const definition = findSubAttribute(parent, filter.attrPath);
  if (!definition) return undefined;
  const value = definition.type === 'boolean' && typeof filter.compValue === 'string' ? parseBooleanText(filter.compValue) : filter.compValue;
  return value === undefined ? undefined : { [definition.name]: value };
}
