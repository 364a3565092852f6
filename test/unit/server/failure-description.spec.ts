import { describe, expect, it } from '@jest/globals';
import { describeFailure, MAX_FAILURE_CHARS } from '../../../lib/server/failure-description.js';

describe('describeFailure', () => {
  it('says what a handler failed with, never [object Object]', () => {
    expect(describeFailure({ code: 'E42', details: { field: 'x' } })).toBe('{"code":"E42","details":{"field":"x"}}');
    expect(describeFailure({ status: 'error', message: 'no stock' })).toBe('no stock');
    expect(describeFailure(new TypeError('bad'))).toBe('TypeError: bad');
    expect(describeFailure('plain')).toBe('plain');
    expect(describeFailure(undefined)).toBe('undefined');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(describeFailure(cyclic)).toBe('{"a":1,"self":"[circular]"}');
  });

  it('lists class-validator messages, nested ones with their path', () => {
    const errors = [
      { property: 'name', constraints: { isString: 'name must be a string' } },
      { property: 'address', children: [{ property: 'city', constraints: { isNotEmpty: 'city should not be empty' } }] },
    ];
    expect(describeFailure(errors)).toBe('validation failed: name must be a string; address.city should not be empty');
  });

  it("explains Nest's stand-in for an exception it kept, instead of quoting it", () => {
    const text = describeFailure({ status: 'error', message: 'Internal server error' });
    expect(text).toMatch(/^Nest's exception filter passed on only 'Internal server error'/);
    expect(text).toMatch(/RpcException/);
  });

  it('is bounded', () => {
    const text = describeFailure({ huge: 'x'.repeat(10_000) });
    expect(text.length).toBeLessThan(MAX_FAILURE_CHARS + 40);
    expect(text).toMatch(/… \(10011 characters\)$/);
  });
});
