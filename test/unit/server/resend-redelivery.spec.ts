import { describe, expect, it } from '@jest/globals';
import { InvalidOptionError } from '../../../lib/errors/activemq-error.js';
import { DELIVERY_COUNT_HEADER, deliveriesOf, ORIGINAL_DESTINATION_HEADER, redeliveryPolicyOf, resendPlan } from '../../../lib/server/resend-redelivery.js';
import type { StompFrame } from '../../../lib/stomp/frame.js';
import { thrown } from '../../support/thrown.js';

const policy = { maxRedeliveries: 2, delay: 1100, deadLetterQueue: 'DLQ' };

function message(headers: Record<string, string>, body = '{"id":1}'): StompFrame {
  return { command: 'MESSAGE', headers: { 'message-id': '10,20', subscription: 'sub-1', ack: '10,20', redelivered: 'false', timestamp: '1', ...headers }, body: Buffer.from(body) };
}

describe('the server’s redelivery on Artemis: the plan of a rejection', () => {
  it('sends a first rejection back to its queue, delayed, counting the delivery, with the application’s headers only', () => {
    const plan = resendPlan(
      message({
        destination: '/queue/orders',
        persistent: 'true',
        priority: '4',
        'content-type': 'application/json',
        probe: 'x',
        _AMQ_DUPL_ID: 'd-1',
        'destination-type': 'ANYCAST',
      }),
      policy,
    );
    expect(plan.to).toBe('redelivery');
    expect(plan.destination).toBe('/queue/orders');
    expect(plan.headers).toEqual({ persistent: 'true', priority: '4', 'content-type': 'application/json', probe: 'x', [DELIVERY_COUNT_HEADER]: '2', AMQ_SCHEDULED_DELAY: '1100' });
    expect(plan.fate).toBe('rejected: the server sends it again in 1100 ms (delivery 2 of 3), then to DLQ');
  });

  it('counts on from the copy’s header, drops the previous schedule, and says which delivery is the last', () => {
    const plan = resendPlan(message({ destination: '/queue/orders', [DELIVERY_COUNT_HEADER]: '2', _AMQ_SCHED_DELIVERY: '1796182554854', AMQ_SCHEDULED_DELAY: '1100' }), policy);
    expect(plan.headers).toEqual({ [DELIVERY_COUNT_HEADER]: '3', AMQ_SCHEDULED_DELAY: '1100' });
    expect(plan.fate).toMatch(/\(delivery 3 of 3, the last\)/);
  });

  it('past maxRedeliveries, to the dead-letter queue, naming where it came from', () => {
    const plan = resendPlan(message({ destination: '/queue/orders', [DELIVERY_COUNT_HEADER]: '3' }), policy);
    expect(plan.to).toBe('dead-letter queue');
    expect(plan.destination).toBe('/queue/DLQ');
    expect(plan.headers).toEqual({ [DELIVERY_COUNT_HEADER]: '3', [ORIGINAL_DESTINATION_HEADER]: '/queue/orders' });
    expect(plan.fate).toBe('rejected for the last time: the server moves it to DLQ after 3 deliveries (redelivery.maxRedeliveries 2)');
  });

  it('a final rejection (a message no delivery can handle) and a topic subscriber’s message go to the dead-letter queue at once', () => {
    expect(resendPlan(message({ destination: '/queue/orders' }), policy, true)).toMatchObject({
      to: 'dead-letter queue',
      fate: expect.stringMatching(/at once: no delivery can handle it$/),
    });
    expect(resendPlan(message({ destination: '/topic/prices' }), policy)).toMatchObject({
      to: 'dead-letter queue',
      fate: expect.stringMatching(/cannot be redelivered to it alone$/),
    });
  });

  it('a bytes message stays bytes: content-length is written for the body as it is', () => {
    const plan = resendPlan(message({ destination: '/queue/orders', 'content-length': '999' }, 'abc'), { ...policy, delay: 0 });
    expect(plan.headers).toEqual({ 'content-length': '3', [DELIVERY_COUNT_HEADER]: '2' });
    expect(plan.fate).toMatch(/sends it again at once/);
  });

  it('reads a count header only when it is a whole number from 1', () => {
    expect(['2', '0', '-3', 'x', '1.5', undefined].map((count) => deliveriesOf(message(count === undefined ? {} : { [DELIVERY_COUNT_HEADER]: count })))).toEqual([
      2, 1, 1, 1, 1, 1,
    ]);
  });
});

describe('the server’s redelivery policy: options', () => {
  it('defaults to Artemis’ own for an address without settings, or brokerMaxRedeliveries', () => {
    expect(redeliveryPolicyOf(undefined, undefined)).toEqual({ maxRedeliveries: 9, delay: 0, deadLetterQueue: 'DLQ' });
    expect(redeliveryPolicyOf(undefined, 4)).toEqual({ maxRedeliveries: 4, delay: 0, deadLetterQueue: 'DLQ' });
    expect(redeliveryPolicyOf({ maxRedeliveries: 0, delay: 250, deadLetterQueue: 'orders.DLQ' }, 4)).toEqual({ maxRedeliveries: 0, delay: 250, deadLetterQueue: 'orders.DLQ' });
  });

  it('refuses a bad value by name', () => {
    const cases: unknown[] = ['3', { maxRedeliveries: -1 }, { delay: 1.5 }, { deadLetterQueue: '/queue/DLQ' }, { deadLetterQueue: 'a b' }];
    const errors = cases.map((options) => thrown(() => redeliveryPolicyOf(options as never, undefined)));
    for (const error of errors) expect(error).toBeInstanceOf(InvalidOptionError);
    expect(errors.map((e) => e.message)).toEqual([
      'redelivery must be an object: { maxRedeliveries?, delay?, deadLetterQueue? }',
      expect.stringMatching(/^redelivery\.maxRedeliveries/),
      expect.stringMatching(/^redelivery\.delay/),
      'redelivery.deadLetterQueue must be an address name (no spaces, no leading \'/\'), not "/queue/DLQ"',
      'redelivery.deadLetterQueue must be an address name (no spaces, no leading \'/\'), not "a b"',
    ]);
  });
});
