import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { ActiveMQSerializationError } from '../../../lib/errors/client-errors.js';
import { ActiveMQRecord, ActiveMQRecordBuilder } from '../../../lib/record-builders/activemq.record-builder.js';
import { buildOutgoingMessage, recordOptionsOf } from '../../../lib/producer/outgoing-message.js';
import { bodyOnlySerializer } from '../../../lib/wire/serializers.js';
import { thrown } from '../../support/thrown.js';

describe('outgoing messages', () => {
  it('always says persistent explicitly, and carries the record settings', () => {
    const before = Date.now();
    const out = buildOutgoingMessage(
      'orders',
      new ActiveMQRecordBuilder({ a: 1 }).setPriority(7).setTimeToLive(5000).setHeaders({ tenant: 't' }).setCorrelationId('c').build(),
      bodyOnlySerializer,
      { durable: true },
    );
    expect(out.destination).toBe('/queue/orders');
    expect(out.body).toBe('{"a":1}');
    expect(out.durable).toBe(true);
    expect(out.headers).toMatchObject({ persistent: 'true', priority: '7', 'correlation-id': 'c', tenant: 't', 'content-type': 'application/json' });
    expect(Number(out.headers['expires'])).toBeGreaterThanOrEqual(before + 5000);
    expect(buildOutgoingMessage('orders', 'x', bodyOnlySerializer, { durable: false }).headers['persistent']).toBe('false');
    expect(buildOutgoingMessage('orders', new ActiveMQRecordBuilder('x').setDurable(true).build(), bodyOnlySerializer, { durable: false }).durable).toBe(true);
  });

  it('runs the serializer over the payload, not the record', () => {
    const envelope = { serialize: (packet: { pattern: unknown; data: unknown }) => ({ p: packet.pattern, d: packet.data }) };
    expect(buildOutgoingMessage('orders', new ActiveMQRecordBuilder(5).build(), envelope, { durable: true }).body).toBe('{"p":"orders","d":5}');
  });
});

afterEach(() => {
  jest.useRealTimers();
});

describe('recordOptionsOf', () => {
  it("is a record's settings, and none for anything else", () => {
    const record = new ActiveMQRecordBuilder('x').setPriority(2).setDurable(false).build();
    expect(recordOptionsOf(record)).toEqual({ priority: 2, durable: false });
    expect(recordOptionsOf(new ActiveMQRecord('x'))).toEqual({});
    expect(recordOptionsOf({ data: 'x', options: { priority: 9 } })).toEqual({});
    expect(recordOptionsOf(undefined)).toEqual({});
    expect(recordOptionsOf('text')).toEqual({});
  });
});

