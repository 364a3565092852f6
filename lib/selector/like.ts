// LIKE patterns: `%` is any run of characters (none included), `_` is one character, anything
// else is itself (regular expression metacharacters too: 'a.b%' does not match 'axb'). The
// escape character, when one is given, makes the `%`, `_` or escape character after it literal;
// before any other character, or at the end of the pattern, it is itself an ordinary character
// (ActiveMQ Classic's ComparisonExpression.LikeExpression; the JMS javadoc leaves that case open).
//
// The match is done by hand rather than by a regular expression: a pattern of many `%` against a
// long value could make a backtracking regular expression run for a very long time, while this
// takes at most (value length × pattern length) steps. Characters are Unicode code points, as
// in Java's regular expressions (`_` matches one emoji).

/** `%` in a compiled pattern. */
const ANY_RUN = -1;
/** `_` in a compiled pattern. */
const ONE = -2;

/** A LIKE pattern, compiled once: `matches(value)` says whether `value` is LIKE it. */
export function compileLike(pattern: string, escape: string | undefined): (value: string) => boolean {
  const escapeCode = escape === undefined ? -1 : escape.codePointAt(0)!;
  const points = Array.from(pattern, (char) => char.codePointAt(0)!);
  const tokens: number[] = [];
  for (let i = 0; i < points.length; i++) {
    const point = points[i]!;
    const next = points[i + 1];
    if (point === escapeCode && next !== undefined && (next === 37 || next === 95 || next === escapeCode)) {
      tokens.push(next);
      i++;
    } else if (point === 37) {
      // Consecutive `%` are one.
      if (tokens[tokens.length - 1] !== ANY_RUN) tokens.push(ANY_RUN);
    } else {
      tokens.push(point === 95 ? ONE : point);
    }
  }
  const compiled = Int32Array.from(tokens);
  return (value) => likeMatches(compiled, value);
}

/**
 * Whether `value` matches the tokens: the usual wildcard walk, which on a mismatch lets the last
 * `%` seen take one more character and tries again from there.
 */
function likeMatches(tokens: Int32Array, value: string): boolean {
  const end = value.length;
  const count = tokens.length;
  let t = 0;
  let v = 0;
  let runToken = -1;
  let runValue = 0;
  while (v < end) {
    if (t < count) {
      const token = tokens[t]!;
      if (token === ANY_RUN) {
        runToken = t++;
        runValue = v;
        continue;
      }
      const point = value.codePointAt(v)!;
      if (token === ONE || token === point) {
        v += point > 0xffff ? 2 : 1;
        t++;
        continue;
      }
    }
    if (runToken < 0) return false;
    t = runToken + 1;
    runValue += value.codePointAt(runValue)! > 0xffff ? 2 : 1;
    v = runValue;
  }
  while (t < count && tokens[t] === ANY_RUN) t++;
  return t === count;
}
