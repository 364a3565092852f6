// Evaluation: a parsed selector compiled once into closures, which then decide each message
// without parsing, and without allocating beyond what converting a header to a number takes.
//
// The semantics are ActiveMQ Classic 5.17's for messages sent over STOMP (the filter package
// org.apache.activemq.filter in https://github.com/apache/activemq, with the string conversions
// its STOMP transport turns on), measured against a real Classic broker where the source left
// a doubt. In short:
//
// Values. A selector computes with Java's values: strings, booleans, ints, longs, doubles, and
// NULL for "no value" (a header the message does not have). Each expression's type is known
// before any message is seen: a message's own headers are strings, each JMS header has its fixed
// type (JMSPriority int, JMSTimestamp long, …), a literal has its own, and arithmetic's follows
// from its operands'. Only whether a value is NULL varies from message to message, so the
// closures are specialised for their operands' types when they are made.
//
// Three-valued logic. A comparison with a NULL operand is UNKNOWN (null here); NOT UNKNOWN is
// UNKNOWN; AND is FALSE if any operand is FALSE, else UNKNOWN if any is UNKNOWN; OR is TRUE if
// any is TRUE, else UNKNOWN if any is. A message is selected only when the selector is TRUE.
// Classic's `=` has its own rule for NULL: NULL = NULL is TRUE (`a = b` with both missing), and
// a value on the left with NULL on the right is FALSE ('x' = missing is FALSE, so NOT ('x' =
// missing) is TRUE), while NULL on the left is UNKNOWN. IS [NOT] NULL is never UNKNOWN.
//
// Comparisons. Numbers compare by value whatever their types (an int against a double is
// compared as doubles, with Java's Double.compare: NaN equals NaN and is above +Infinity, -0.0 is
// below 0.0, so `-0.0 = 0` is FALSE). Strings compare with each other, `<` and `>` too (between
// two identifiers, as literals are refused there), in UTF-16 code unit order; booleans compare
// with booleans. A string against a number is converted to the number's type first ('5' = 5 is
// TRUE; a Java int's rules for an int: digits only, no spaces, within 32 bits; a double's rules
// for a double: '5' = 5.0 and ' 5 ' = 5.0 are TRUE, ' 5' = 5 is not), and a string against a
// boolean becomes Boolean.valueOf(string) (TRUE for 'true' in any case, FALSE for anything else).
// A string that does not convert makes the comparison FALSE, not UNKNOWN (so NOT (region > 1) is
// TRUE when region is 'EU'), and so does a number against a boolean. `<>` is NOT `=`.
//
// Arithmetic. NULL in, NULL out (the left operand first: a NULL left operand is the end of it).
// Ints and longs add, subtract and multiply as Java does (ints wrap around at 32 bits; longs are
// exact up to 2^53, as JavaScript numbers, and do not wrap at 64 bits); `/` and `%` always work
// in doubles, so 7 / 2 is 3.5 and a division by zero is ±Infinity or NaN, never an error. A
// string plus anything is a concatenation (amount + 0 is '50' when amount is '5', and '50' > 4
// is then TRUE by the conversion above; doubles print as Java prints them: 'EU' + 1e10 is
// 'EU1.0E10'). Unary minus of a string or boolean is NULL.
//
// Errors. Where Classic throws while evaluating (arithmetic on a string other than `+`,
// arithmetic with a boolean, a number plus a string, a boolean compared with a string on its
// right: `region - 1 > 0`, `TRUE = flag`), the selector does not select the message at all: Classic
// then delivers it to no one (measured: neither that subscriber nor one subscribed later without
// a selector received it within 15 s); here it simply does not match this selector. As in
// Classic, AND and OR stop at the first operand that decides them, so `region = 'EU' OR
// region - 1 > 0` still selects an 'EU' message; and, as in Classic, at the top of the selector
// (and under other ANDs and ORs there) AND stops at its first operand that is not TRUE, UNKNOWN
// included, where elsewhere (under NOT, in a comparison) it goes on looking for a FALSE.
//
// LIKE and IN on a value that is not a string: LIKE is FALSE (NOT LIKE TRUE), IN is UNKNOWN. On
// NULL both are UNKNOWN. BETWEEN is the two comparisons `>=` and `<=` ANDed (NOT BETWEEN: `<` OR
// `>`), so it converts strings as they do. An identifier standing as a condition (`flag AND …`)
// is TRUE only when it is the boolean true (JMSRedelivered): a header 'true' is a string, so a
// bare `flag` is FALSE and NOT flag is TRUE (write flag = TRUE, which converts).
import type { ExpressionNode, LiteralNode, ValueType } from './ast.js';
import { compareDoubles, javaBoolean, javaDoubleString, parseJavaDouble, parseJavaInteger } from './java.js';
import { compileLike } from './like.js';
import type { SelectorMessage } from './message.js';

