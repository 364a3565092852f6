// Java's conversions of strings, as ActiveMQ Classic's selectors apply them: a property of a
// message sent over STOMP is a string, and Classic converts it when a comparison sets it against
// a number or a boolean (ComparisonExpression.compare with convertStringExpressions, which its
// STOMP transport turns on for every subscription's selector). The rules are those of
// Integer.valueOf, Long.valueOf, Double.valueOf and Boolean.valueOf
// (https://docs.oracle.com/en/java/javase/17/docs/api/java.base/java/lang/Integer.html#parseInt(java.lang.String),
// …/Double.html#valueOf(java.lang.String)), and of Double.toString for `'x' + 1.5`.

const INT_LIMIT = { positive: '2147483647', negative: '2147483648' };
const LONG_LIMIT = { positive: '9223372036854775807', negative: '9223372036854775808' };

/** A decimal digit as Java's Character.digit reads one: 0-9, and the digits of other scripts (`'٥'` is 5); -1 for anything else. */
function digitOf(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code < 128 || code > 0xffff || !isDigit(code)) return -1;
  // Unicode lays each script's digits out as a run of ten, zero first: count back to its zero.
  let zero = code;
  while (isDigit(zero - 1)) zero--;
  return (code - zero) % 10;
}

const DIGIT = /^\p{Nd}$/u;

function isDigit(code: number): boolean {
  return DIGIT.test(String.fromCharCode(code));
}

/**
 * Java's Integer.parseInt (`long` false) or Long.parseLong (`long` true): an optional sign, then
 * digits only (no spaces, no decimal point), within the type's range; `null` when Java would
 * throw NumberFormatException. Longs beyond 2^53 lose precision (they are JavaScript numbers).
 */
export function parseJavaInteger(text: string, long: boolean): number | null {
  const length = text.length;
  let i = 0;
  let negative = false;
  const first = text.charCodeAt(0);
  if (first === 45 || first === 43) {
    negative = first === 45;
    i = 1;
  }
  if (i >= length) return null;
  const limits = long ? LONG_LIMIT : INT_LIMIT;
  const limit = negative ? limits.negative : limits.positive;
  let value = 0;
  let significant = 0;
  // How the significant digits read so far compare with the limit's first digits, left to right.
  let versusLimit = 0;
  for (; i < length; i++) {
    const digit = digitOf(text.charCodeAt(i));
    if (digit < 0) return null;
    if (significant === 0 && digit === 0) continue;
    if (versusLimit === 0 && significant < limit.length) {
      const limitDigit = limit.charCodeAt(significant) - 48;
      versusLimit = digit < limitDigit ? -1 : digit > limitDigit ? 1 : 0;
    }
    significant++;
    value = value * 10 + digit;
  }
  if (significant > limit.length || (significant === limit.length && versusLimit > 0)) return null;
  return negative ? 0 - value : value;
}

const DECIMAL = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)$/;
const SUFFIX = /[fFdD]$/;
const HEXADECIMAL = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)[fFdD]?$/;

/**
 * Java's Double.valueOf: surrounding whitespace and control characters ignored, an optional
 * sign, then `NaN`, `Infinity`, a decimal (`5`, `5.`, `.5`, `1e3`) or a hexadecimal
 * floating-point number (`0x1p3`), optionally followed by f, F, d or D; `null` when Java would
 * throw NumberFormatException.
 */
export function parseJavaDouble(text: string): number | null {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 32) start++;
  while (end > start && text.charCodeAt(end - 1) <= 32) end--;
  const trimmed = start === 0 && end === text.length ? text : text.slice(start, end);
  if (DECIMAL.test(trimmed)) {
    // Number() reads the rest as Java does (correctly rounded), but knows no f/d suffix.
    return Number(SUFFIX.test(trimmed) ? trimmed.slice(0, -1) : trimmed);
  }
  const hex = HEXADECIMAL.exec(trimmed);
  if (hex === null) return null;
  const [, sign, whole = '', fraction = '', exponent = '0'] = hex;
  if (whole === '' && fraction === '') return null;
  const magnitude = parseInt(whole + fraction, 16) * 2 ** (Number(exponent) - 4 * fraction.length);
  return sign === '-' ? -magnitude : magnitude;
}

/** Java's Boolean.valueOf: true for "true" in any case, false for anything else. */
export function javaBoolean(text: string): boolean {
  return text.length === 4 && text.toLowerCase() === 'true';
}

/** Java's Double.toString: `5.0`, `0.001`, `1.0E7`, `1.5E-5`, `NaN`, `Infinity`, `-0.0`. */
export function javaDoubleString(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    const plain = String(value);
    return plain.includes('.') ? plain : `${plain}.0`;
  }
  const [mantissa = '', exponent = ''] = value.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

/**
 * Java's Double.compare: numeric order, except that NaN is above everything (+Infinity included)
 * and equal to itself, and -0.0 is below 0.0.
 */
export function compareDoubles(left: number, right: number): number {
  if (left < right) return -1;
  if (left > right) return 1;
  if (left === right) {
    if (left !== 0) return 0;
    const leftNegative = Object.is(left, -0);
    return leftNegative === Object.is(right, -0) ? 0 : leftNegative ? -1 : 1;
  }
  const leftNaN = Number.isNaN(left);
  return leftNaN === Number.isNaN(right) ? 0 : leftNaN ? 1 : -1;
}
