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
    ['topic://prices.>', '/topic/prices.>'],
    ['queue://jobs.*.eu', '/queue/jobs.*.eu'],
    ['queue://a,b', '/queue/a,/queue/b'],
    ['queue://a,topic://b,c', '/queue/a,/topic/b,/topic/c'],
    ['queue://a%b', '/queue/a%25b'],
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

  it.each([
    ['topic://prices.eu*', /stand for whole name elements/],
    ['topic://prices.>.eu', /'>' stands for the elements left, so it comes last/],
    ['queue://a,,b', /names no destination in one of its members/],
    ['queue://a b', /cannot hold white space/],
  ])('refuses %s', (pattern, message) => {
    expect(() => destinationOf(pattern)).toThrow(message);
  });

  it('Artemis subscribes to a wildcard in its own syntax (# for >), and refuses composite subscriptions', async () => {
    const { BrokerDialect } = await import('../../../lib/wire/broker-dialect.js');
    const artemis = BrokerDialect.of('ActiveMQ-Artemis/2.40.0');
    expect(artemis.subscription('/topic/prices.>', {})).toEqual({ destination: 'prices.#', headers: { 'subscription-type': 'MULTICAST' } });
    expect(artemis.subscription('/topic/prices.*.eu', {})).toEqual({ destination: 'prices.*.eu', headers: { 'subscription-type': 'MULTICAST' } });
    expect(() => artemis.subscription('/queue/a,/queue/b', {})).toThrow(/composite destination/);
  });
});
