import { describe, expect, it } from '@jest/globals';
import { ServerActiveMQ } from '../../../lib/server/server-activemq.js';
import { describeFailure, MAX_FAILURE_CHARS } from '../../../lib/server/failure-description.js';
import { RecentMap } from '../../../lib/server/recent-map.js';
import { checkAllowedReplyTo, ReplyDestinations } from '../../../lib/server/reply-destinations.js';

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

describe('RecentMap', () => {
  it('keeps the last `capacity` keys set', () => {
    const map = new RecentMap<number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 3);
    map.set('c', 4);
    expect([map.has('a'), map.has('b'), map.has('c'), map.size]).toEqual([true, false, true, 2]);
    expect(map.get('a')).toBe(3);
    const none = new RecentMap<true>(0);
    none.set('x', true);
    expect(none.has('x')).toBe(false);
  });
});

describe('reply destinations', () => {
  it('allows temporary destinations, as ActiveMQ names them, and the allowed patterns only', () => {
    const replies = new ReplyDestinations(checkAllowedReplyTo(['/queue/replies.*', '/topic/answers.>', '/queue/exact']));
    for (const allowed of ['/remote-temp-queue/ID:host-1-2:3:1', '/temp-queue/mine', '/remote-temp-topic/ID:x:1', '/queue/replies.a', '/topic/answers.a.b', '/queue/exact']) {
      expect([allowed, replies.allows(allowed)]).toEqual([allowed, true]);
    }
    for (const refused of ['/queue/orders', '/queue/replies.a.b', '/queue/replies', '/queue/exactly', '/topic/answers', '/queue/ID:host-1-2:3:1', 'replies.a']) {
      expect([refused, replies.allows(refused)]).toEqual([refused, false]);
    }
  });

  it.each([
    ['/queue/replies.*', { allowedReplyTo: '/queue/replies.*' as never }, /allowedReplyTo must be an array/],
    ['a name without prefix', { allowedReplyTo: ['replies'] }, /start(ing)? with \/queue\/ or \/topic\//],
    ['> not last', { allowedReplyTo: ['/queue/a.>.b'] }, /'>' matches the rest of a name/],
    ['a partial wildcard', { allowedReplyTo: ['/queue/replies*'] }, /whole name segments/],
    ['brokerMaxRedeliveries -1', { brokerMaxRedeliveries: -1 }, /brokerMaxRedeliveries must be a whole number >= 0/],
    ['brokerMaxRedeliveries 1.5', { brokerMaxRedeliveries: 1.5 }, /brokerMaxRedeliveries must be a whole number >= 0/],
  ])('ServerActiveMQ refuses %s', (_label, options, message) => {
    expect(() => new ServerActiveMQ({ uri: 'stomp://127.0.0.1:1', ...options })).toThrow(message);
  });

  it('ServerActiveMQ takes both new options', () => {
    expect(() => new ServerActiveMQ({ uri: 'stomp://127.0.0.1:1', allowedReplyTo: ['/queue/replies.>'], brokerMaxRedeliveries: 0 })).not.toThrow();
  });
});
