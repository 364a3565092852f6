import { describe, expect, it } from '@jest/globals';
import { BrokerProtocolError } from '../../../../lib/broker/core/contracts.js';
import { compositeParts, isWildcard, NamePattern, subscriptionParts } from '../../../../lib/broker/core/destinations.js';

describe('NamePattern: ActiveMQ wildcards', () => {
  it.each([
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.b.d', false],
    ['a.*.c', 'a.b.c.d', false],
    ['a.*.c', 'a.c', false],
    ['a.>', 'a', true],
    ['a.>', 'a.b', true],
    ['a.>', 'a.b.c.d', true],
    ['a.>', 'ab.c', false],
    ['a.>', 'b.a', false],
    ['*.b', 'x.b', true],
    ['>', 'anything.at.all', true],
    ['a.>.ignored', 'a.b.c', true],
    ['a.b', 'a.b', true],
  ])('%s against %s: %s', (pattern, name, matches) => {
    expect(new NamePattern(pattern).matches(name)).toBe(matches);
  });

  it('a wildcard is a whole element: a*.b and a.b> have none', () => {
    expect([isWildcard('a.*.b'), isWildcard('a.>'), isWildcard('a*.b'), isWildcard('a.b>'), isWildcard('plain')]).toEqual([true, true, false, false, false]);
  });
});

describe('compositeParts and subscriptionParts', () => {
  it('splits a composite list; a bare name is of the first destination’s type', () => {
    expect(compositeParts('/queue/a, /topic/b,c', 'unknown')).toEqual([
      { kind: 'queue', name: 'a', written: '/queue/a' },
      { kind: 'topic', name: 'b', written: '/topic/b' },
      { kind: 'queue', name: 'c', written: '/queue/c' },
    ]);
    expect(compositeParts('/topic/a,b', 'unknown').map((p) => p.written)).toEqual(['/topic/a', '/topic/b']);
  });

  it.each([
    ['/queue/a,', "the composite destination '/queue/a,' has an empty part"],
    ['/temp-queue/t,b', "unknown (in the composite destination '/temp-queue/t,b', 'b' has no such prefix)"],
    [
      '/queue/ActiveMQ.Embedded.DurableSubscription.x',
      "queue names starting with 'ActiveMQ.Embedded.' are reserved by the embedded broker: '/queue/ActiveMQ.Embedded.DurableSubscription.x' refused",
    ],
    ['/exchange/x', 'unknown'],
  ])('%s is refused: %s', (destination, message) => {
    expect(() => compositeParts(destination, 'unknown')).toThrow(new BrokerProtocolError(message));
  });

  it('a SUBSCRIBE takes no remote temporary queue, and no wildcard in a temporary queue', () => {
    expect(() => subscriptionParts('/remote-temp-queue/x')).toThrow(new BrokerProtocolError("cannot subscribe to '/remote-temp-queue/x': use /queue/, /topic/ or /temp-queue/"));
    expect(() => subscriptionParts('/temp-queue/a.>')).toThrow(new BrokerProtocolError("cannot subscribe to '/temp-queue/a.>': a temporary queue takes no wildcards"));
  });
});