/** A value of the selector: null is NULL (or, for a condition, UNKNOWN). */
type Value = string | number | boolean | null;

/** An expression compiled: its value for a message. */
type Evaluate = (message: SelectorMessage) => Value;

/** A condition compiled the way Classic's `matches` decides it: true only when it is TRUE. */
type Test = (message: SelectorMessage) => boolean;

interface Compiled {
  readonly type: ValueType;
  readonly evaluate: Evaluate;
}

/**
 * Thrown where Classic's evaluation throws (see above); caught by the selector's test, which then
 * does not match. One instance, made once: throwing it costs no stack trace.
 */
const ABORT = new Error('selector evaluation failed');

/** What a comparator returns when Classic's comparison gives FALSE whatever the operator (a string that does not convert). */
const MISMATCH = 2;

/** Compares two non-NULL values: -1, 0, 1, or MISMATCH. */
type Comparator = (left: Value, right: Value) => number;

// The STOMP headers of a MESSAGE frame that are not message properties in Classic (its
// FrameTranslator takes them out, or they describe the delivery): an identifier spelled like one
// of them is NULL there, as it is here (measured: `priority IS NULL` is TRUE for a message sent
// with priority:7). The others of that kind (message-id, content-length, …) have a hyphen, which
// no identifier has.
const FRAME_HEADERS = new Set(['destination', 'subscription', 'ack', 'receipt', 'transaction', 'redelivered', 'persistent', 'priority', 'type', 'expires', 'timestamp']);

/** The selector as one test: true when `message` is selected. */
export function compileTest(root: ExpressionNode): Test {
  const test = condition(root);
  return (message) => {
    try {
      return test(message);
    } catch (error) {
      if (error === ABORT) return false;
      throw error;
    }
  };
}

/** A condition as a test, Classic's `matches`: AND and OR ask their operands the same way, everything else is TRUE or not. */
function condition(node: ExpressionNode): Test {
  if (node.kind === 'and' || node.kind === 'or') return logicTest(node.kind, node.operands.map(condition));
  if (node.kind === 'between') {
    const value = compile(node.value);
    const [first, second] = betweenComparisons(node.not, value, compile(node.low), compile(node.high));
    return logicTest(node.not ? 'or' : 'and', [isTrue(first), isTrue(second)]);
  }
  return isTrue(compile(node).evaluate);
}

function isTrue(evaluate: Evaluate): Test {
  return (message) => evaluate(message) === true;
}

function logicTest(kind: 'and' | 'or', tests: readonly Test[]): Test {
  const count = tests.length;
  if (kind === 'and') {
    return (message) => {
      for (let i = 0; i < count; i++) if (!tests[i]!(message)) return false;
      return true;
    };
  }
  return (message) => {
    for (let i = 0; i < count; i++) if (tests[i]!(message)) return true;
    return false;
  };
}

