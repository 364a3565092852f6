// A selector's text to its tree, or a SelectorSyntaxError that says what was expected where.
import { MAX_DEPTH, Refusal, builders, type ExpressionNode } from './ast.js';
import { SelectorSyntaxError } from './errors.js';
import { selectorParser } from './grammar.js';

/** The longest selector taken, in UTF-16 code units (JavaScript's string length). */
export const MAX_SELECTOR_LENGTH = 4096;

/** What peggy's SyntaxError lists as expected at the failure (its `expected` entries). */
interface Expectation {
  readonly type: string;
  readonly text?: string;
  readonly description?: string;
}

/** Parses `text`; throws SelectorSyntaxError. */
export function parseTree(text: string): ExpressionNode {
  if (typeof text !== 'string') throw new SelectorSyntaxError(String(text), undefined, `a selector is a string, got ${typeof text}`);
  if (text.length > MAX_SELECTOR_LENGTH) throw new SelectorSyntaxError(text, MAX_SELECTOR_LENGTH, `longer than ${MAX_SELECTOR_LENGTH} characters (${text.length})`);
  if (text.trim() === '') throw new SelectorSyntaxError(text, 0, 'the selector is empty');
  const tooDeep = tooDeepParenthesis(text);
  if (tooDeep !== undefined) throw new SelectorSyntaxError(text, tooDeep, `parentheses nested more than ${MAX_DEPTH} deep`);
  const parser = selectorParser();
  try {
    return parser.parse(text, { b: builders }) as ExpressionNode;
  } catch (error) {
    if (error instanceof Refusal) throw new SelectorSyntaxError(text, error.offset, error.problem);
    // The bounds keep the parser's recursion far from the stack's limit; should a caller already
    // be deep in the stack, the selector is still refused cleanly.
    if (error instanceof RangeError) throw new SelectorSyntaxError(text, undefined, 'nested too deeply to parse here');
    if (error instanceof parser.SyntaxError) {
      const offset = error.location.start.offset;
      throw new SelectorSyntaxError(text, offset, `expected ${expectedWords(error.expected)}${found(text, offset)}`);
    }
    throw error;
  }
}

/**
 * Where the first parenthesis nested more than MAX_DEPTH deep opens, if one does. The grammar
 * recurses once per parenthesis, so this is checked before parsing; string literals and comments
 * are skipped as the grammar skips them.
 */
function tooDeepParenthesis(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (code === 40) {
      depth++;
      if (depth > MAX_DEPTH) return i;
    } else if (code === 41) {
      if (depth > 0) depth--;
    } else if (code === 39 || (code === 47 && next === 42) || (code === 45 && next === 45)) {
      const end = skipped(text, i, code);
      // An unterminated string or comment: nothing after it counts (and the parser will say so).
      if (end < 0) return undefined;
      i = end;
    }
  }
  return undefined;
}

/** Where the string literal or comment starting at `start` ends (its last character); -1 if it does not; for `--` without a line break after it (two minus signs), `start`. */
function skipped(text: string, start: number, code: number): number {
  if (code === 39) return text.indexOf("'", start + 1);
  if (code === 47) {
    const close = text.indexOf('*/', start + 2);
    return close < 0 ? -1 : close + 1;
  }
  for (let i = start + 2; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return i;
  }
  return start;
}

/** How the descriptions of what may come next are ordered in a message. */
const RANK: Readonly<Record<string, number>> = { 'an expression': 0, 'a string literal': 1, 'an operator': 2, 'the end of the selector': 9 };

/** Peggy's list of what was expected, in words: "an operator or the end of the selector". */
function expectedWords(expected: readonly Expectation[] | null): string {
  const words = new Set<string>();
  for (const expectation of expected ?? []) {
    if (expectation.type === 'other' && expectation.description !== undefined) words.add(expectation.description);
    else if (expectation.type === 'literal' && expectation.text !== undefined) words.add(JSON.stringify(expectation.text));
    else if (expectation.type === 'end') words.add('the end of the selector');
    else words.add('a character');
  }
  const sorted = [...words].sort((a, b) => (RANK[a] ?? 5) - (RANK[b] ?? 5) || a.localeCompare(b));
  if (sorted.length === 0) return 'something else';
  return sorted.length === 1 ? sorted[0]! : `${sorted.slice(0, -1).join(', ')} or ${sorted[sorted.length - 1]}`;
}

/** A word, a string literal (at most 20 characters of it), or one character. */
const TOKEN = /[\p{L}\p{N}_$]+|'(?:[^']|''){0,18}'?|[^]/uy;
/** Characters a message shows escaped: controls, format characters and spaces other than the plain one. */
const INVISIBLE = /[\p{C}\p{Z}]/gu;

/** ` but found "b"`: the word (or string, or character) at the failure; nothing at the end of the text. */
function found(text: string, offset: number): string {
  if (offset >= text.length) return '';
  TOKEN.lastIndex = offset;
  const token = TOKEN.exec(text)?.[0] ?? text.charAt(offset);
  const shown = JSON.stringify(token).replace(INVISIBLE, (char) => (char === ' ' ? char : `\\u${char.codePointAt(0)!.toString(16).padStart(4, '0')}`));
  return ` but found ${shown}`;
}
