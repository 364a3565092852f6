import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ActiveMQError } from '../../../lib/errors/activemq-error.js';
import { SelectorSyntaxError, SelectorUnsupportedError, parseSelector, type SelectorMessage } from '../../../lib/selector/index.js';

function artemis(selector: string): string {
  return parseSelector(selector).toArtemis();
}

function unsupported(selector: string): SelectorUnsupportedError {
  try {
    artemis(selector);
  } catch (error) {
    expect(error).toBeInstanceOf(SelectorUnsupportedError);
    return error as SelectorUnsupportedError;
  }
  throw new Error(`${JSON.stringify(selector)} was rewritten`);
}

describe('toArtemis: the JMS header names as Artemis core filters spell them', () => {
  // Each rewritten form was sent to Artemis 2.40 over STOMP and selected what the JMS form selects on Classic.
  it.each([
    ['JMSPriority > 4', 'AMQPriority > 4'],
    ['JMSTimestamp > 0', 'AMQTimestamp > 0'],
    ['JMSExpiration = 0', 'AMQExpiration = 0'],
    ['JMSMessageID IS NOT NULL', 'AMQUserID IS NOT NULL'],
    ["JMSXGroupID = 'g1'", "AMQGroupID = 'g1'"],
    ["JMSXGroupID LIKE 'g%'", "AMQGroupID LIKE 'g%'"],
    ["JMSType = 'OrderPlaced'", "JMSType = 'OrderPlaced'"],
    ["JMSCorrelationID = 'c-1'", "JMSCorrelationID = 'c-1'"],
    ['JMSPriority BETWEEN 5 AND 9', 'AMQPriority BETWEEN 5 AND 9'],
    ['JMSPriority * 2 - 1 = 13', 'AMQPriority * 2 - 1 = 13'],
    ['-JMSPriority = -7', '-AMQPriority = -7'],
  ])('%s → %s', (selector, expected) => {
    expect(artemis(selector)).toBe(expected);
  });

  it.each([
    // The delivery mode's values are Artemis' too: PERSISTENT is DURABLE.
    ["JMSDeliveryMode = 'PERSISTENT'", "AMQDurable = 'DURABLE'"],
    ["JMSDeliveryMode = 'NON_PERSISTENT'", "AMQDurable = 'NON_DURABLE'"],
    ["'PERSISTENT' = JMSDeliveryMode", "AMQDurable = 'DURABLE'"],
    ["JMSDeliveryMode <> 'NON_PERSISTENT'", "AMQDurable = 'DURABLE'"],
    ["JMSDeliveryMode IN ('PERSISTENT')", "AMQDurable = 'DURABLE'"],
    ["JMSDeliveryMode NOT IN ('PERSISTENT')", "AMQDurable = 'NON_DURABLE'"],
    ["JMSDeliveryMode LIKE 'PERS%'", "AMQDurable = 'DURABLE'"],
    ["JMSDeliveryMode NOT LIKE 'NON%'", "AMQDurable = 'DURABLE'"],
    // Conditions that hold for both modes, or for none: JMSDeliveryMode is never NULL, nor is AMQDurable.
    ["JMSDeliveryMode LIKE '%PERSISTENT'", 'AMQDurable IS NOT NULL'],
    ["JMSDeliveryMode IN ('PERSISTENT', 'NON_PERSISTENT')", 'AMQDurable IS NOT NULL'],
    ["JMSDeliveryMode = 'DURABLE'", 'AMQDurable IS NULL'],
    ["JMSDeliveryMode <> 'DURABLE'", 'AMQDurable IS NOT NULL'],
    ["JMSDeliveryMode IN ('DURABLE', 'NON_DURABLE')", 'AMQDurable IS NULL'],
    ["JMSDeliveryMode = 'other'", 'AMQDurable IS NULL'],
    ['JMSDeliveryMode IS NOT NULL', 'AMQDurable IS NOT NULL'],
    ['JMSDeliveryMode = JMSDeliveryMode', 'AMQDurable = AMQDurable'],
    ['NOT JMSDeliveryMode', 'NOT AMQDurable'],
    ["(JMSDeliveryMode = 'DURABLE') = 'x'", "AMQDurable IS NULL = 'x'"],
    ["JMSPriority > 4 AND JMSDeliveryMode = 'PERSISTENT'", "AMQPriority > 4 AND AMQDurable = 'DURABLE'"],
  ])('%s → %s', (selector, expected) => {
    expect(artemis(selector)).toBe(expected);
  });

  it('rewrites identifiers only, not literals nor longer names (unlike a text substitution)', () => {
    expect(artemis("JMSPriorityX = 'JMSPriority' AND region = 'PERSISTENT' AND x_JMSType IS NULL")).toBe(
      "JMSPriorityX = 'JMSPriority' AND region = 'PERSISTENT' AND x_JMSType IS NULL",
    );
  });

  it.each([
    ['JMSRedelivered = FALSE', 'JMSRedelivered', 'the redelivered flag belongs to the delivery there, which a filter does not see'],
    ['NOT JMSRedelivered', 'JMSRedelivered', 'the redelivered flag belongs to the delivery there, which a filter does not see'],
    ['JMSXDeliveryCount >= 1', 'JMSXDeliveryCount', 'the delivery count belongs to the delivery there, which a filter does not see'],
    ['AMQPriority = 1', 'AMQPriority', 'Artemis reads AMQPriority as an attribute of its own, not as a header of that name'],
    ["AMQAddress = 'q'", 'AMQAddress', 'Artemis reads AMQAddress as an attribute of its own, not as a header of that name'],
    ['destination IS NULL', 'destination', 'Artemis keeps the STOMP destination header as a property of the message, where the selector reads none'],
    ["région = 'EU'", 'région', 'its filter grammar takes identifiers of ASCII letters, digits, _ and $ only'],
    ['xpath = 1', 'xpath', 'XPATH is a keyword of its filter grammar'],
    ...[
      'JMSDeliveryMode = region',
      "JMSDeliveryMode + 'x' = 'PERSISTENTx'",
      'JMSDeliveryMode < x',
      'JMSDeliveryMode = 5',
      'JMSDeliveryMode BETWEEN 1 AND 2',
      '-JMSDeliveryMode IS NULL',
    ].map((selector) => [
      selector,
      'JMSDeliveryMode',
      "it is AMQDurable there, of values 'DURABLE' and 'NON_DURABLE', so it can only be compared with string literals (=, <>, IN, LIKE) or tested with IS NULL",
    ]),
  ])('%j cannot be given to Artemis: SelectorUnsupportedError naming %s', (selector, identifier, reason) => {
    const error = unsupported(selector);
    expect(error.identifier).toBe(identifier);
    expect(error.selector).toBe(selector);
    expect(error.code).toBe('SELECTOR_UNSUPPORTED');
    expect(error).toBeInstanceOf(ActiveMQError);
    expect(error.message).toBe(`${identifier} cannot be selected on by Artemis' STOMP subscribers: ${reason} (selector ${JSON.stringify(selector)})`);
  });

  it('a selector Artemis cannot take still parses, and still evaluates', () => {
    const selector = parseSelector('JMSRedelivered = FALSE');
    expect(selector.matches({ headers: {} })).toBe(true);
    expect(() => selector.toArtemis()).toThrow(SelectorUnsupportedError);
  });
});

