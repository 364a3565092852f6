import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { selectorParser } from '../../../lib/selector/grammar.js';
import { compileSelector, parseSelector, type SelectorMessage } from '../../../lib/selector/index.js';

type Truth = 'TRUE' | 'FALSE' | 'UNKNOWN';

/** The selector's three-valued result: TRUE when it selects the message, FALSE when NOT (it) does, else UNKNOWN. */
function truth(selector: string, headers: Record<string, string> = {}, deliveryCount?: number): Truth {
  const message: SelectorMessage = deliveryCount === undefined ? { headers } : { headers, deliveryCount };
  if (parseSelector(selector).matches(message)) return 'TRUE';
  return parseSelector(`NOT (${selector})`).matches(message) ? 'FALSE' : 'UNKNOWN';
}

describe('three-valued logic', () => {
  // An operand of each value: x is 'a', missing is absent.
  const operand: Record<Truth, string> = { TRUE: "x = 'a'", FALSE: "x = 'b'", UNKNOWN: "missing = 'a'" };
  const values: Truth[] = ['TRUE', 'FALSE', 'UNKNOWN'];
  const and = (a: Truth, b: Truth): Truth => (a === 'FALSE' || b === 'FALSE' ? 'FALSE' : a === 'UNKNOWN' || b === 'UNKNOWN' ? 'UNKNOWN' : 'TRUE');
  const or = (a: Truth, b: Truth): Truth => (a === 'TRUE' || b === 'TRUE' ? 'TRUE' : a === 'UNKNOWN' || b === 'UNKNOWN' ? 'UNKNOWN' : 'FALSE');
  const pairs = values.flatMap((a) => values.map((b) => [a, b] as const));
  const headers = { x: 'a' };

  it.each(values)('the operands are what they say: %s', (value) => {
    expect(truth(operand[value], headers)).toBe(value);
  });

  it.each(pairs)('%s AND %s', (a, b) => {
    expect(truth(`${operand[a]} AND ${operand[b]}`, headers)).toBe(and(a, b));
  });

  it.each(pairs)('%s OR %s', (a, b) => {
    expect(truth(`${operand[a]} OR ${operand[b]}`, headers)).toBe(or(a, b));
  });

  it.each([
    ['TRUE', 'FALSE'],
    ['FALSE', 'TRUE'],
    ['UNKNOWN', 'UNKNOWN'],
  ] as const)('NOT %s is %s', (a, expected) => {
    expect(truth(`NOT ${operand[a]}`, headers)).toBe(expected);
  });

  it('chains of three, and of five, follow the same rules', () => {
    expect(truth(`${operand.TRUE} AND ${operand.UNKNOWN} AND ${operand.FALSE}`, headers)).toBe('FALSE');
    expect(truth(`${operand.TRUE} AND ${operand.TRUE} AND ${operand.UNKNOWN}`, headers)).toBe('UNKNOWN');
    expect(truth(`${operand.FALSE} OR ${operand.UNKNOWN} OR ${operand.TRUE}`, headers)).toBe('TRUE');
    expect(truth(`${operand.FALSE} OR ${operand.FALSE} OR ${operand.UNKNOWN} OR ${operand.FALSE} OR ${operand.FALSE}`, headers)).toBe('UNKNOWN');
  });

  it('the literals TRUE, FALSE and NULL are conditions of those values', () => {
    expect(truth('TRUE')).toBe('TRUE');
    expect(truth('false')).toBe('FALSE');
    expect(truth('NULL')).toBe('UNKNOWN');
    expect(truth('NULL OR TRUE')).toBe('TRUE');
    expect(truth('NULL AND FALSE')).toBe('FALSE');
  });

  it("Classic's = with NULLs: NULL = NULL is TRUE, a value = NULL is FALSE, NULL = a value is UNKNOWN", () => {
    expect(truth('missing = other')).toBe('TRUE');
    expect(truth("'x' = missing")).toBe('FALSE');
    expect(truth("missing = 'x'")).toBe('UNKNOWN');
    expect(truth('missing <> other')).toBe('FALSE');
    expect(truth("'x' <> missing")).toBe('TRUE');
    expect(truth("missing <> 'x'")).toBe('UNKNOWN');
  });

  it('a relational comparison, arithmetic, BETWEEN, LIKE and IN with a NULL operand are UNKNOWN; IS NULL never is', () => {
    for (const selector of [
      'missing > 1',
      '1 < missing',
      'missing + 1 = 2',
      '-missing = 1',
      'missing BETWEEN 1 AND 2',
      'missing NOT BETWEEN 1 AND 2',
      "missing LIKE 'a%'",
      "missing NOT LIKE 'a%'",
      "missing IN ('a')",
      "missing NOT IN ('a')",
    ]) {
      expect([selector, truth(selector)]).toEqual([selector, 'UNKNOWN']);
    }
    expect(truth('missing IS NULL')).toBe('TRUE');
    expect(truth('missing IS NOT NULL')).toBe('FALSE');
    expect(truth('(missing = 1) IS NULL')).toBe('TRUE');
  });
});

