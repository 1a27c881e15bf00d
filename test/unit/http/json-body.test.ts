import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds } from '../../../src/http/json-body.js';
import { excerpt } from '../../../src/kernel/excerpt.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('jsonDepthExceeds: the depth budget read from the raw body', () => {
  it.each([
    ['a flat object', '{"a":1,"b":[1,2]}', 2, false],
    ['exactly at the limit', '[[[1]]]', 3, false],
    ['one level past the limit', '[[[[1]]]]', 3, true],
    ['siblings do not add up', '[[1],[2],[3],{"a":[4]}]', 3, false],
    ['brackets inside strings are text', '{"a":"[[[[[[{{{{"}', 1, false],
    ['an escaped quote does not end the string', '{"a":"\\"[[[[[[\\""}', 1, false],
    ['an escaped backslash before the closing quote does', '{"a":"\\\\","b":[[[1]]]}', 2, true],
    ['multi-byte UTF-8 never reads as a bracket', '{"名前":"[ñ]","b":[1]}', 2, false],
    ['10,000 levels', `${'['.repeat(10_000)}${']'.repeat(10_000)}`, 32, true],
  ])('%s', (_name, text, limit, exceeds) => {
    expect(jsonDepthExceeds(bytes(text), limit)).toBe(exceeds);
  });
});

describe('excerpt: what an error detail quotes of the input', () => {
  it('keeps short text as it is', () => expect(excerpt('userName eq "a"')).toBe('userName eq "a"'));
  it('cuts long text to the limit, saying how long it was', () => {
    const quoted = excerpt('x'.repeat(20_000), 100);
    expect(quoted.length).toBeLessThanOrEqual(100);
    expect(quoted).toMatch(/^x+… \(20000 characters\)$/);
  });
});
