import { describe, expect, it } from '@jest/globals';
import { InvalidOptionError } from '../../../lib/errors/activemq-error.js';
import { check } from '../../../lib/internal/validation.js';
import { thrown } from '../../support/thrown.js';

/** What `fn` throws, checked to be an InvalidOptionError naming `option`; its message. */
function refusal(fn: () => unknown, option: string): string {
  const error = thrown(fn) as InvalidOptionError;
  expect(error).toBeInstanceOf(InvalidOptionError);
  expect(error.code).toBe('INVALID_OPTION');
  expect(error.option).toBe(option);
  return error.message;
}

describe('check.wholeNumber', () => {
  it('returns a whole number within its range (default: at least 1)', () => {
    expect(check.wholeNumber('prefetch', 1)).toBe(1);
    expect(check.wholeNumber('dedupeWindow', 0, { min: 0 })).toBe(0);
    expect(check.wholeNumber('port', 65535, { min: 0, max: 65535 })).toBe(65535);
    expect(check.wholeNumber('n', 2 ** 40)).toBe(2 ** 40);
  });

  it.each([
    [0, {}, 'prefetch must be a whole number >= 1, got 0'],
    [1.5, {}, 'prefetch must be a whole number >= 1, got 1.5'],
    [-1, { min: 0 }, 'prefetch must be a whole number >= 0, got -1'],
    ['5', {}, 'prefetch must be a whole number >= 1, got "5"'],
    [NaN, {}, 'prefetch must be a whole number >= 1, got NaN'],
    [Infinity, {}, 'prefetch must be a whole number >= 1, got Infinity'],
    [undefined, {}, 'prefetch must be a whole number >= 1, got undefined'],
    [null, {}, 'prefetch must be a whole number >= 1, got null'],
    [{}, {}, 'prefetch must be a whole number >= 1, got an object'],
    [[1], {}, 'prefetch must be a whole number >= 1, got an array'],
    [70000, { min: 0, max: 65535 }, 'prefetch must be a whole number from 0 to 65535, got 70000'],
    [0, { unit: 'milliseconds' }, 'prefetch must be a positive whole number of milliseconds, got 0'],
    [10, { min: 100, unit: 'bytes' }, 'prefetch must be a whole number of bytes >= 100, got 10'],
  ])('refuses %p (%j) naming the option, what it takes and what it got', (value, range, message) => {
    expect(refusal(() => check.wholeNumber('prefetch', value, range), 'prefetch')).toBe(message);
  });
});

describe('check.priority', () => {
  it('returns a JMS priority, 0 to 9', () => {
    expect([0, 4, 9].map((p) => check.priority('priority', p))).toEqual([0, 4, 9]);
  });

  it.each([10, -1, 4.5, '4'])('refuses %p', (value) => {
    expect(refusal(() => check.priority('priority', value), 'priority')).toMatch(/^priority must be an integer from 0 to 9 \(JMS priority\), got /);
  });
});

describe('check.oneOf', () => {
  it('returns a value among those allowed', () => {
    expect(check.oneOf('confirmationStrategy', 'receipt', ['transaction', 'receipt'])).toBe('receipt');
  });

  it('refuses anything else, listing what is allowed', () => {
    expect(refusal(() => check.oneOf('confirmationStrategy', 'sometimes', ['transaction', 'receipt']), 'confirmationStrategy')).toBe(
      "confirmationStrategy must be 'transaction' or 'receipt', got \"sometimes\"",
    );
    expect(refusal(() => check.oneOf('mode', undefined, ['a']), 'mode')).toBe("mode must be 'a', got undefined");
  });
});

describe('check.boolean', () => {
  it('returns true or false', () => {
    expect([check.boolean('tracing', true), check.boolean('tracing', false)]).toEqual([true, false]);
  });

  it.each([
    ['on', 'tracing must be true or false, got "on"'],
    [1, 'tracing must be true or false, got 1'],
    [null, 'tracing must be true or false, got null'],
    [undefined, 'tracing must be true or false, got undefined'],
  ])('refuses %p', (value, message) => {
    expect(refusal(() => check.boolean('tracing', value), 'tracing')).toBe(message);
  });
});

describe('check.fraction', () => {
  it('returns a number above 0 and at most 1', () => {
    expect([check.fraction('f', 1), check.fraction('f', 0.001)]).toEqual([1, 0.001]);
  });

  it.each([0, 1.01, -0.5, NaN, '0.5'])('refuses %p', (value) => {
    expect(refusal(() => check.fraction('f', value), 'f')).toMatch(/^f must be a fraction above 0 and at most 1, got /);
  });
});

describe('check.name', () => {
  it('returns a non-empty string', () => {
    expect(check.name('deadLetterQueue', 'DLQ')).toBe('DLQ');
  });

  it('refuses an empty string or another type, saying what it names', () => {
    expect(refusal(() => check.name('deadLetterQueue', ''), 'deadLetterQueue')).toBe('deadLetterQueue must be a non-empty string, got ""');
    expect(refusal(() => check.name('deadLetterQueue', 5, 'a queue name'), 'deadLetterQueue')).toBe('deadLetterQueue must be a queue name, got 5');
    expect(refusal(() => check.name('x', () => 1), 'x')).toBe('x must be a non-empty string, got a function');
  });
});

describe('check.object', () => {
  it('returns an object', () => {
    const options = { a: 1 };
    expect(check.object('options', options)).toBe(options);
  });

  it.each([null, undefined, 'stomp://h:1', 5, [1]])('refuses %p', (value) => {
    expect(refusal(() => check.object('ClientActiveMQ options', value), 'ClientActiveMQ options')).toBe('ClientActiveMQ options must be an object');
  });
});