describe('every construct', () => {
  const h = { s: 'abc', n: '5', d: '2.5', q: "it's", t: 'true', e: '', Region: 'EU' };
  it.each<[string, Truth]>([
    // Literals.
    ["s = 'abc'", 'TRUE'],
    ["q = 'it''s'", 'TRUE'],
    ["e = ''", 'TRUE'],
    ['n = 5', 'TRUE'],
    ['n = 5L', 'TRUE'],
    ['n = 5l', 'TRUE'],
    ['n = 0x5', 'TRUE'],
    ['n = 0X05', 'TRUE'],
    ['n = 05', 'TRUE'],
    ['8 = 010', 'TRUE'],
    ['0 = 0', 'TRUE'],
    ['d = 2.5', 'TRUE'],
    ['d = 25e-1', 'TRUE'],
    ['d = 0.25E1', 'TRUE'],
    ['0.5 = .5', 'TRUE'],
    ['5. = 5', 'TRUE'],
    ['1e3 = 1000', 'TRUE'],
    ['t = true', 'TRUE'],
    ['t = True', 'TRUE'],
    ['TRUE = true', 'TRUE'],
    // Keywords in any case; identifiers are case-sensitive and may start like a keyword.
    ["s = 'abc' and n = 5", 'TRUE'],
    ["s = 'x' Or n = 5", 'TRUE'],
    ["not s = 'x'", 'TRUE'],
    ['n between 1 And 9', 'TRUE'],
    ["s like 'a%' escape '!'", 'TRUE'],
    ["s In ('abc')", 'TRUE'],
    ['missing is null', 'TRUE'],
    ["Region = 'EU'", 'TRUE'],
    ['region IS NULL', 'TRUE'],
    ['notes IS NULL AND order IS NULL AND android IS NULL AND isbn IS NULL AND india IS NULL AND nullable IS NULL', 'TRUE'],
    ['$x IS NULL AND _y IS NULL AND a$_1 IS NULL', 'TRUE'],
    // Comparisons.
    ['n = 5', 'TRUE'],
    ['n <> 5', 'FALSE'],
    ['n < 6', 'TRUE'],
    ['n <= 5', 'TRUE'],
    ['n > 5', 'FALSE'],
    ['n >= 5', 'TRUE'],
    ['n<>4', 'TRUE'],
    ['n>=5', 'TRUE'],
    ['s < Region', 'FALSE'],
    ['Region < s', 'TRUE'],
    // Arithmetic and its precedence.
    ['1 + 2 * 3 = 7', 'TRUE'],
    ['(1 + 2) * 3 = 9', 'TRUE'],
    ['10 - 2 - 3 = 5', 'TRUE'],
    ['12 / 2 / 3 = 2', 'TRUE'],
    ['7 / 2 = 3.5', 'TRUE'],
    ['7 % 3 = 1', 'TRUE'],
    ['-2 * 3 = -6', 'TRUE'],
    ['- -2 = 2', 'TRUE'],
    ['+2 = 2', 'TRUE'],
    // Unary minus of a string is NULL; arithmetic on strings is for numbers only (see the conversions below).
    ['-n IS NULL', 'TRUE'],
    ['2147483647 + 1 = -2147483648', 'TRUE'],
    ['2147483647L + 1 = -2147483648', 'TRUE'],
    ['2147483648 + 1 = 2147483649', 'TRUE'],
    ['1 / 0 > 1000000', 'TRUE'],
    ['-1 / 0 < -1000000', 'TRUE'],
    ["s + 'def' = 'abcdef'", 'TRUE'],
    ["s + 1 = 'abc1'", 'TRUE'],
    ["s + 0.001 = 'abc0.001'", 'TRUE'],
    ["s + 12345678.0 = 'abc1.2345678E7'", 'TRUE'],
    // BETWEEN.
    ['n BETWEEN 5 AND 5', 'TRUE'],
    ['n BETWEEN 6 AND 9', 'FALSE'],
    ['n NOT BETWEEN 6 AND 9', 'TRUE'],
    ['n BETWEEN 1 + 3 AND 2 * 3', 'TRUE'],
    // '2.5' against the int 2 is read as an int, and is none.
    ['d BETWEEN 2 AND 3', 'FALSE'],
    ['d BETWEEN 2.0 AND 3.0', 'TRUE'],
    ['n BETWEEN 1 AND 9 AND s = Region', 'FALSE'],
    // IN.
    ["s IN ('abc', 'def')", 'TRUE'],
    ["s IN ('ab')", 'FALSE'],
    ["s NOT IN ('ab', 'abcd')", 'TRUE'],
    ["q IN ('it''s')", 'TRUE'],
    ["n IN ('5')", 'TRUE'],
    // LIKE.
    ["s LIKE 'abc'", 'TRUE'],
    ["s LIKE 'a%'", 'TRUE'],
    ["s LIKE '%c'", 'TRUE'],
    ["s LIKE '%b%'", 'TRUE'],
    ["s LIKE 'a_c'", 'TRUE'],
    ["s LIKE '___'", 'TRUE'],
    ["s LIKE '__'", 'FALSE'],
    ["s LIKE 'A%'", 'FALSE'],
    ["s NOT LIKE 'x%'", 'TRUE'],
    ["e LIKE '%'", 'TRUE'],
    ["e LIKE '_'", 'FALSE'],
    // IS NULL.
    ['s IS NULL', 'FALSE'],
    ['s IS NOT NULL', 'TRUE'],
    ['e IS NOT NULL', 'TRUE'],
    // Precedence of the logical operators: NOT, then AND, then OR.
    ["s = 'x' AND n = 5 OR TRUE", 'TRUE'],
    ["TRUE OR s = 'x' AND FALSE", 'TRUE'],
    ["(TRUE OR s = 'x') AND FALSE", 'FALSE'],
    ['NOT FALSE AND FALSE', 'FALSE'],
    ['NOT (FALSE AND FALSE)', 'TRUE'],
    ['NOT NOT TRUE', 'TRUE'],
    ["NOT s = 'x' AND NOT n = 4", 'TRUE'],
    // Equality chains after the relational operators: (n > 4) = TRUE.
    ['n > 4 = TRUE', 'TRUE'],
    ['n = 5 = TRUE', 'TRUE'],
    ["s LIKE 'a%' = TRUE", 'TRUE'],
    // NOT inside an operand, as Classic allows it.
    ['TRUE = NOT FALSE', 'TRUE'],
    // An identifier as a condition is TRUE only for the boolean true: a 'true' header is a string.
    ['t', 'FALSE'],
    ['NOT t', 'TRUE'],
    ['missing', 'UNKNOWN'],
    ['t = TRUE AND n = 5', 'TRUE'],
    // Whitespace and comments.
    ["\t s\r\n=\f'abc' ", 'TRUE'],
    ["s = /* a comment */ 'abc'", 'TRUE'],
    ["s = 'abc' -- a comment to the line's end\n", 'TRUE'],
    // Without a line break, `--` is two minus signs: 4 - (-1).
    ['n = 4 --1', 'TRUE'],
  ])('%j is %s', (selector, expected) => {
    expect(truth(selector, h)).toBe(expected);
  });
});

