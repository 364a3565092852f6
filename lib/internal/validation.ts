import { InvalidOptionError } from '../errors/activemq-error.js';

/** Ten years, the longest delivery delay (and the furthest delivery time) taken. */
export const MAX_DELIVERY_DELAY_MS = 10 * 365 * 24 * 3600 * 1000;

/**
 * The one check of options and arguments given in code. Each failure is an
 * {@link InvalidOptionError} naming the option, what it takes and what it got, so that every
 * option of every class reads the same way when it is wrong.
 */
export const check = {
  /**
   * A whole number from `min` (default 1) to `max`; `unit` is said in the message
   * ("a whole number of milliseconds").
   */
  wholeNumber(name: string, value: unknown, { min = 1, max, unit }: { min?: number; max?: number; unit?: string } = {}): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || (max !== undefined && value > max)) {
      const kind = `a whole number${unit ? ` of ${unit}` : ''}`;
      const range = max === undefined ? (min === 1 && unit ? '' : ` >= ${min}`) : ` from ${min} to ${max}`;
      const what = min === 1 && max === undefined && unit ? `a positive ${kind.slice(2)}` : `${kind}${range}`;
      throw new InvalidOptionError(name, `${name} must be ${what}, got ${shown(value)}`);
    }
    return value;
  },

  /** A delivery delay: whole milliseconds from 0 to ten years (a longer one is a unit mistake, seconds for milliseconds or a date for a delay, not a plan). */
  deliveryDelay(name: string, value: unknown): number {
    return check.wholeNumber(name, value, { min: 0, max: MAX_DELIVERY_DELAY_MS, unit: 'milliseconds' });
  },

  /** A JMS priority, 0 (lowest) to 9; the brokers default to 4. */
  priority(name: string, value: unknown): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 9) {
      throw new InvalidOptionError(name, `${name} must be an integer from 0 to 9 (JMS priority), got ${shown(value)}`);
    }
    return value;
  },

  /** One of `allowed`. */
  oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
    if (!allowed.includes(value as T)) throw new InvalidOptionError(name, `${name} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${shown(value)}`);
    return value as T;
  },

  /** `true` or `false`. */
  boolean(name: string, value: unknown): boolean {
    if (typeof value !== 'boolean') throw new InvalidOptionError(name, `${name} must be true or false, got ${shown(value)}`);
    return value;
  },

  /** A fraction above 0 and at most 1. */
  fraction(name: string, value: unknown): number {
    if (typeof value !== 'number' || !(value > 0 && value <= 1)) throw new InvalidOptionError(name, `${name} must be a fraction above 0 and at most 1, got ${shown(value)}`);
    return value;
  },

  /** A non-empty string; `what` says what it names ("a queue name"). */
  name(name: string, value: unknown, what = 'a non-empty string'): string {
    if (typeof value !== 'string' || value === '') throw new InvalidOptionError(name, `${name} must be ${what}, got ${shown(value)}`);
    return value;
  },

  /** An object (not null, not an array), such as an options bag. */
  object(name: string, value: unknown): object {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidOptionError(name, `${name} must be an object`);
    return value;
  },
};

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value !== null && typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}
