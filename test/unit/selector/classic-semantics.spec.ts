import { describe, expect, it } from '@jest/globals';
import { SelectorSyntaxError, parseSelector, type SelectorMessage } from '../../../lib/selector/index.js';

// What ActiveMQ Classic 5.17 selects, measured on the real broker: a message sent over STOMP to a
// queue, one consumer subscribed with the selector (`true`: that consumer received it; `false`:
// it did not, and a consumer without a selector subscribed afterwards did; 'invalid': the
// SUBSCRIBE was answered with an ERROR frame; 'fails': Classic threw while evaluating, and
// neither consumer received the message). The embedded broker must select the same messages:
// 'invalid' is a SelectorSyntaxError here, and 'fails' selects nothing (without throwing).
type Measured = boolean | 'invalid' | 'fails';

/** The MESSAGE frame of the message sent with persistent:true priority:7 type:OrderPlaced correlation-id:c-1 JMSXGroupID:g1 amount:5 region:EU flag:true. */
const message: SelectorMessage = {
  headers: {
    'message-id': 'ID:probe-40233-1760000000000-1:1:1:1:1',
    destination: '/queue/selectors',
    subscription: 'a',
    timestamp: '1760000000000',
    expires: '0',
    priority: '7',
    persistent: 'true',
    type: 'OrderPlaced',
    'correlation-id': 'c-1',
    JMSXGroupID: 'g1',
    amount: '5',
    region: 'EU',
    flag: 'true',
  },
};

function outcome(selector: string, on: SelectorMessage): Measured {
  let parsed;
  try {
    parsed = parseSelector(selector);
  } catch (error) {
    if (error instanceof SelectorSyntaxError) return 'invalid';
    throw error;
  }
  return parsed.matches(on);
}

/** Ours for a selector Classic measured as `measured`: 'fails' is no match here. */
function expected(measured: Measured): boolean | 'invalid' {
  return measured === 'fails' ? false : measured;
}