/** AND (`and`) or OR of three-valued operands, stopping at the first that decides. */
function logicValue(kind: 'and' | 'or', operands: readonly Evaluate[]): Evaluate {
  const count = operands.length;
  const decisive = kind === 'or';
  return (message) => {
    let unknown = false;
    for (let i = 0; i < count; i++) {
      const value = operands[i]!(message);
      if (value === decisive) return decisive;
      if (value === null) unknown = true;
    }
    return unknown ? null : !decisive;
  };
}

function compile(node: ExpressionNode): Compiled {
  switch (node.kind) {
    case 'literal':
      return literal(node);
    case 'identifier':
      return identifier(node.name);
    case 'negate':
      return negate(compile(node.operand));
    case 'arithmetic':
      return arithmetic(node.op, compile(node.left), compile(node.right));
    case 'comparison':
      return { type: 'boolean', evaluate: comparison(node.op, compile(node.left), compile(node.right)) };
    case 'between': {
      const [first, second] = betweenComparisons(node.not, compile(node.value), compile(node.low), compile(node.high));
      return { type: 'boolean', evaluate: logicValue(node.not ? 'or' : 'and', [first, second]) };
    }
    case 'like':
      return { type: 'boolean', evaluate: like(node.not, compile(node.value).evaluate, compileLike(node.pattern, node.escape)) };
    case 'in':
      return { type: 'boolean', evaluate: inList(node.not, compile(node.value).evaluate, new Set(node.items)) };
    case 'isNull': {
      const value = compile(node.value).evaluate;
      return { type: 'boolean', evaluate: node.not ? (message) => value(message) !== null : (message) => value(message) === null };
    }
    case 'not': {
      const operand = compile(node.operand).evaluate;
      return {
        type: 'boolean',
        evaluate: (message) => {
          const value = operand(message);
          return value === null ? null : !value;
        },
      };
    }
    case 'and':
    case 'or':
      return {
        type: 'boolean',
        evaluate: logicValue(
          node.kind,
          node.operands.map((operand) => compile(operand).evaluate),
        ),
      };
    case 'cast': {
      const value = compile(node.operand).evaluate;
      return {
        type: 'boolean',
        evaluate: (message) => {
          const v = value(message);
          return v === null ? null : v === true;
        },
      };
    }
  }
}

/** BETWEEN as Classic builds it: `value >= low` and `value <= high` (NOT BETWEEN: `value < low`, `value > high`). */
function betweenComparisons(not: boolean, value: Compiled, low: Compiled, high: Compiled): [Evaluate, Evaluate] {
  return not ? [comparison('<', value, low), comparison('>', value, high)] : [comparison('>=', value, low), comparison('<=', value, high)];
}

function literal(node: LiteralNode): Compiled {
  const value = node.value;
  return { type: node.type, evaluate: () => value };
}

function header(name: string): Evaluate {
  return (message) => {
    const value = message.headers[name];
    // typeof, not `!== undefined`: an inherited property (a header named toString) is no header.
    return typeof value === 'string' ? value : null;
  };
}

/** A header read as a Java int or long (as Classic's STOMP transport parses priority, expires and timestamp); `fallback` when absent or not a number. */
function numericHeader(name: string, long: boolean, fallback: number | null): Evaluate {
  return (message) => {
    const value = message.headers[name];
    return typeof value === 'string' ? (parseJavaInteger(value, long) ?? fallback) : fallback;
  };
}

