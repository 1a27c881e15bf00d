import type { ListQuery } from '../persistence/query.js';
import { scimError } from '../scim/errors.js';
import { parseFilter, resolveSortBy } from '../scim/filter.js';
import { excerpt } from '../kernel/excerpt.js';

/**
 * Largest `startIndex` taken as given; a larger one is read as this (the page is empty either
 * way), so no store is asked to skip past what its integers hold.
 */
export const MAX_START_INDEX = 2_147_483_647;

export type ResourceType = 'User' | 'Group';

export interface ListRequest {
  query: ListQuery;
  attributes?: string;
  excludedAttributes?: string;
}

type Params = Record<string, unknown>;

/**
 * Reads the list parameters of RFC 7644 §3.4.2 from a query string (GET) or a
 * SearchRequest body (POST /.search). `count` is capped at the advertised maximum.
 */
export function readListRequest(resourceType: ResourceType, params: Params, maxPageSize: number): ListRequest {
  const filter = optionalText(params, 'filter');
  const sortBy = optionalText(params, 'sortBy');
  const count = optionalInteger(params, 'count');
  return {
    query: {
      filter: filter === undefined ? undefined : parseFilter(resourceType, filter),
      sortBy: sortBy === undefined ? undefined : resolveSortBy(resourceType, sortBy),
      sortOrder: readSortOrder(optionalText(params, 'sortOrder')),
      startIndex: Math.min(Math.max(1, optionalInteger(params, 'startIndex') ?? 1), MAX_START_INDEX),
      count: Math.min(Math.max(0, count ?? maxPageSize), maxPageSize),
    },
    attributes: attributeList(params, 'attributes'),
    excludedAttributes: attributeList(params, 'excludedAttributes'),
  };
}

function readSortOrder(value: string | undefined): ListQuery['sortOrder'] {
  if (value === undefined) return undefined;
  const normalised = value.toLowerCase();
  if (normalised === 'ascending' || normalised === 'descending') return normalised;
  throw scimError(400, 'invalidValue', `sortOrder must be "ascending" or "descending", not "${excerpt(value)}"`);
}

function optionalText(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw scimError(400, 'invalidValue', `${name} must be a single text value`);
  return value;
}

function optionalInteger(params: Params, name: string): number | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(number)) throw scimError(400, 'invalidValue', `${name} must be an integer, not "${excerpt(String(value))}"`);
  return number;
}

/** `attributes` is a comma-separated string in a query and an array in a SearchRequest. */
export function attributeList(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(',');
  if (typeof value === 'string') return value;
  throw scimError(400, 'invalidValue', `${name} must be a comma-separated list of attribute names`);
}
