import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ActiveMQError } from '../../../lib/errors/activemq-error.js';
import { SelectorSyntaxError, compileSelector, parseSelector } from '../../../lib/selector/index.js';

/** The SelectorSyntaxError parsing `selector` throws (fails the test if it parses). */
function refusal(selector: string): SelectorSyntaxError {
  try {
    parseSelector(selector);
  } catch (error) {
    expect(error).toBeInstanceOf(SelectorSyntaxError);
    return error as SelectorSyntaxError;
  }
  throw new Error(`${JSON.stringify(selector)} parsed`);
}

describe('SelectorSyntaxError', () => {
  it('says what was expected, where, in plain words; names the selector; has the code SELECTOR_SYNTAX', () => {
    const error = refusal('region = ');
    expect(error.message).toBe('invalid selector "region = ": expected an expression at offset 9');
    expect(error.offset).toBe(9);
    expect(error.selector).toBe('region = ');
    expect(error.code).toBe('SELECTOR_SYNTAX');
    expect(error.name).toBe('SelectorSyntaxError');
    expect(error).toBeInstanceOf(ActiveMQError);
  });

  it.each<[string, number, string]>([
    // Unterminated strings and comments.
    ["a = 'abc", 4, 'unterminated string literal'],
    ["a = 'it''s", 4, 'unterminated string literal'],
    ["a = 'x' /* c", 8, 'unterminated comment'],
    // Missing operands.
    ['= 5', 0, 'expected an expression but found "="'],
    ['a = 1 +', 7, 'expected an expression'],
    ['a = 1 AND', 9, 'expected an expression'],
    ['a = 1 OR OR b = 2', 9, 'expected an expression but found "OR"'],
    ['NOT', 3, 'expected an expression'],
    ['a BETWEEN 1', 11, 'expected an operator or AND'],
    ['a BETWEEN 1 AND', 15, 'expected an expression'],
    ['a IN ()', 6, 'expected a string literal but found ")"'],
    ["a IN ('x',)", 10, 'expected a string literal but found ")"'],
    ["a IN ('x'", 9, 'expected "," or ")"'],
    ['a IN (1)', 6, 'expected a string literal but found "1"'],
    ['a LIKE', 6, 'expected a string literal'],
    ['a LIKE b', 7, 'expected a string literal but found "b"'],
    ["a LIKE 'x' ESCAPE", 17, 'expected a string literal'],
    ['a IS', 4, 'expected NOT or NULL'],
    ['a IS 5', 5, 'expected NOT or NULL but found "5"'],
    ['a NOT b', 6, 'expected BETWEEN, IN or LIKE but found "b"'],
    // Unknown operators.
    ['a == 1', 3, 'expected an expression but found "="'],
    ['a != 1', 2, 'expected an operator or the end of the selector but found "!"'],
    ['a ! 1', 2, 'expected an operator or the end of the selector but found "!"'],
    ['a.b = 1', 1, 'expected an operator or the end of the selector but found "."'],
    // Trailing garbage.
    ['a = 1 b', 6, 'expected an operator or the end of the selector but found "b"'],
    ['a = 1)', 5, 'expected an operator or the end of the selector but found ")"'],
    ["a = 1 'x'", 6, 'expected an operator or the end of the selector but found "\'x\'"'],
    ['a = 1 ; DROP TABLE', 6, 'expected an operator or the end of the selector but found ";"'],
    ['a = 5abc', 5, 'expected an operator or the end of the selector but found "abc"'],
    ['a = 1\u0000', 5, 'expected an operator or the end of the selector but found "\\u0000"'],
    ['(a = 1', 6, 'expected an operator or ")"'],
    // Literals.
    ['a = 09', 5, 'expected an operator or the end of the selector but found "9"'],
    ['a = 0x', 5, 'expected an operator or the end of the selector but found "x"'],
    ['a = 1.2.3', 7, 'expected an operator or the end of the selector but found "."'],
    ['a = 9223372036854775808', 4, 'the number 9223372036854775808 is larger than a Java long (9223372036854775807)'],
    ['a = 0x8000000000000000', 4, 'the number 0x8000000000000000 is larger than a Java long (9223372036854775807)'],
    ['a = \u00a01', 4, 'expected an expression but found "\\u00a0"'],
    // A keyword is no identifier.
    ['AND = 1', 0, 'expected an expression but found "AND"'],
    ['not = 1', 4, 'expected an expression but found "="'],
    // What Classic's parser refuses besides the grammar.
    ['5', 0, 'expected a condition, found a value (a condition compares, or is an identifier, TRUE or FALSE)'],
    ["'x'", 0, 'expected a condition, found a value (a condition compares, or is an identifier, TRUE or FALSE)'],
    ['a + b', 0, 'expected a condition, found a value (a condition compares, or is an identifier, TRUE or FALSE)'],
    ['NOT 5', 4, 'expected a condition, found a value (a condition compares, or is an identifier, TRUE or FALSE)'],
    ['a AND 5', 6, 'expected a condition, found a value (a condition compares, or is an identifier, TRUE or FALSE)'],
    ['x = NULL', 4, 'NULL cannot be compared with = (use IS NULL)'],
    ['NULL <> x', 0, 'NULL cannot be compared with <> (use IS NOT NULL)'],
    ['TRUE = 1', 0, 'TRUE cannot be compared with 1'],
    ["FALSE = 'a'", 0, "FALSE cannot be compared with 'a'"],
    ["'a' > 1", 0, "the string 'a' cannot be an operand of > (only numbers and identifiers can)"],
    ["1 <= 'a'", 5, "the string 'a' cannot be an operand of <= (only numbers and identifiers can)"],
    ["x BETWEEN 'a' AND 'z'", 10, "the string 'a' cannot be an operand of BETWEEN (only numbers and identifiers can)"],
    ['x > TRUE', 4, 'TRUE cannot be an operand of > (only numbers and identifiers can)'],
    ['x < NULL', 4, 'NULL cannot be an operand of < (only numbers and identifiers can)'],
    ['(x = 1) < 2', 1, 'a condition cannot be an operand of < (only numbers and identifiers can)'],
    ['1 < 2 < 3', 0, 'a condition cannot be an operand of < (only numbers and identifiers can)'],
    ["x + 1 IN ('a')", 0, 'IN applies to an identifier only'],
    ["'a' NOT IN ('a')", 0, 'NOT IN applies to an identifier only'],
    ["a LIKE 'x' ESCAPE ''", 18, "the ESCAPE character must be one character, got ''"],
    ["a LIKE 'x' ESCAPE 'xy'", 18, "the ESCAPE character must be one character, got 'xy'"],
  ])('%j: %s, at offset %s', (selector, offset, problem) => {
    const error = refusal(selector);
    expect(error.offset).toBe(offset);
    expect(error.message).toBe(`invalid selector ${JSON.stringify(selector)}: ${problem} at offset ${offset}`);
  });

  it('refuses an empty or blank selector', () => {
    for (const selector of ['', '   ', '\t\n']) {
      const error = refusal(selector);
      expect(error.offset).toBe(0);
      expect(error.message).toBe(`invalid selector ${JSON.stringify(selector)}: the selector is empty at offset 0`);
    }
    expect(refusal('/* only a comment */').message).toBe('invalid selector "/* only a comment */": expected an expression at offset 20');
  });

  it('refuses a selector longer than 4096 characters, quoting only its start', () => {
    const longest = `a IN (${Array.from({ length: 681 }, (_, i) => `'${String(i).padStart(3, '0')}'`).join(',')})`.padEnd(4096, ' ');
    expect(longest.length).toBe(4096);
    expect(parseSelector(longest).matches({ headers: { a: '680' } })).toBe(true);
    const tooLong = `${longest} `;
    const error = refusal(tooLong);
    expect(error.offset).toBe(4096);
    expect(error.selector).toBe(tooLong);
    expect(error.message).toBe(`invalid selector ${JSON.stringify(tooLong.slice(0, 200))}…: longer than 4096 characters (4097) at offset 4096`);
  });

  it('refuses parentheses nested more than 256 deep, before parsing them', () => {
    const deepest = `${'('.repeat(256)}a = 1${')'.repeat(256)}`;
    expect(parseSelector(deepest).matches({ headers: { a: '1' } })).toBe(true);
    const error = refusal(`${'('.repeat(257)}a = 1${')'.repeat(257)}`);
    expect(error.offset).toBe(256);
    expect(error.message).toMatch(/: parentheses nested more than 256 deep at offset 256$/);
    // Parentheses in strings and comments are not counted.
    expect(parseSelector(`a = '${'('.repeat(1000)}' /* ${'('.repeat(1000)} */`).matches({ headers: { a: '('.repeat(1000) } })).toBe(true);
  });

  it('refuses operators nested more than 256 deep (NOT NOT …, - - …, 1 + 1 + …)', () => {
    const nots = refusal(`${'NOT '.repeat(300)}a`);
    expect(nots.message).toMatch(/: operators nested more than 256 deep at offset \d+$/);
    expect(refusal(`${'- '.repeat(300)}1 = 1`).message).toMatch(/: operators nested more than 256 deep at offset \d+$/);
    expect(refusal(`a = ${'1 + '.repeat(300)}1`).message).toMatch(/: operators nested more than 256 deep at offset \d+$/);
    // 255 are fine; and a long AND or OR chain is one level, whatever its length.
    expect(parseSelector(`${'NOT '.repeat(254)}a = 1`).matches({ headers: { a: '1' } })).toBe(true);
    const ors = Array.from({ length: 400 }, (_, i) => `a=${i}`).join(' OR ');
    expect(parseSelector(ors).matches({ headers: { a: '399' } })).toBe(true);
  });

  it('never throws anything else, and never hangs, whatever the text', () => {
    const pieces = fc.constantFrom(
      '(',
      ')',
      "'",
      "''",
      'a',
      'NOT',
      'AND',
      'OR',
      'IN',
      'LIKE',
      'ESCAPE',
      'BETWEEN',
      'IS',
      'NULL',
      'TRUE',
      '=',
      '<>',
      '<',
      '>=',
      '+',
      '-',
      '*',
      '/',
      '%',
      ',',
      ' ',
      '1',
      '1.5',
      '0x1',
      '/*',
      '*/',
      '--',
      '\n',
      'é',
      '😀',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.array(pieces, { maxLength: 30 }).map((p) => p.join('')),
        ),
        (text) => {
          try {
            const selector = parseSelector(text);
            expect(typeof selector.matches({ headers: { a: '1' } })).toBe('boolean');
          } catch (error) {
            expect(error).toBeInstanceOf(SelectorSyntaxError);
            const { offset } = error as SelectorSyntaxError;
            expect(offset === undefined || (offset >= 0 && offset <= text.length)).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('compileSelector refuses what parseSelector refuses', () => {
    expect(() => compileSelector('region = ')).toThrow(new SelectorSyntaxError('region = ', 9, 'expected an expression'));
  });
});
