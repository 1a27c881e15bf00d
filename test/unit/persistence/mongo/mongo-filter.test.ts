import { describe, expect, it } from 'vitest';
import { compileMongoFilter, ELEMENT_FILTER_DEPTH } from '../../../../src/persistence/mongo/mongo-filter.js';
import type { FilterNode, SearchableAttribute } from '../../../../src/persistence/query.js';

const EMAIL_TYPE: SearchableAttribute = { name: 'emails.type', type: 'string', caseExact: false, multiValuedParent: 'emails', path: ['type'] };
const EMAIL_VALUE: SearchableAttribute = { name: 'emails.value', type: 'string', caseExact: false, multiValuedParent: 'emails', path: ['value'] };
const entraLookup: FilterNode = {
  kind: 'element',
  parent: 'emails',
  filter: { kind: 'and', operands: [{ kind: 'compare', op: 'eq', attribute: EMAIL_TYPE, value: 'work' }, { kind: 'compare', op: 'eq', attribute: EMAIL_VALUE, value: 'Jane@Contoso.com' }] },
};

describe('MongoDB filter compilation', () => {
  it('emails[type eq "work"].value eq …: an indexed emailsLower match plus one $elemMatch, with no position limit, on MongoDB', () => {
    const query = compileMongoFilter(entraLookup, { elementMatch: true });
    expect(query).toEqual({
      $and: [
        { emailsLower: 'jane@contoso.com' },
        { 'resource.emails': { $elemMatch: { $and: [{ type: { $regex: '^work$', $options: 'i' } }, { value: { $regex: '^Jane@Contoso\\.com$', $options: 'i' } }] } } },
      ],
    });
  });

  it('FerretDB v1 (no $elemMatch on documents): the same lookup addresses positions 0-19, still behind the indexed emailsLower match', () => {
    const query = compileMongoFilter(entraLookup, { elementMatch: false }) as { $and: [unknown, { $or: unknown[] }] };
    expect(query.$and[0]).toEqual({ emailsLower: 'jane@contoso.com' });
    expect(query.$and[1].$or).toHaveLength(ELEMENT_FILTER_DEPTH);
  });

  it('case-insensitive emails.value eq outside an element filter is the indexed field alone, never a regular expression', () => {
    expect(compileMongoFilter({ kind: 'compare', op: 'eq', attribute: EMAIL_VALUE, value: 'JANE@contoso.com' }, { elementMatch: true })).toEqual({ emailsLower: 'jane@contoso.com' });
    expect(compileMongoFilter({ kind: 'compare', op: 'ne', attribute: EMAIL_VALUE, value: 'JANE@contoso.com' }, { elementMatch: true })).toEqual({ $nor: [{ emailsLower: 'jane@contoso.com' }] });
  });
});
