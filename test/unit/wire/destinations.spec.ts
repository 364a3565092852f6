import { describe, expect, it } from '@jest/globals';
import { InvalidOptionError } from '../../../lib/errors/activemq-error.js';
import { destinationOf, subscriptionOf } from '../../../lib/wire/destinations.js';

describe('destinations', () => {
  it.each([
    ['orders.placed', '/queue/orders.placed'],
    ['queue://orders', '/queue/orders'],
    ['topic://prices', '/topic/prices'],
    ['TOPIC://prices', '/topic/prices'],
    ['/queue/raw', '/queue/raw'],
    ['/topic/raw', '/topic/raw'],
    ['VirtualTopic.Orders', '/topic/VirtualTopic.Orders'],
    ['{"a":1,"b":2}', '/queue/{"a":1%2C"b":2}'],
    ['x.*.>', '/queue/x.%2A.%3E'],
  ])('%s → %s', (pattern, destination) => {
    expect(destinationOf(pattern)).toBe(destination);
  });

  it('consumes a virtual topic through the consumer group queue', () => {
    expect(subscriptionOf('VirtualTopic.Orders', 'billing')).toBe('/queue/Consumer.billing.VirtualTopic.Orders');
    expect(subscriptionOf('topic://VirtualTopic.Orders', 'billing')).toBe('/queue/Consumer.billing.VirtualTopic.Orders');
    expect(subscriptionOf('VirtualTopic.Orders')).toBe('/topic/VirtualTopic.Orders');
    expect(subscriptionOf('orders', 'billing')).toBe('/queue/orders');
  });

  it('refuses empty patterns and unsafe consumer groups', () => {
    expect(() => destinationOf('')).toThrow(InvalidOptionError);
    expect(() => destinationOf('queue://')).toThrow(/names no destination/);
    expect(() => subscriptionOf('VirtualTopic.X', 'a.b')).toThrow(/consumerGroup 'a.b'/);
  });
});