describe('conversions of string headers (ActiveMQ Classic with STOMP)', () => {
  it.each<[string, Record<string, string>, Truth]>([
    ['n > 4', { n: '5' }, 'TRUE'],
    ['n = 5.0', { n: '5' }, 'TRUE'],
    ['n = 5', { n: '5.0' }, 'FALSE'],
    ['n > 4.5', { n: '5' }, 'TRUE'],
    ['n = 5', { n: '+5' }, 'TRUE'],
    ['n = 5', { n: ' 5' }, 'FALSE'],
    ['n = 5.0', { n: ' 5 ' }, 'TRUE'],
    ['n = 5000000000', { n: '5000000000' }, 'TRUE'],
    ['n > 1', { n: '5000000000' }, 'FALSE'],
    ['n > 1.0', { n: '5000000000' }, 'TRUE'],
    // Not a number: FALSE, not UNKNOWN, for every comparison operator; <> is TRUE.
    ['n > 1', { n: 'abc' }, 'FALSE'],
    ['n < 1', { n: 'abc' }, 'FALSE'],
    ['n = 1', { n: 'abc' }, 'FALSE'],
    ['n <> 1', { n: 'abc' }, 'TRUE'],
    ['n BETWEEN 1 AND 2', { n: 'abc' }, 'FALSE'],
    ['n NOT BETWEEN 1 AND 2', { n: 'abc' }, 'FALSE'],
    ['n = 1', { n: '' }, 'FALSE'],
    // Booleans: Boolean.valueOf.
    ['f = TRUE', { f: 'true' }, 'TRUE'],
    ['f = TRUE', { f: 'TrUe' }, 'TRUE'],
    ['f = FALSE', { f: 'no' }, 'TRUE'],
    ['f = TRUE', { f: '1' }, 'FALSE'],
    ["'true' = JMSRedelivered", { redelivered: 'true' }, 'TRUE'],
    // A number against a boolean is FALSE.
    ['JMSPriority = TRUE', {}, 'FALSE'],
    ['1 = TRUE', {}, 'FALSE'],
    // Doubles as Java compares them.
    ['0.0 / 0 = 0.0 / 0', {}, 'TRUE'],
    ['0.0 / 0 > 1.0 / 0', {}, 'TRUE'],
    ['-0.0 < 0', {}, 'TRUE'],
    ['n = 0.0', { n: '-0' }, 'FALSE'],
    ['n = 0', { n: '-0' }, 'TRUE'],
  ])('%j with %j is %s', (selector, headers, expected) => {
    expect(truth(selector, headers)).toBe(expected);
  });

  it('what Classic cannot evaluate selects nothing, without throwing, and AND/OR stop at the operand that decides them', () => {
    const message = { headers: { region: 'EU', flag: 'true' } };
    for (const selector of [
      'region - 1 > 0',
      'NOT (region - 1 > 0)',
      'region * 2 = 2',
      'TRUE = flag',
      'JMSRedelivered = flag',
      '1 + region = 1',
      'TRUE + 1 = 2',
      "region - 1 > 0 OR region = 'EU'",
    ]) {
      expect([selector, parseSelector(selector).matches(message)]).toEqual([selector, false]);
    }
    expect(parseSelector("region = 'EU' OR region - 1 > 0").matches(message)).toBe(true);
    expect(parseSelector("region = 'US' AND region - 1 > 0").matches(message)).toBe(false);
    // At the top, AND stops at an UNKNOWN operand; under NOT it goes on to the failing one.
    expect(parseSelector("(missing = 'x' AND region - 1 > 0) OR region = 'EU'").matches(message)).toBe(true);
    expect(parseSelector("NOT NOT (missing = 'x' AND region - 1 > 0) OR region = 'EU'").matches(message)).toBe(false);
    // NULL first: nothing to fail on.
    expect(truth('missing - 1 > 0')).toBe('UNKNOWN');
  });

  it('LIKE on a value that is not a string is FALSE (NOT LIKE TRUE), IN on one is UNKNOWN', () => {
    expect(truth("JMSPriority LIKE '4'")).toBe('FALSE');
    expect(truth("JMSPriority NOT LIKE '4'")).toBe('TRUE');
    expect(truth("JMSPriority IN ('4')")).toBe('UNKNOWN');
    expect(truth("JMSPriority NOT IN ('4')")).toBe('UNKNOWN');
  });
});