describe('selectors as ActiveMQ Classic 5.17 evaluates them (measured)', () => {
  // The table of the brief: every one of these selects the message on Classic.
  it.each([
    'amount > 4',
    "amount = '5'",
    'amount = 5',
    'amount + 0 > 4',
    'JMSPriority > 4',
    "JMSType = 'OrderPlaced'",
    "JMSCorrelationID = 'c-1'",
    "JMSDeliveryMode = 'PERSISTENT'",
    'JMSMessageID IS NOT NULL',
    "JMSXGroupID = 'g1'",
    "region LIKE 'E_'",
    'missing IS NULL',
    'flag = TRUE',
    "flag = 'true'",
    'JMSTimestamp > 0',
    'JMSRedelivered = FALSE',
    'JMSXDeliveryCount >= 1',
    'JMSExpiration = 0',
    "region IN ('EU','US')",
  ])('%s selects the message', (selector) => {
    expect(outcome(selector, message)).toBe(true);
  });

  it("NOT (missing = 'x') does not select it (NOT UNKNOWN is UNKNOWN)", () => {
    expect(outcome("NOT (missing = 'x')", message)).toBe(false);
  });

  // Conversions, NULLs, errors, literals and the frame's own headers, measured the same way.
  it.each<[string, Measured]>([
    ["NOT ('x' = missing)", true],
    ["'x' = missing", false],
    ['missing = missing2', true],
    ['NOT (missing = missing2)', false],
    ['missing <> missing2', false],
    ["'x' <> missing", true],
    ['region > 1', false],
    ['NOT (region > 1)', true],
    ['region <> 5', true],
    ['region - 1 > 0', 'fails'],
    ['NOT (region - 1 > 0)', 'fails'],
    ['TRUE = flag', 'fails'],
    ['flag = FALSE', false],
    ['NOT (flag = FALSE)', true],
    ['amount + 1 = 51', true],
    ["amount + 0 = '50'", true],
    ['region < JMSType', true],
    ['region > JMSType', false],
    ["amount IN ('5')", true],
    ["JMSPriority IN ('7')", false],
    ["NOT (JMSPriority IN ('7'))", false],
    ["(amount + 0) IN ('50')", 'invalid'],
    ['missing BETWEEN 1 AND 2', false],
    ['NOT (missing BETWEEN 1 AND 2)', false],
    ['amount BETWEEN 1 AND 9', true],
    ['region BETWEEN 1 AND 9', false],
    ['NOT (region BETWEEN 1 AND 9)', true],
    ["missing LIKE 'x'", false],
    ["NOT (missing LIKE 'x')", false],
    ["JMSPriority LIKE '7'", false],
    ["NOT (JMSPriority LIKE '7')", true],
    ['flag', false],
    ['NOT flag', true],
    ['JMSRedelivered', false],
    ['NOT JMSRedelivered', true],
    ["'EU' = region", true],
    ['5 = amount', true],
    ['amount = 5.0', true],
    ['amount = 5L', true],
    ['amount = 05', true],
    ['amount = 0x5', true],
    ['amount = 010', false],
    ['09 = 9', 'invalid'],
    ['JMSPriority / 0 > 1', true],
    ['JMSPriority * 0 / 0 > 1', true],
    ['JMSPriority * 0 / 0 = JMSPriority * 0 / 0', true],
    ['-0.0 = 0', false],
    ['JMSPriority % 4 = 3', true],
    ['JMSPriority % 4 = 3.0', true],
    ["region + 1 = 'EU1'", true],
    ["region + 1.5 = 'EU1.5'", true],
    ["region + 1e10 = 'EU1.0E10'", true],
    ["region + TRUE = 'EUtrue'", true],
    ["region + JMSRedelivered = 'EUfalse'", true],
    ['TRUE', true],
    ['NULL', false],
    ['FALSE', false],
    ['x = NULL', 'invalid'],
    ['TRUE = 1', 'invalid'],
    ['1 = TRUE', false],
    ["'a' > 1", 'invalid'],
    ["region > 'A'", 'invalid'],
    ['1 + 2', 'invalid'],
    ['(a = 1) > 2', 'invalid'],
    ["region LIKE 'E%' ESCAPE 'ab'", 'invalid'],
    ['amount = 2147483648', false],
    ['a = 1 -- c', true],
    ['a = 1 /* c */', false],
    ["JMSPriority = '7'", true],
    ["JMSPriority = ' 7'", false],
    ["JMSPriority = '7.0'", false],
    ["JMSTimestamp > '1'", 'invalid'],
    ["JMSExpiration = '0'", true],
    ['JMSExpiration = 0.0', true],
    ['JMSXDeliveryCount = 1', true],
    ["JMSXDeliveryCount = '1'", true],
    ["JMSRedelivered = 'false'", 'fails'],
    ["JMSRedelivered = 'FALSE'", 'fails'],
    ["'false' = JMSRedelivered", true],
    ["amount = ' 5'", false],
    ['amount = 5.5', false],
    ["amount = '5.0'", false],
    ['amount > 4.5', true],
    ['amount < 5.5', true],
    ['amount = 5e0', true],
    ["region = 1 OR region = 'EU'", true],
    ["region - 1 > 0 OR region = 'EU'", 'fails'],
    ["region = 'EU' OR region - 1 > 0", true],
    ["(missing = 'x' AND region - 1 > 0) OR region = 'EU'", true],
    ["NOT NOT (missing = 'x' AND region - 1 > 0) OR region = 'EU'", 'fails'],
    ['-region IS NULL', true],
    ['-amount = -5', false],
    ['-amount IS NULL', true],
    ['amount * 1 = 5', 'fails'],
    ["priority = '7'", false],
    ['priority IS NULL', true],
    ['persistent IS NULL', true],
    ['type IS NULL', true],
    ['destination IS NULL', true],
    ['expires IS NULL', true],
    ['timestamp IS NULL', true],
    ['subscription IS NULL', true],
    ['ack IS NULL', true],
    ['receipt IS NULL', true],
    ['redelivered IS NULL', true],
    ['JMSXUserID IS NULL', true],
    ['JMSReplyTo IS NULL', true],
    ['a = 1 --c', true],
    ['JMSPriority = 7 AND JMSTimestamp > 1000000000000', true],
    ['JMSPriority BETWEEN 7 AND 7', true],
    ["region NOT IN ('US')", true],
    ["region NOT LIKE 'U%'", true],
    ["region LIKE 'E\\_' ESCAPE '\\'", false],
    ["region LIKE 'EU\\' ESCAPE '\\'", false],
    ["region LIKE 'E\\U' ESCAPE '\\'", false],
    ["JMSMessageID LIKE 'ID:%'", true],
    ['amount = 5 = TRUE', true],
    ['amount > 4 = TRUE', true],
    ['1 < 2 < 3', 'invalid'],
    ["region = 'EU' = 'EU' = TRUE", 'fails'],
    ['amount = 5.0e0', true],
    ['amount = +5', true],
    ['amount = - -5', true],
    ['JMSExpiration = 0L', 'invalid'],
    ['JMSPriority + 2147483647 < 0', true],
    ['JMSPriority * 2147483647 < 0', false],
    ['JMSPriority - 8 = -1', true],
    ['JMSPriority * 1.0 / 2 = 3.5', true],
    ['JMSPriority / 2 = 3.5', true],
    ["amount = '5' AND region = 'EU' AND flag = 'true'", true],
    ['JMSPriority = 7.0', true],
    ['JMSPriority > 6.5', true],
    ["region IN ('EU', 'US', 'A', 'B', 'C', 'D')", true],
    ['amount = 5.5e0', false],
    ['e1 IS NULL', true],
    ['a = 1 --c\n', false],
    ["region = 'EU' --c\nAND amount = 5", true],
    ["region = 'EU' /* x */ AND flag = 'true'", true],
    ["region = 'EU' /* x", 'invalid'],
    ["region\n=\t'EU'", true],
    ["region\u000b= 'EU'", 'invalid'],
  ])('%j: Classic %j', (selector, measured) => {
    expect(outcome(selector, message)).toBe(expected(measured));
  });

  // Java's conversions of strings, measured with a message of these headers only.
  const strings: SelectorMessage = {
    headers: {
      sp: ' 5 ',
      hex: '0x1p3',
      suf: '5f',
      nan: 'NaN',
      big: '2147483648',
      plus: '+5',
      neg: '-5',
      lead: '007',
      uni: '٥',
      e: '5e2',
      t: 'TRUE',
      t2: 'yes',
      inf: 'Infinity',
      dot: '5.',
      minuszero: '-0',
    },
  };
  it.each<[string, Measured]>([
    ['sp = 5.0', true],
    ['sp = 5', false],
    ['hex = 8.0', true],
    ['hex = 8', false],
    ['suf = 5.0', true],
    ['suf = 5', false],
    ['nan = 0.0 / 0', true],
    ['nan > 1.0', true],
    ['big = 2147483648', true],
    ['big = 2147483648.0', true],
    ['big > 1', false],
    ['big > 1L', false],
    ['plus = 5', true],
    ['neg = -5', true],
    ['lead = 7', true],
    ['lead = 7.0', true],
    ['uni = 5', true],
    ['uni = 5.0', false],
    ['e = 500.0', true],
    ['e = 500', false],
    ['t = TRUE', true],
    ['t2 = TRUE', false],
    ['t2 = FALSE', true],
    ['inf = 1.0 / 0', true],
    ['dot = 5.0', true],
    ['dot = 5', false],
    ['minuszero = 0.0', false],
    ['minuszero = 0', true],
  ])('%j: Classic %j', (selector, measured) => {
    expect(outcome(selector, strings)).toBe(expected(measured));
  });
});

describe('where this package differs from ActiveMQ Classic 5.17, on purpose', () => {
  it("NOT has the precedence of the JMS specification, below the comparisons (Classic reads NOT region = 'EU' as (NOT region) = 'EU' and fails)", () => {
    expect(outcome("NOT region = 'EU'", message)).toBe(false);
    expect(outcome("NOT region = 'XX'", message)).toBe(true);
    expect(outcome("NOT (region = 'XX')", message)).toBe(true);
  });

  it('an integer literal beyond a Java long is refused (Classic takes it as a BigDecimal that equals nothing)', () => {
    expect(outcome('amount = 9223372036854775808', message)).toBe('invalid');
  });

  it('identifiers are Java identifiers, non-ASCII ones too, and XPATH is one (Classic refuses both)', () => {
    expect(outcome("région = 'EU'", { headers: { région: 'EU' } })).toBe(true);
    expect(outcome('XPATH IS NULL', message)).toBe(true);
  });

  it('JMSXGroupSeq and JMSDestination are headers of those names (Classic: the group sequence, 0, and queue://…)', () => {
    expect(outcome('JMSXGroupSeq = 0', message)).toBe(false);
    expect(outcome('JMSDestination IS NULL', message)).toBe(true);
  });
});
