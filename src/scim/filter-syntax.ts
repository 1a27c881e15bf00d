import type { Filter } from 'scim2-parse-filter';
import { parseFilter as parseTokens, tokenizer, Tokens, type Token } from 'scim2-parse-filter/lib/src/parser.js';
import { isAppError } from '../kernel/app-error.js';
import { scimError } from './errors.js';
import { excerpt } from '../kernel/excerpt.js';

export type { Filter } from 'scim2-parse-filter';

const COMPARISON_OPERATORS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const LITERALS = new Set(['true', 'false', 'null']);

/**
 * What one filter may hold. Entra sends one condition; the longest filters clients send list a
 * few dozen ids joined by `or`. The caps bound the parse, the query a store builds (SQLite refuses
 * expressions deeper than 1000) and the work per request.
 */
export const FILTER_LIMITS = { maxChars: 4096, maxTerms: 100, maxNesting: 8 } as const;

/**
 * Parses RFC 7644 §3.4.2.2 filter text into scim2-parse-filter's syntax tree, with errors a
 * person can act on. The library's precedence (not > and > or), grouping and `not (…)` are
 * right; its tokens are fixed up first (see `repairTokens`) and `attr[filter].sub op value`
 * is rewritten so the condition applies to one element (see `moveSubAttributeIntoBrackets`).
 */
export function parseFilterText(text: string): Filter {
  assertFilterSize(text);
  const tokens = moveSubAttributeIntoBrackets(repairTokens(tokenize(text)));
  assertFilterShape(text, tokens);
  const list = new Tokens(tokens);
  try {
    const filter = parseTokens(list);
    if (list.peek().type !== 'EOT') throw syntaxError(text, tokens, list.i);
    return filter;
  } catch (error) {
    // The library's messages name no position; the token it was reading is the one before `list.i`.
    throw isAppError(error, 'scim') ? error : syntaxError(text, tokens, list.i - 1);
  }
}

/**
 * Before the tokenizer: its quoted-string pattern backtracks exponentially on line breaks in an
 * unclosed string, and a value never needs a raw one (JSON escapes `\n` work).
 */
function assertFilterSize(text: string): void {
  if (text.length > FILTER_LIMITS.maxChars) {
    throw scimError(400, 'invalidFilter', `Filter '${excerpt(text)}' is longer than the limit of ${FILTER_LIMITS.maxChars} characters`);
  }
  if (/[\r\n]/.test(text)) throw scimError(400, 'invalidFilter', `Filter '${excerpt(text)}' contains a line break; write it as \\n inside a quoted value`);
}

/** Term count and nesting, from the tokens (one pass), before the recursive parse. */
function assertFilterShape(text: string, tokens: Token[]): void {
  let terms = 0;
  let depth = 0;
  for (const { type, literal } of tokens) {
    const word = literal.toLowerCase();
    if (type === 'Word' && (COMPARISON_OPERATORS.has(word) || word === 'pr')) terms++;
    if (word === '(' || word === '[') depth++;
    if (word === ')' || word.startsWith(']')) depth--;
    if (depth > FILTER_LIMITS.maxNesting) throw scimError(400, 'invalidFilter', `Filter '${excerpt(text)}' nests parentheses and brackets deeper than the limit of ${FILTER_LIMITS.maxNesting}`);
  }
  if (terms > FILTER_LIMITS.maxTerms) throw scimError(400, 'invalidFilter', `Filter '${excerpt(text)}' has ${terms} conditions; the limit is ${FILTER_LIMITS.maxTerms}`);
}

function tokenize(text: string): Token[] {
  try {
    return tokenizer(text);
  } catch (error) {
    const rest = String((error as Error).message).replace(/^unexpected token /, '');
    throw scimError(400, 'invalidFilter', `Filter '${excerpt(text)}' cannot be read from ${excerpt(rest, 40)}: values must be double-quoted strings, numbers, true, false or null`);
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
      ? `Filter '${excerpt(text)}' has an unexpected '${excerpt(failing.literal, 40)}'${previous ? ` after '${excerpt(previous.literal, 40)}'` : ''}: expected ${expected}`
      : previous
        ? `Filter '${excerpt(text)}' is incomplete: expected ${expected} after '${excerpt(previous.literal, 40)}'`
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
