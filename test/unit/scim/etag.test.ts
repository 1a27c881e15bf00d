import { describe, expect, it } from 'vitest';
import { etagOf, expectedVersionsOf, holdsVersion } from '../../../src/scim/etag.js';

describe('versions on the wire (RFC 7644 §3.14)', () => {
  it('a version is the weak ETag W/"n"', () => {
    expect(etagOf(7)).toBe('W/"7"');
  });

  it.each([
    [undefined, undefined],
    ['', undefined],
    [' * ', undefined],
    ['W/"12"', [12]],
    ['"12"', [12]],
    ['W/"1" ,"2",W/"3"', [1, 2, 3]],
    // Only the exact tags the service issues: no leading zeros, no lower-case w/, no bare numbers.
    ['W/"012"', []],
    ['w/"12"', []],
    ['12', []],
    ['W/"99999999999999999999"', []],
  ])('If-Match %j accepts the versions %j', (ifMatch, versions) => {
    expect(expectedVersionsOf(ifMatch)).toEqual(versions);
  });

  it.each([
    ['W/"3"', 3, true],
    ['W/"2", W/"3"', 3, true],
    ['"3"', 3, false],
    [undefined, 3, false],
  ])('If-None-Match %j holds version %d: %s', (ifNoneMatch, version, held) => {
    expect(holdsVersion(ifNoneMatch, version)).toBe(held);
  });
});