describe('LIKE patterns', () => {
  it.each<[string, string, string | undefined, boolean]>([
    // Regular-expression metacharacters are themselves.
    ['a.b%', 'axb', undefined, false],
    ['a.b%', 'a.b', undefined, true],
    ['a.b%', 'a.bcd', undefined, true],
    ['a*', 'aaa', undefined, false],
    ['a*', 'a*', undefined, true],
    ['(a|b)+?', '(a|b)+?', undefined, true],
    ['(a|b)+?', 'a', undefined, false],
    ['[ab]', 'a', undefined, false],
    ['[ab]', '[ab]', undefined, true],
    ['^$\\{1}', '^$\\{1}', undefined, true],
    ['%\\d%', 'a5b', undefined, false],
    ['%\\d%', 'a\\db', undefined, true],
    // Wildcards.
    ['%', '', undefined, true],
    ['%%', 'anything', undefined, true],
    ['a%b%c', 'abc', undefined, true],
    ['a%b%c', 'aXbYc', undefined, true],
    ['a%b%c', 'acb', undefined, false],
    ['%a%a%a%b', 'aaaaaaaaab', undefined, true],
    ['%a%a%a%b', 'aaaaaaaaaa', undefined, false],
    ['_%_', 'a', undefined, false],
    ['_%_', 'ab', undefined, true],
    ['line_', 'line\n', undefined, true],
    ['%end', 'multi\nline\nend', undefined, true],
    // `_` is one character: an emoji (two UTF-16 code units) too.
    ['_', '😀', undefined, true],
    ['a_b', 'a😀b', undefined, true],
    ['__', '😀', undefined, false],
    ['%😀', 'x😀', undefined, true],
    // ESCAPE.
    ['100!%', '100%', '!', true],
    ['100!%', '1000', '!', false],
    ['a!_b', 'a_b', '!', true],
    ['a!_b', 'axb', '!', false],
    ['a!!b', 'a!b', '!', true],
    ['a!b', 'a!b', '!', true],
    ['ab!', 'ab!', '!', true],
    ['a\\%', 'a%', '\\', true],
    ['a\\%', 'ab', '\\', false],
    ['a.%', 'a%', '.', true],
    ['a.%', 'ab', '.', false],
    ['%%a', '%a', '%', true],
    ['%%a', 'xa', '%', false],
    ['_%', 'x', '_', false],
    ['_%', '%', '_', true],
  ])('%j LIKE %j ESCAPE %j: %s', (pattern, value, escape, expected) => {
    const quote = (text: string): string => `'${text.replaceAll("'", "''")}'`;
    const selector = `v LIKE ${quote(pattern)}${escape === undefined ? '' : ` ESCAPE ${quote(escape)}`}`;
    expect(parseSelector(selector).matches({ headers: { v: value } })).toBe(expected);
  });

  it('agrees with a regular expression built from the pattern, on random patterns and values', () => {
    const char = fc.constantFrom('a', 'b', '%', '_', '.', '*', '\\', '😀', '\n');
    const pattern = fc.array(char, { maxLength: 8 }).map((chars) => chars.join(''));
    const value = fc.array(fc.constantFrom('a', 'b', '%', '_', '.', '*', '\\', '😀', '\n'), { maxLength: 10 }).map((chars) => chars.join(''));
    // The reference: the same rules written as a regular expression.
    const reference = (p: string, escape: string | undefined): RegExp => {
      const chars = Array.from(p);
      let source = '';
      for (let i = 0; i < chars.length; i++) {
        const c = chars[i]!;
        const next = chars[i + 1];
        if (c === escape && next !== undefined && (next === '%' || next === '_' || next === escape)) {
          source += next.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
          i++;
        } else if (c === '%') source += '[^]*';
        else if (c === '_') source += '.';
        else source += c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
      }
      return new RegExp(`^${source}$`, 'su');
    };
    fc.assert(
      fc.property(pattern, value, fc.constantFrom(undefined, '\\', '%', '_', 'a'), (p, v, escape) => {
        const quote = (text: string): string => `'${text.replaceAll("'", "''")}'`;
        const selector = parseSelector(`v LIKE ${quote(p)}${escape === undefined ? '' : ` ESCAPE ${quote(escape)}`}`);
        expect(selector.matches({ headers: { v } })).toBe(reference(p, escape).test(v));
      }),
      { numRuns: 3000 },
    );
  });

  it('takes time in proportion to pattern × value at worst, not exponential time', () => {
    const selector = parseSelector(`v LIKE '${'%a'.repeat(1000)}b'`);
    const started = process.hrtime.bigint();
    expect(selector.matches({ headers: { v: 'a'.repeat(4000) } })).toBe(false);
    // A backtracking regular expression would take hours here; the walk takes milliseconds.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(5000);
  });
});