/** The JMS header fields, from the STOMP headers of the message's MESSAGE frame; any other identifier is a header of its own name. */
function identifier(name: string): Compiled {
  switch (name) {
    case 'JMSMessageID':
      return { type: 'string', evaluate: header('message-id') };
    case 'JMSCorrelationID':
      return { type: 'string', evaluate: header('correlation-id') };
    case 'JMSType':
      return { type: 'string', evaluate: header('type') };
    case 'JMSXGroupID':
      return { type: 'string', evaluate: header('JMSXGroupID') };
    case 'JMSDeliveryMode':
      return { type: 'string', evaluate: (message) => (message.headers['persistent'] === 'true' ? 'PERSISTENT' : 'NON_PERSISTENT') };
    case 'JMSPriority':
      // JMS's default priority, as Classic gives a message sent without one.
      return { type: 'int', evaluate: numericHeader('priority', false, 4) };
    case 'JMSTimestamp':
      return { type: 'long', evaluate: numericHeader('timestamp', true, null) };
    case 'JMSExpiration':
      // 0: the message does not expire.
      return { type: 'long', evaluate: numericHeader('expires', true, 0) };
    case 'JMSRedelivered':
      return { type: 'boolean', evaluate: (message) => message.headers['redelivered'] === 'true' };
    case 'JMSXDeliveryCount':
      return { type: 'int', evaluate: (message) => message.deliveryCount ?? 1 };
    default:
      return FRAME_HEADERS.has(name) ? { type: 'null', evaluate: () => null } : { type: 'string', evaluate: header(name) };
  }
}

function isNumeric(type: ValueType): type is 'int' | 'long' | 'double' {
  return type === 'int' || type === 'long' || type === 'double';
}

function negate(operand: Compiled): Compiled {
  const value = operand.evaluate;
  const type = operand.type;
  if (isNumeric(type)) {
    // An int wraps around (-(-2^31) is -2^31); `0 - v` gives a long's 0, not -0.
    const negated = type === 'int' ? (v: number) => -v | 0 : type === 'long' ? (v: number) => 0 - v : (v: number) => -v;
    return {
      type,
      evaluate: (message) => {
        const v = value(message);
        return v === null ? null : negated(v as number);
      },
    };
  }
  // Classic's negation of anything but a number is NULL.
  return {
    type: 'null',
    evaluate: (message) => {
      value(message);
      return null;
    },
  };
}

/** The operation on two non-NULL numbers, in the result's type (Java's binary numeric promotion). */
function numericOperation(op: '+' | '-' | '*' | '/' | '%', type: 'int' | 'long' | 'double'): (left: number, right: number) => number {
  if (op === '/') return (left, right) => left / right;
  if (op === '%') return (left, right) => left % right;
  if (type === 'int') {
    if (op === '+') return (left, right) => (left + right) | 0;
    if (op === '-') return (left, right) => (left - right) | 0;
    return Math.imul;
  }
  if (op === '+') return (left, right) => left + right;
  if (op === '-') return (left, right) => left - right;
  // `+ 0` turns the -0 of 0 * -1 into the 0 a Java long is.
  return type === 'long' ? (left, right) => left * right + 0 : (left, right) => left * right;
}

function arithmetic(op: '+' | '-' | '*' | '/' | '%', left: Compiled, right: Compiled): Compiled {
  const leftValue = left.evaluate;
  const rightValue = right.evaluate;
  const lt = left.type;
  const rt = right.type;
  if (op === '+' && lt === 'string') {
    const text = toJavaString(rt);
    return {
      type: 'string',
      evaluate: (message) => {
        const l = leftValue(message);
        if (l === null) return null;
        const r = rightValue(message);
        return r === null ? null : (l as string) + text(r);
      },
    };
  }
  if (isNumeric(lt) && isNumeric(rt)) {
    const type = op === '/' || op === '%' || lt === 'double' || rt === 'double' ? 'double' : lt === 'long' || rt === 'long' ? 'long' : 'int';
    const operation = numericOperation(op, type);
    return {
      type,
      evaluate: (message) => {
        const l = leftValue(message);
        if (l === null) return null;
        const r = rightValue(message);
        return r === null ? null : operation(l as number, r as number);
      },
    };
  }
  // Anything else is NULL when an operand is, and otherwise an error in Classic (a number and a
  // string or a boolean, a boolean and anything, a string with - * / %); an operand typed 'null'
  // always is NULL.
  return {
    type: 'null',
    evaluate: (message) => {
      if (leftValue(message) === null || rightValue(message) === null) return null;
      throw ABORT;
    },
  };
}

