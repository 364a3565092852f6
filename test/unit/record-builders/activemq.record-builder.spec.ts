import { describe, expect, it } from '@jest/globals';
import { ActiveMQRecordBuilder } from '../../../lib/record-builders/activemq.record-builder.js';

describe('ActiveMQRecordBuilder', () => {
  it('builds a record with every setting', () => {
    const record = new ActiveMQRecordBuilder({ a: 1 })
      .setDurable(false)
      .setPriority(9)
      .setTimeToLive(1000)
      .setHeaders({ tenant: 'a' })
      .setHeaders({ region: 'eu' })
      .setCorrelationId('c-1')
      .build();
    expect(record.data).toEqual({ a: 1 });
    expect(record.options).toEqual({ durable: false, priority: 9, timeToLive: 1000, headers: { tenant: 'a', region: 'eu' }, correlationId: 'c-1' });
  });

  it.each([
    [() => new ActiveMQRecordBuilder(1).setPriority(10), /integer from 0 to 9/],
    [() => new ActiveMQRecordBuilder(1).setPriority(1.5), /integer from 0 to 9/],
    [() => new ActiveMQRecordBuilder(1).setTimeToLive(0), /positive whole number/],
    [() => new ActiveMQRecordBuilder(1).setDurable('yes' as never), /durable \(setDurable\(\)\) must be true or false/],
    [() => new ActiveMQRecordBuilder(1).setHeaders({ n: 1 as never }), /header 'n' must be a string/],
    [() => new ActiveMQRecordBuilder(1).setHeaders({ persistent: 'true' }), /header 'persistent' is written by setDurable\(\), not setHeaders\(\)/],
    [() => new ActiveMQRecordBuilder(1).setHeaders({ 'reply-to': '/queue/x' }), /is set by the transport/],
    [() => new ActiveMQRecordBuilder(1).setCorrelationId(''), /non-empty string/],
  ])('refuses bad input %#', (build, message) => {
    expect(build).toThrow(message);
  });
});
