import { describe, expect, it } from '@jest/globals';
import { ServerActiveMQ } from '../../../lib/server/server-activemq.js';

/** Options are checked when a server is built, before anything connects. */
describe('ServerActiveMQ options', () => {
  it.each([
    [{ dedupeWindow: -1 }, /dedupeWindow must be a whole number >= 0/],
    [{ prefetch: 0 }, /prefetch must be a whole number >= 1/],
    [{ tracing: 'on' } as never, /tracing must be true or false, got "on"/],
    [{ consumerGroup: 'a b' }, /consumerGroup 'a b'/],
  ])('ServerActiveMQ refuses %j', (options, message) => {
    expect(() => new ServerActiveMQ(options)).toThrow(message);
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
