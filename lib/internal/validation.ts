import { InvalidOptionError } from '../errors/activemq-error.js';

/** The one check of numeric and enumerated options: each failure names the option, what it takes and what it got. */
export const check = {
  /** A whole number of at least `min` (default 1). */
  wholeNumber(name: string, value: unknown, min = 1, unit = ''): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      throw new InvalidOptionError(name, `${name} must be a whole number${unit} >= ${min}, got ${describe(value)}`);
    }
    return value;
  },

  /** One of `allowed`. */
  oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
    if (!allowed.includes(value as T)) throw new InvalidOptionError(name, `${name} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${describe(value)}`);
    return value as T;
  },

  /** `undefined`, `true` or `false`. */
  optionalBoolean(name: string, value: unknown): boolean | undefined {
    if (value !== undefined && typeof value !== 'boolean') throw new InvalidOptionError(name, `${name} must be true or false, got ${describe(value)}`);
    return value;
  },
};

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}
