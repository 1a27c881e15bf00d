import type { Filter } from 'scim2-parse-filter';
import { parseFilter as parseTokens, tokenizer, Tokens, type Token } from 'scim2-parse-filter/lib/src/parser.js';
import { isScimError, scimError } from './errors.js';

export type { Filter } from 'scim2-parse-filter';

const COMPARISON_OPERATORS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const LITERALS = new Set(['true', 'false', 'null']);

/**
 * Parses RFC 7644 §3.4.2.2 filter text into scim2-parse-filter's syntax tree, with errors a
 * person can act on. The library's precedence (not > and > or), grouping and `not (…)` are
 * right; its tokens are fixed up first (see `repairTokens`) and `attr[filter].sub op value`
 * is rewritten so the condition applies to one element (see `moveSubAttributeIntoBrackets`).
 */
export function parseFilterText(text: string): Filter {
  const tokens = moveSubAttributeIntoBrackets(repairTokens(tokenize(text)));
  const list = new Tokens(tokens);
  try {
    const filter = parseTokens(list);
    if (list.peek().type !== 'EOT') throw syntaxError(text, tokens, list.i);
    return filter;
  } catch (error) {
    // The library's messages name no position; the token it was reading is the one before `list.i`.
    throw isScimError(error) ? error : syntaxError(text, tokens, list.i - 1);
  }
}

function tokenize(text: string): Token[] {
  try {
    return tokenizer(text);
  } catch (error) {
    const rest = String((error as Error).message).replace(/^unexpected token /, '');
    throw scimError(400, 'invalidFilter', `Filter '${text}' cannot be read from ${rest}: values must be double-quoted strings, numbers, true, false or null`);
  }
}

/**
 * - The tokenizer doubles every backslash not followed by a quote, so `"a\\b"` became `a\\b`
 *   and `"a\\"` could not be read at all: undo it, leaving standard JSON string escapes.
 * - An unquoted `True`/`False` (as some clients send) is not JSON: lower-case value literals.
 * - Any other unquoted word after an operator (`userName sw O`, `meta.created gt 2015-10-10T…`,
 *   as Microsoft's SCIM test collection sends) is read as the string it spells: RFC 7644 asks for
 *   quotes, but refusing costs clients more than reading it does.
 */
function repairTokens(tokens: Token[]): Token[] {
  return tokens.map((token, index) => {
    if (token.type === 'Quoted') return { ...token, literal: token.literal.replace(/\\\\/g, '\\') };
    const previous = tokens[index - 1]?.literal.toLowerCase();
    if (token.type === 'Word' && previous && COMPARISON_OPERATORS.has(previous)) {
      if (LITERALS.has(token.literal.toLowerCase())) return { ...token, literal: token.literal.toLowerCase() };
      return { type: 'Quoted', literal: JSON.stringify(token.literal) };
    }
    return token;
  });
}

/**
 * The library turns `emails[type eq "work"].value eq "x"` into `emails[type eq "work"] and
 * emails.value eq "x"`, which a different element could satisfy. Rewrite the tokens to
 * `emails[(type eq "work") and value eq "x"]` instead.
 */
function moveSubAttributeIntoBrackets(tokens: Token[]): Token[] {
  const close = tokens.findIndex((token, index) => token.literal === '].' && tokens[index + 1]?.type === 'Word');
  if (close < 0) return tokens;
  const open = tokens.slice(0, close).map((token) => token.literal).lastIndexOf('[');
  const operator = tokens[close + 2]?.literal.toLowerCase() ?? '';
  const conditionEnd = close + (operator === 'pr' ? 3 : 4);
  if (open < 0 || !(COMPARISON_OPERATORS.has(operator) || operator === 'pr')) return tokens;
  const bracket = (literal: string): Token => ({ type: 'Bracket', literal });
  return moveSubAttributeIntoBrackets([
    ...tokens.slice(0, open + 1),
    bracket('('),
    ...tokens.slice(open + 1, close),
    bracket(')'),
    { type: 'Word', literal: 'and' },
    ...tokens.slice(close + 1, conditionEnd),
    bracket(']'),
    ...tokens.slice(conditionEnd),
  ]);
}

function syntaxError(text: string, tokens: Token[], failingIndex: number): Error {
  const index = Math.min(Math.max(failingIndex, 0), tokens.length - 1);
  const failing = tokens[index]!;
  const previous = tokens[index - 1];
  const expected = expectationAt(tokens, index);
  const detail =
    failing.type !== 'EOT'
      ? `Filter '${text}' has an unexpected '${failing.literal}'${previous ? ` after '${previous.literal}'` : ''}: expected ${expected}`
      : previous
        ? `Filter '${text}' is incomplete: expected ${expected} after '${previous.literal}'`
        : 'Filter is empty: expected a condition such as userName eq "someone@example.com"';
  return scimError(400, 'invalidFilter', detail);
}

type Expecting = 'operand' | 'operator' | 'value' | 'connector';

/** Replays the grammar up to `index` to say what could have come there. */
function expectationAt(tokens: Token[], index: number): string {
  let expecting: Expecting = 'operand';
  const open: string[] = [];
  for (const { literal } of tokens.slice(0, index)) {
    const word = literal.toLowerCase();
    if (word === '(' || word === '[') open.push(word);
    if (word === ')' || word.startsWith(']')) open.pop();
    expecting = nextExpectation(expecting, word);
  }
  return describe(expecting, open.at(-1));
}

function nextExpectation(expecting: Expecting, word: string): Expecting {
  switch (expecting) {
    case 'operand':
      return word === '(' || word === 'not' ? 'operand' : 'operator';
    case 'operator':
      if (word === '[') return 'operand';
      return word === 'pr' ? 'connector' : 'value';
    case 'value':
      return 'connector';
    case 'connector':
      return word === 'and' || word === 'or' ? 'operand' : 'connector';
  }
}

function describe(expecting: Expecting, innermostOpen: string | undefined): string {
  switch (expecting) {
    case 'operand':
      return "an attribute name, 'not' or '('";
    case 'operator':
      return 'an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr)';
    case 'value':
      return 'a value (a double-quoted string, a number, true, false or null)';
    case 'connector':
      return `'and', 'or' or ${innermostOpen === '(' ? "')'" : innermostOpen === '[' ? "']'" : 'the end of the filter'}`;
  }
}