describe('buildOutgoingMessage', () => {
  it('a plain payload gets the destination of its pattern, its body and content type, and no optional headers', () => {
    const out = buildOutgoingMessage('topic://prices', { p: 1 }, bodyOnlySerializer, { durable: false });
    expect(out).toEqual({
      destination: '/topic/prices',
      headers: { destination: '/topic/prices', 'content-type': 'application/json', persistent: 'false' },
      body: '{"p":1}',
      durable: false,
    });
  });

  it('bytes go with their content-length header left for the writer to fill', () => {
    const out = buildOutgoingMessage('files', Buffer.from([1, 2, 3]), bodyOnlySerializer, { durable: true });
    expect(out.body).toEqual(Buffer.from([1, 2, 3]));
    expect(out.headers).toMatchObject({ 'content-type': 'application/octet-stream', 'content-length': '' });
  });

  it("takes the defaults' priority and time to live when the record does not say, the record's when it does", () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const defaults = { durable: true, priority: 3, timeToLive: 500 };
    const plain = buildOutgoingMessage('q', 'x', bodyOnlySerializer, defaults);
    expect([plain.headers['priority'], plain.headers['expires']]).toEqual(['3', String(1_000_500)]);
    const record = buildOutgoingMessage('q', new ActiveMQRecordBuilder('x').setPriority(8).setTimeToLive(60_000).build(), bodyOnlySerializer, defaults);
    expect([record.headers['priority'], record.headers['expires']]).toEqual(['8', String(1_060_000)]);
  });

  it("takes the defaults' delivery delay and JMS type unless the record says when it is delivered, or its own type", () => {
    const defaults = { durable: true, deliveryDelay: 2000, type: 'OrderPlaced' };
    const headersOf = (data: unknown) => buildOutgoingMessage('q', data, bodyOnlySerializer, defaults).headers;
    expect(headersOf('x')).toMatchObject({ AMQ_SCHEDULED_DELAY: '2000', type: 'OrderPlaced' });
    expect(headersOf(new ActiveMQRecordBuilder('x').setType('OrderCancelled').setDeliveryDelay(0).build())).toMatchObject({ AMQ_SCHEDULED_DELAY: '0', type: 'OrderCancelled' });
    // A delivery time or a cron of the record: the decorator's delay is not added to it.
    const timed = headersOf(new ActiveMQRecordBuilder('x').setDeliveryTime(Date.now() + 60_000).build());
    expect([timed['AMQ_SCHEDULED_DELAY'], timed['AMQ_SCHEDULED_TIME']]).toEqual([undefined, expect.stringMatching(/^\d+$/)]);
    const cron = headersOf(new ActiveMQRecordBuilder('x').setCron('0 2 * * *').build());
    expect([cron['AMQ_SCHEDULED_DELAY'], cron['AMQ_SCHEDULED_CRON']]).toEqual([undefined, '0 2 * * *']);
    // A repeat schedule keeps the decorator's delay before its first delivery.
    expect(headersOf(new ActiveMQRecordBuilder('x').setSchedule({ period: 100, repeat: 2 }).build())).toMatchObject({ AMQ_SCHEDULED_DELAY: '2000', AMQ_SCHEDULED_PERIOD: '100' });
    expect(buildOutgoingMessage('q', 'x', bodyOnlySerializer, { durable: true }).headers).not.toHaveProperty('AMQ_SCHEDULED_DELAY');
  });

  it('a priority of 0 is written, not taken for none', () => {
    expect(buildOutgoingMessage('q', new ActiveMQRecordBuilder('x').setPriority(0).build(), bodyOnlySerializer, { durable: true, priority: 9 }).headers['priority']).toBe('0');
  });

  it("the record's durability wins over the defaults, and persistent says it", () => {
    const out = buildOutgoingMessage('q', new ActiveMQRecordBuilder('x').setDurable(false).build(), bodyOnlySerializer, { durable: true });
    expect([out.durable, out.headers['persistent']]).toEqual([false, 'false']);
  });

  it('each call builds its own headers object, which the sender may add to', () => {
    const record = new ActiveMQRecordBuilder('x').setHeaders({ tenant: 't' }).build();
    const first = buildOutgoingMessage('q', record, bodyOnlySerializer, { durable: true });
    first.headers['transaction'] = 'tx-1';
    const second = buildOutgoingMessage('q', record, bodyOnlySerializer, { durable: true });
    expect(second.headers).not.toHaveProperty('transaction');
    expect(record.options.headers).toEqual({ tenant: 't' });
  });

  it.each([
    [
      'a circular structure',
      (() => {
        const cyclic: Record<string, unknown> = {};
        cyclic['self'] = cyclic;
        return cyclic;
      })(),
      /circular/i,
    ],
    ['a BigInt', { n: 10n }, /BigInt/],
    ['a function', () => 1, /a function cannot be sent as a message payload/],
  ])('a payload that cannot be encoded (%s) is an ActiveMQSerializationError naming the pattern', (_label, payload, cause) => {
    let error: ActiveMQSerializationError | undefined;
    try {
      buildOutgoingMessage('orders.placed', payload, bodyOnlySerializer, { durable: true });
    } catch (e) {
      error = e as ActiveMQSerializationError;
    }
    expect(error).toBeInstanceOf(ActiveMQSerializationError);
    expect(error!.pattern).toBe('orders.placed');
    expect(error!.message).toMatch(/^the payload for 'orders.placed' cannot be serialized: [\s\S]*; nothing was sent$/);
    expect((error!.cause as Error).message).toMatch(cause);
  });

  it("a serializer's own refusal is an ActiveMQSerializationError too, with it as the cause", () => {
    const refusal = new Error('schema says no');
    const serializer = {
      serialize: () => {
        throw refusal;
      },
    };
    const error = thrown(() => buildOutgoingMessage('p', 'x', serializer, { durable: true }));
    expect(error).toBeInstanceOf(ActiveMQSerializationError);
    expect(error.cause).toBe(refusal);
    expect(error.message).toBe("the payload for 'p' cannot be serialized: schema says no; nothing was sent");
  });

  it('a pattern that names no destination is refused before anything is built', () => {
    expect(() => buildOutgoingMessage('queue://', 'x', bodyOnlySerializer, { durable: true })).toThrow(/names no destination/);
  });
});