describe('the JMS header fields, from the STOMP headers', () => {
  it.each<[string, Record<string, string>, number | undefined, Truth]>([
    ["JMSMessageID = 'ID:1'", { 'message-id': 'ID:1' }, undefined, 'TRUE'],
    ['JMSMessageID IS NULL', {}, undefined, 'TRUE'],
    ["JMSCorrelationID = 'c-1'", { 'correlation-id': 'c-1' }, undefined, 'TRUE'],
    ["JMSType = 'T'", { type: 'T' }, undefined, 'TRUE'],
    ['JMSType IS NULL', {}, undefined, 'TRUE'],
    ["JMSXGroupID = 'g'", { JMSXGroupID: 'g' }, undefined, 'TRUE'],
    ['JMSPriority = 9', { priority: '9' }, undefined, 'TRUE'],
    ['JMSPriority = 4', {}, undefined, 'TRUE'],
    ['JMSPriority / 2 = 4.5', { priority: '9' }, undefined, 'TRUE'],
    ['JMSTimestamp = 1700000000000', { timestamp: '1700000000000' }, undefined, 'TRUE'],
    ['JMSTimestamp IS NULL', {}, undefined, 'TRUE'],
    ['JMSTimestamp + 1 = 1700000000001', { timestamp: '1700000000000' }, undefined, 'TRUE'],
    ['JMSExpiration = 0', {}, undefined, 'TRUE'],
    ['JMSExpiration = 1800000000000', { expires: '1800000000000' }, undefined, 'TRUE'],
    ["JMSDeliveryMode = 'PERSISTENT'", { persistent: 'true' }, undefined, 'TRUE'],
    ["JMSDeliveryMode = 'NON_PERSISTENT'", { persistent: 'false' }, undefined, 'TRUE'],
    ["JMSDeliveryMode = 'NON_PERSISTENT'", {}, undefined, 'TRUE'],
    ['JMSRedelivered', { redelivered: 'true' }, undefined, 'TRUE'],
    ['JMSRedelivered = TRUE', { redelivered: 'true' }, undefined, 'TRUE'],
    ['JMSRedelivered', {}, undefined, 'FALSE'],
    ['JMSXDeliveryCount = 1', {}, undefined, 'TRUE'],
    ['JMSXDeliveryCount = 3', {}, 3, 'TRUE'],
    ['JMSXDeliveryCount > 1', {}, 2, 'TRUE'],
    // A user header of a JMS header's STOMP name is no property in Classic: NULL (measured).
    [
      'priority IS NULL AND persistent IS NULL AND type IS NULL AND timestamp IS NULL AND expires IS NULL',
      { priority: '9', persistent: 'true', type: 'T', timestamp: '1', expires: '0' },
      undefined,
      'TRUE',
    ],
    [
      'destination IS NULL AND subscription IS NULL AND ack IS NULL AND redelivered IS NULL',
      { destination: '/queue/q', subscription: '1', ack: 'a', redelivered: 'false' },
      undefined,
      'TRUE',
    ],
    // Any other identifier is the header of that name; nothing inherited from Object.
    ["JMSXUserID = 'u'", { JMSXUserID: 'u' }, undefined, 'TRUE'],
    ['toString IS NULL AND constructor IS NULL AND __proto__ IS NULL AND hasOwnProperty IS NULL', {}, undefined, 'TRUE'],
  ])('%j with %j (delivery %j) is %s', (selector, headers, deliveryCount, expected) => {
    expect(truth(selector, headers, deliveryCount)).toBe(expected);
  });
});

describe('compiled once', () => {
  it('evaluating a parsed selector parses nothing again', () => {
    const selector = parseSelector("region = 'EU' AND amount > 4");
    const compiled = compileSelector("region = 'EU' AND amount > 4");
    const parse = jest.spyOn(selectorParser(), 'parse');
    try {
      let selected = 0;
      for (let i = 0; i < 1000; i++) {
        const message = { headers: { region: i % 2 === 0 ? 'EU' : 'US', amount: String(i % 10) } };
        if (selector.matches(message)) selected++;
        expect(compiled(message)).toBe(selector.matches(message));
      }
      expect(selected).toBe(200);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it('keeps its text as given', () => {
    const text = "  region = 'EU'  ";
    expect(parseSelector(text).text).toBe(text);
  });
});