/** How `'x' + value` prints a value of this type (Java's String.valueOf). */
function toJavaString(type: ValueType): (value: Value) => string {
  if (type === 'double') return (value) => javaDoubleString(value as number);
  return String;
}

function compareNumbers(left: number, right: number): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Java's parse of a string into a number of `type`, for the conversions of comparisons. */
function parserOf(type: 'int' | 'long' | 'double'): (text: string) => number | null {
  if (type === 'double') return parseJavaDouble;
  const long = type === 'long';
  return (text) => parseJavaInteger(text, long);
}

/** Classic's ComparisonExpression.compare for operands of these types (see the top of this file). */
function comparator(lt: ValueType, rt: ValueType): Comparator {
  if (isNumeric(lt) && isNumeric(rt)) {
    const numbers = lt === 'double' || rt === 'double' ? compareDoubles : compareNumbers;
    return (left, right) => numbers(left as number, right as number);
  }
  if (lt === 'string' && rt === 'string') return (left, right) => (left! < right! ? -1 : left! > right! ? 1 : 0);
  if (lt === 'boolean' && rt === 'boolean') return (left, right) => (left === right ? 0 : left ? 1 : -1);
  if (isNumeric(lt) && rt === 'string') {
    const parse = parserOf(lt);
    const numbers = lt === 'double' ? compareDoubles : compareNumbers;
    return (left, right) => {
      const converted = parse(right as string);
      return converted === null ? MISMATCH : numbers(left as number, converted);
    };
  }
  if (lt === 'string' && isNumeric(rt)) {
    const parse = parserOf(rt);
    const numbers = rt === 'double' ? compareDoubles : compareNumbers;
    return (left, right) => {
      const converted = parse(left as string);
      return converted === null ? MISMATCH : numbers(converted, right as number);
    };
  }
  if (lt === 'string' && rt === 'boolean') {
    return (left, right) => {
      const converted = javaBoolean(left as string);
      return converted === right ? 0 : converted ? 1 : -1;
    };
  }
  if (lt === 'boolean' && rt === 'string') {
    // Classic casts the boolean to a string here and fails (a ClassCastException).
    return () => {
      throw ABORT;
    };
  }
  // A number and a boolean; or an operand typed 'null', which never reaches the comparator.
  return () => MISMATCH;
}

function comparison(op: '=' | '<>' | '<' | '<=' | '>' | '>=', left: Compiled, right: Compiled): Evaluate {
  const leftValue = left.evaluate;
  const rightValue = right.evaluate;
  const compare = comparator(left.type, right.type);
  if (op === '=' || op === '<>') {
    const equal = op === '=';
    return (message) => {
      const l = leftValue(message);
      const r = rightValue(message);
      if (l === null) return r === null ? equal : null;
      if (r === null) return !equal;
      return (compare(l, r) === 0) === equal;
    };
  }
  const holds = op === '<' ? (c: number) => c < 0 : op === '<=' ? (c: number) => c <= 0 : op === '>' ? (c: number) => c > 0 : (c: number) => c >= 0;
  return (message) => {
    const l = leftValue(message);
    if (l === null) return null;
    const r = rightValue(message);
    if (r === null) return null;
    const c = compare(l, r);
    return c !== MISMATCH && holds(c);
  };
}

function like(not: boolean, value: Evaluate, matches: (value: string) => boolean): Evaluate {
  return (message) => {
    const v = value(message);
    if (v === null) return null;
    return typeof v === 'string' ? matches(v) !== not : not;
  };
}

function inList(not: boolean, value: Evaluate, items: ReadonlySet<string>): Evaluate {
  return (message) => {
    const v = value(message);
    return typeof v === 'string' ? items.has(v) !== not : null;
  };
}
