import { describe, expect, it } from '@jest/globals';
import { ActiveMQRecordBuilder } from '../../../lib/record-builders/activemq.record-builder.js';
import { buildOutgoingMessage } from '../../../lib/producer/outgoing-message.js';
import { destinationOf, subscriptionOf } from '../../../lib/wire/destinations.js';
import { bodyOnlySerializer } from '../../../lib/wire/serializers.js';
import { decodePayload, encodePayload, PayloadDecodeError } from '../../../lib/wire/payload-codec.js';
import type { StompHeaders } from '../../../lib/stomp/frame.js';

const message = (headers: StompHeaders, body: string | Buffer) => ({
  command: 'MESSAGE' as const,
  headers: { 'message-id': 'ID:1', destination: '/queue/q', ...headers },
  body: typeof body === 'string' ? Buffer.from(body) : body,
});

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
    expect(() => destinationOf('')).toThrow(TypeError);
    expect(() => destinationOf('queue://')).toThrow(/names no destination/);
    expect(() => subscriptionOf('VirtualTopic.X', 'a.b')).toThrow(/consumerGroup 'a.b'/);
  });
});

describe('payload codec', () => {
  it('encodes Buffers as bytes, strings as text, the rest as JSON', () => {
    expect(encodePayload(Buffer.from([0, 255]))).toEqual({ body: Buffer.from([0, 255]), headers: { 'content-type': 'application/octet-stream', 'content-length': '' } });
    expect(encodePayload(new Uint8Array([1, 2])).body).toEqual(Buffer.from([1, 2]));
    expect(encodePayload('hi')).toEqual({ body: 'hi', headers: { 'content-type': 'text/plain;charset=utf-8' } });
    expect(encodePayload({ a: 1 })).toEqual({ body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    expect(encodePayload(undefined)).toEqual({ body: '', headers: { 'content-type': 'application/json' } });
    expect(encodePayload(null).body).toBe('null');
    expect(() => encodePayload(() => 1)).toThrow(/cannot be sent/);
  });

  it('decodes by content type, and a JMS body without one as JSON if it is JSON', () => {
    expect(decodePayload(message({ 'content-type': 'application/json' }, '{"a":1}'))).toEqual({ a: 1 });
    expect(decodePayload(message({ 'content-type': 'application/vnd.x+json; charset=utf-8' }, '[1]'))).toEqual([1]);
    expect(decodePayload(message({ 'content-type': 'application/json' }, ''))).toBeUndefined();
    expect(decodePayload(message({ 'content-type': 'text/plain;charset=utf-8' }, '{"a":1}'))).toBe('{"a":1}');
    expect(decodePayload(message({ 'content-type': 'application/octet-stream', 'content-length': '2' }, Buffer.from([0, 255])))).toEqual(Buffer.from([0, 255]));
    expect(decodePayload(message({}, '{"a":1}'))).toEqual({ a: 1 });
    expect(decodePayload(message({}, 'not json'))).toBe('not json');
    expect(decodePayload(message({}, '42'))).toBe(42);
    expect(decodePayload(message({ 'content-length': '3' }, 'abc'))).toEqual(Buffer.from('abc'));
    expect(decodePayload(message({ 'content-type': 'image/png' }, 'png'))).toEqual(Buffer.from('png'));
  });

  it('refuses a JSON content type with a body that is not JSON, naming the message', () => {
    const decode = () => decodePayload(message({ 'content-type': 'application/json' }, '{"broken": '));
    expect(decode).toThrow(PayloadDecodeError);
    expect(decode).toThrow('message ID:1 on /queue/q has content-type application/json but its body is not valid JSON');
  });
});

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
    [() => new ActiveMQRecordBuilder(1).setDurable('yes' as never), /takes a boolean/],
    [() => new ActiveMQRecordBuilder(1).setHeaders({ n: 1 as never }), /header 'n' must be a string/],
    [() => new ActiveMQRecordBuilder(1).setHeaders({ persistent: 'true' }), /header 'persistent' is set by the transport/],
    [() => new ActiveMQRecordBuilder(1).setHeaders({ 'reply-to': '/queue/x' }), /is set by the transport/],
    [() => new ActiveMQRecordBuilder(1).setCorrelationId(''), /non-empty string/],
  ])('refuses bad input %#', (build, message) => {
    expect(build).toThrow(message);
  });
});

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
