import { describe, expect, it } from '@jest/globals';
import { BrokerProtocolError } from '../../../../lib/broker/core/contracts.js';
import { readSubscribeHeaders } from '../../../../lib/broker/session/subscribe-headers.js';

describe('readSubscribeHeaders', () => {
  it('defaults: auto, prefetch 1000, priority 0, no selector, nothing else', () => {
    expect(readSubscribeHeaders({ destination: '/queue/q', id: '1' })).toEqual({
      ack: 'auto',
      prefetch: 1000,
      exclusive: false,
      priority: 0,
      noLocal: false,
      retroactive: false,
      durableName: undefined,
      browser: false,
      selector: undefined,
    });
  });

  it('reads every header it supports; booleans in any case, as Java reads them', () => {
    expect(
      readSubscribeHeaders({
        ack: 'client-individual',
        'activemq.prefetchSize': '5',
        'activemq.exclusive': 'TRUE',
        'activemq.priority': '127',
        'activemq.noLocal': 'true',
        'activemq.retroactive': 'False',
        'activemq.subscriptionName': 'd',
        'activemq.dispatchAsync': 'false',
        browser: 'true',
        selector: "a = 'b'",
        'x-application-header': 'anything',
      }),
    ).toEqual({ ack: 'client-individual', prefetch: 5, exclusive: true, priority: 127, noLocal: true, retroactive: false, durableName: 'd', browser: true, selector: "a = 'b'" });
  });

  it('an empty selector selects everything, as none does (JMS)', () => {
    expect(readSubscribeHeaders({ selector: '  ' }).selector).toBeUndefined();
  });

  it.each([
    [{ 'activemq.maximumPendingMessageLimit': '5' }, /^SUBSCRIBE header 'activemq\.maximumPendingMessageLimit' is not supported by the embedded broker/],
    [{ 'activemq.retroactive': 'yes' }, /^activemq\.retroactive 'yes' is not true or false$/],
    [{ 'activemq.priority': '7.5' }, /^activemq\.priority '7\.5' is not a consumer priority from 0 to 127$/],
    [{ 'activemq.prefetchSize': '0' }, /^activemq\.prefetchSize '0' is not a positive integer$/],
    [{ ack: 'none' }, /^ack mode 'none' is not auto, client or client-individual$/],
  ])('%j is refused', (headers, message) => {
    expect(() => readSubscribeHeaders(headers)).toThrow(BrokerProtocolError);
    expect(() => readSubscribeHeaders(headers)).toThrow(message);
  });
});