describe('toArtemis: printed back unchanged in meaning', () => {
  it.each([
    // Keywords in capitals, whitespace normalised, comments dropped.
    ["not a = 1 and b like 'x' escape '!'", "NOT (a = 1) AND b LIKE 'x' ESCAPE '!'"],
    ['a = 1 /* c */ AND b = 2 -- d\n', 'a = 1 AND b = 2'],
    ['a\tIS\nnot   null', 'a IS NOT NULL'],
    // Literals as written (so that they keep their Java type); strings re-quoted.
    ['n = 0x1F OR n = 017 OR n = 5L OR n = 1.5e3 OR n = .5 OR n = 5.', 'n = 0x1F OR n = 017 OR n = 5L OR n = 1.5e3 OR n = .5 OR n = 5.'],
    ["region = 'it''s' OR region = ''", "region = 'it''s' OR region = ''"],
    ["a IN ('x', 'y''z')", "a IN ('x', 'y''z')"],
    ['t = true OR t = False', 't = TRUE OR t = FALSE'],
    // Parentheses where the grouping needs them, and only there.
    ['a - (b - c) = 1', 'a - (b - c) = 1'],
    ['(a - b) - c = 1', 'a - b - c = 1'],
    ['a / (b * c) = 1', 'a / (b * c) = 1'],
    ['(a + b) * c = 1', '(a + b) * c = 1'],
    ['(a OR b = 1) AND c', '(a OR b = 1) AND c'],
    ['a OR (b AND c)', 'a OR b AND c'],
    ['(a = 1) = (b = 2)', 'a = 1 = (b = 2)'],
    ['(a > 1) = TRUE', 'a > 1 = TRUE'],
    ['(a = 1) IS NULL', 'a = 1 IS NULL'],
    ['-(a + b) = 1', '-(a + b) = 1'],
    ['a NOT BETWEEN -1 AND 1 + 2', 'a NOT BETWEEN -1 AND 1 + 2'],
    // Artemis reads NOT as a prefix of an operand: its operand is parenthesised unless it is a single value.
    ['NOT (a OR b)', 'NOT (a OR b)'],
    ['NOT NOT a', 'NOT (NOT a)'],
    ['NOT a IS NULL', 'NOT (a IS NULL)'],
    ['x = NOT y', 'x = (NOT y)'],
    // Never `--`, which could start a comment.
    ['- -a = 1', '-(-a) = 1'],
    ['a - -1 = 0', 'a - -1 = 0'],
  ])('%j → %j', (selector, expected) => {
    expect(artemis(selector)).toBe(expected);
  });

  // Random selectors without JMS headers, and random messages: the printed form parses again, is
  // printed the same, and is TRUE, FALSE or UNKNOWN for the same messages.
  const identifier = fc.constantFrom('a', 'b', 'c');
  const letrec = fc.letrec<{ number: string; string: string; value: string; condition: string }>((tie) => ({
    number: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      identifier,
      fc.constantFrom('0', '1', '5', '5L', '0x1F', '017', '1.5', '.5', '1e3', '2147483647', '0.0'),
      tie('number').map((n) => `-${n}`),
      fc.tuple(tie('number'), fc.constantFrom('+', '-', '*', '/', '%'), tie('number')).map(([l, op, r]) => `${l} ${op} ${r}`),
      tie('number').map((n) => `(${n})`),
    ),
    string: fc.oneof(
      fc.constantFrom("'5'", "'abc'", "'it''s'", "''", "'a%b'", "'1.5'", "'true'"),
      identifier,
      fc.tuple(tie('string'), tie('value')).map(([l, r]) => `${l} + ${r}`),
    ),
    value: fc.oneof(tie('number'), tie('string')),
    condition: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.tuple(tie('value'), fc.constantFrom('=', '<>'), tie('value')).map(([l, op, r]) => `${l} ${op} ${r}`),
      fc.tuple(tie('number'), fc.constantFrom('<', '<=', '>', '>='), tie('number')).map(([l, op, r]) => `${l} ${op} ${r}`),
      fc.tuple(tie('number'), fc.boolean(), tie('number'), tie('number')).map(([v, not, low, high]) => `${v} ${not ? 'NOT ' : ''}BETWEEN ${low} AND ${high}`),
      fc.tuple(tie('value'), fc.boolean(), fc.constantFrom("'a%'", "'%b'", "'_'", "'a!%' ESCAPE '!'", "'%'")).map(([v, not, p]) => `${v} ${not ? 'NOT ' : ''}LIKE ${p}`),
      fc.tuple(identifier, fc.boolean(), fc.constantFrom("('5')", "('abc', 'x')", "('true', '')")).map(([v, not, list]) => `${v} ${not ? 'NOT ' : ''}IN ${list}`),
      fc.tuple(tie('value'), fc.boolean()).map(([v, not]) => `${v} IS ${not ? 'NOT ' : ''}NULL`),
      fc.constantFrom('TRUE', 'FALSE', 'a'),
      tie('condition').map((c) => `NOT ${c}`),
      tie('condition').map((c) => `(${c})`),
      fc.tuple(tie('condition'), fc.constantFrom('AND', 'OR'), tie('condition')).map(([l, op, r]) => `${l} ${op} ${r}`),
      fc.tuple(tie('condition'), fc.constantFrom('=', '<>'), tie('condition')).map(([l, op, r]) => `(${l}) ${op} (${r})`),
    ),
  }));
  const headerValue = fc.option(fc.constantFrom('5', '-3', '1.5', 'abc', 'true', 'TRUE', '', 'a%b', '0x10', ' 7', '2147483648', 'NaN'), { nil: undefined });
  const message = fc
    .record({ a: headerValue, b: headerValue, c: headerValue })
    .map((h): SelectorMessage => ({ headers: Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string> }));

  it('on random selectors and messages, the printed form means the same', () => {
    let checked = 0;
    fc.assert(
      fc.property(letrec.condition, fc.array(message, { minLength: 1, maxLength: 8 }), (text, messages) => {
        let original;
        try {
          original = parseSelector(text);
        } catch (error) {
          // The generator can write what the JMS checks refuse ('TRUE = 1', '(a = 1) > 2'): not a case.
          if (error instanceof SelectorSyntaxError) fc.pre(false);
          throw error;
        }
        const printed = original.toArtemis();
        const again = parseSelector(printed);
        expect(again.toArtemis()).toBe(printed);
        const negated = parseSelector(`NOT (${text})`);
        const negatedPrinted = parseSelector(`NOT (${printed})`);
        for (const m of messages) {
          expect([printed, m.headers, again.matches(m), negatedPrinted.matches(m)]).toEqual([printed, m.headers, original.matches(m), negated.matches(m)]);
        }
        checked++;
      }),
      { numRuns: 1000 },
    );
    // Most generated selectors are valid ones.
    expect(checked).toBeGreaterThan(500);
  });

  it('with JMS headers too, the printed form parses again (or names what Artemis cannot select on)', () => {
    const jms = fc.constantFrom(
      'JMSPriority',
      'JMSTimestamp',
      'JMSExpiration',
      'JMSMessageID',
      'JMSXGroupID',
      'JMSType',
      'JMSCorrelationID',
      'JMSDeliveryMode',
      'JMSRedelivered',
      'JMSXDeliveryCount',
    );
    fc.assert(
      fc.property(letrec.condition, jms, (text, name) => {
        let original;
        try {
          // The identifier b becomes the JMS header (outside string literals).
          original = parseSelector(
            text
              .split(/('(?:[^']|'')*')/)
              .map((part, i) => (i % 2 === 1 ? part : part.replaceAll(/\bb\b/g, name)))
              .join(''),
          );
        } catch (error) {
          if (error instanceof SelectorSyntaxError) fc.pre(false);
          throw error;
        }
        try {
          const printed = original.toArtemis();
          // It parses again (its AMQ names are Artemis' own: printing it once more would refuse them).
          expect(parseSelector(printed).text).toBe(printed);
          const outsideLiterals = printed.replaceAll(/'(?:[^']|'')*'/g, "''");
          expect(outsideLiterals).not.toMatch(/\bJMS(Priority|Timestamp|Expiration|MessageID|XGroupID|DeliveryMode)\b/);
        } catch (error) {
          expect(error).toBeInstanceOf(SelectorUnsupportedError);
          expect(['JMSRedelivered', 'JMSXDeliveryCount', 'JMSDeliveryMode']).toContain((error as SelectorUnsupportedError).identifier);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
