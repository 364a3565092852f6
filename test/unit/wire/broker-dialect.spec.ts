import { describe, expect, it } from '@jest/globals';
import { InvalidOptionError } from '../../../lib/errors/activemq-error.js';
import type { StompHeaders } from '../../../lib/stomp/frame.js';
import { BrokerDialect } from '../../../lib/wire/broker-dialect.js';

const ARTEMIS = 'ActiveMQ-Artemis/2.40.0 ActiveMQ Artemis Messaging Engine';
const limits = (prefetchGiven: boolean, consumerWindowSize?: number, prefetch = 4) => ({ prefetch, prefetchGiven, consumerWindowSize });

describe('BrokerDialect: which broker CONNECTED names', () => {
  it.each([
    ['ActiveMQ/5.17.2', 'classic'],
    ['ActiveMQ/6.3.1', 'classic'],
    [ARTEMIS, 'artemis'],
    ['nestjs-activemq-embedded/0.1.0', 'embedded'],
    ['SomethingElse/1.0', 'classic'],
    [undefined, 'classic'],
  ])('%s → %s', (server, family) => {
    expect(BrokerDialect.of(server).family).toBe(family);
  });

  it('names each family’s default dead-letter queue', () => {
    expect(BrokerDialect.of('ActiveMQ/6.3.1').deadLetterQueue).toBe('ActiveMQ.DLQ');
    expect(BrokerDialect.of(ARTEMIS).deadLetterQueue).toBe('DLQ');
  });

  it("takes a message's identity from the message part of Artemis' `<consumer>,<message>` message-id, the whole header elsewhere", () => {
    expect(BrokerDialect.of(ARTEMIS).messageIdentity('27,24')).toBe('24');
    expect(BrokerDialect.of(ARTEMIS).messageIdentity('24')).toBe('24');
    expect(BrokerDialect.of('ActiveMQ/5.17.2').messageIdentity('ID:host-1:1:1:1:1,2')).toBe('ID:host-1:1:1:1:1,2');
  });
});

describe('BrokerDialect: destinations', () => {
  it('leaves a Classic SEND as it is (no header added: it would become a JMS property)', () => {
    const headers: StompHeaders = { destination: '/queue/orders', persistent: 'true' };
    BrokerDialect.of('ActiveMQ/5.17.2').route(headers);
    expect(headers).toEqual({ destination: '/queue/orders', persistent: 'true' });
  });

  it.each([
    ['/queue/orders', 'orders', 'ANYCAST'],
    ['/topic/prices', 'prices', 'MULTICAST'],
    ['nestjs.replies.0f8fad5b-d9cb-469f-a165-70867728950e', 'nestjs.replies.0f8fad5b-d9cb-469f-a165-70867728950e', 'ANYCAST'],
  ])('on Artemis a SEND to %s goes to address %s as %s', (destination, name, type) => {
    const headers: StompHeaders = { destination };
    BrokerDialect.of(ARTEMIS).route(headers);
    expect(headers).toEqual({ destination: name, 'destination-type': type });
  });

  it('on Artemis a bare reply-to of another requester keeps its address’s own routing type', () => {
    const headers: StompHeaders = { destination: 'someones.replies' };
    BrokerDialect.of(ARTEMIS).route(headers);
    expect(headers).toEqual({ destination: 'someones.replies' });
  });

  it('routing the same headers again (a re-send) changes nothing', () => {
    const headers: StompHeaders = { destination: '/topic/prices' };
    const artemis = BrokerDialect.of(ARTEMIS);
    artemis.route(headers);
    artemis.route(headers);
    expect(headers).toEqual({ destination: 'prices', 'destination-type': 'MULTICAST' });
  });

  it('subscribes with the routing type on Artemis, unchanged on Classic', () => {
    expect(BrokerDialect.of(ARTEMIS).subscription('/queue/orders', { a: '1' })).toEqual({ destination: 'orders', headers: { a: '1', 'subscription-type': 'ANYCAST' } });
    expect(BrokerDialect.of(ARTEMIS).subscription('/topic/prices', {})).toEqual({ destination: 'prices', headers: { 'subscription-type': 'MULTICAST' } });
    expect(BrokerDialect.of('ActiveMQ/5.17.2').subscription('/queue/orders', { a: '1' })).toEqual({ destination: '/queue/orders', headers: { a: '1' } });
  });
});

describe('BrokerDialect: reply queues', () => {
  it('Classic: the connection’s temporary queue', () => {
    expect(BrokerDialect.of('ActiveMQ/5.17.2').newReplyQueue()).toEqual({ subscribeTo: '/temp-queue/nestjs-replies', replyTo: '/temp-queue/nestjs-replies' });
  });

  it('Artemis: a queue of its own per connection, under an unguessable name, private to it', () => {
    const artemis = BrokerDialect.of(ARTEMIS);
    const a = artemis.newReplyQueue();
    const b = artemis.newReplyQueue();
    // reply-to as Artemis' JMS client writes a queue in JMSReplyTo, so a JMS replier can answer it.
    expect(a.replyTo).toMatch(/^queue:\/\/nestjs\.replies\.[0-9a-f-]{36}$/);
    expect(a.subscribeTo).toBe(`/queue/${a.replyTo.slice('queue://'.length)}`);
    expect(b.replyTo).not.toBe(a.replyTo);
    expect(artemis.isPrivateReplyTo(a.replyTo)).toBe(true);
    expect(artemis.isPrivateReplyTo('nestjs.replies.guess')).toBe(false);
    expect(artemis.isPrivateReplyTo('orders')).toBe(false);
  });

  it("Artemis: a JMS client's temporary queue (JMSReplyTo temp-queue://<UUID>) is private and is answered at its address", () => {
    const artemis = BrokerDialect.of(ARTEMIS);
    const temp = 'temp-queue://0f8fad5b-d9cb-469f-a165-70867728950e';
    expect(artemis.isPrivateReplyTo(temp)).toBe(true);
    expect(artemis.isPrivateReplyTo('temp-queue://orders')).toBe(false);
    expect(artemis.isPrivateReplyTo('queue://orders')).toBe(false);
    const headers: Record<string, string> = { destination: temp };
    artemis.route(headers);
    expect(headers).toEqual({ destination: '0f8fad5b-d9cb-469f-a165-70867728950e', 'destination-type': 'ANYCAST' });
    const topic: Record<string, string> = { destination: 'topic://prices' };
    artemis.route(topic);
    expect(topic).toEqual({ destination: 'prices', 'destination-type': 'MULTICAST' });
    expect(BrokerDialect.of('ActiveMQ/5.17.2').isPrivateReplyTo(temp)).toBe(false);
  });

  it('a temporary destination is private on every broker; an Artemis-style name is not on Classic', () => {
    const classic = BrokerDialect.of('ActiveMQ/5.17.2');
    expect(classic.isPrivateReplyTo('/remote-temp-queue/ID:x-1:1')).toBe(true);
    expect(classic.isPrivateReplyTo('nestjs.replies.0f8fad5b-d9cb-469f-a165-70867728950e')).toBe(false);
  });
});

describe('BrokerDialect: flow control', () => {
  it('Classic and the embedded broker count messages: activemq.prefetchSize', () => {
    expect(BrokerDialect.of('ActiveMQ/6.3.1').flowControl(limits(false))).toEqual({ 'activemq.prefetchSize': '4' });
    expect(BrokerDialect.of('nestjs-activemq-embedded/0.1.0').flowControl(limits(true))).toEqual({ 'activemq.prefetchSize': '4' });
  });

  it('Artemis counts bytes: consumer-window-size when given, the broker’s default otherwise', () => {
    expect(BrokerDialect.of(ARTEMIS).flowControl(limits(false, 65536))).toEqual({ 'consumer-window-size': '65536' });
    expect(BrokerDialect.of(ARTEMIS).flowControl(limits(false))).toEqual({});
  });

  it('Artemis holds one message ahead with a 1-byte window: prefetch 1, given or from concurrency 1', () => {
    expect(BrokerDialect.of(ARTEMIS).flowControl(limits(true, undefined, 1))).toEqual({ 'consumer-window-size': '1' });
    expect(BrokerDialect.of(ARTEMIS).flowControl(limits(false, undefined, 1))).toEqual({ 'consumer-window-size': '1' });
    expect(BrokerDialect.of(ARTEMIS).flowControl(limits(false, -1, 1))).toEqual({ 'consumer-window-size': '-1' });
    expect(() => BrokerDialect.of(ARTEMIS).flowControl(limits(true, 1024, 1))).toThrow(/give prefetch or consumerWindowSize, not both/);
  });

  it('a limit in the other broker’s unit is refused, naming the option to use', () => {
    expect(() => BrokerDialect.of(ARTEMIS).flowControl(limits(true))).toThrow(InvalidOptionError);
    expect(() => BrokerDialect.of(ARTEMIS).flowControl(limits(true))).toThrow(/^prefetch 4 counts messages, .*give consumerWindowSize/);
    expect(() => BrokerDialect.of('ActiveMQ/5.17.2').flowControl(limits(false, 1024))).toThrow(/ActiveMQ Classic limits a subscriber in messages: give prefetch instead/);
  });
});

describe('BrokerDialect: consumer groups and what a MESSAGE names', () => {
  it('Artemis: a consumer group’s queue of a virtual topic is that queue on the topic’s address (a fully qualified queue name)', () => {
    const artemis = BrokerDialect.of(ARTEMIS);
    expect(artemis.subscription('/queue/Consumer.billing.VirtualTopic.orders', {})).toEqual({
      destination: 'VirtualTopic.orders::Consumer.billing.VirtualTopic.orders',
      headers: { 'subscription-type': 'MULTICAST' },
    });
    expect(BrokerDialect.of('ActiveMQ/6.3.1').subscription('/queue/Consumer.billing.VirtualTopic.orders', {}).destination).toBe('/queue/Consumer.billing.VirtualTopic.orders');
  });

  it('Artemis: a MESSAGE’s bare address is named as the transport names it, from its destination-type or the subscription', () => {
    const artemis = BrokerDialect.of(ARTEMIS);
    const named = (headers: Record<string, string>, subscribed?: string) => {
      const copy = { ...headers };
      artemis.received(copy, subscribed);
      return copy['destination'];
    };
    expect(named({ destination: 'orders', 'destination-type': 'ANYCAST' })).toBe('/queue/orders');
    expect(named({ destination: 'prices', 'destination-type': 'MULTICAST' })).toBe('/topic/prices');
    expect(named({ destination: 'VirtualTopic.o::Consumer.a.VirtualTopic.o' })).toBe('/queue/Consumer.a.VirtualTopic.o');
    expect(named({ destination: 'VirtualTopic.o', 'destination-type': 'MULTICAST' }, '/queue/Consumer.a.VirtualTopic.o')).toBe('/queue/Consumer.a.VirtualTopic.o');
    expect(named({ destination: 'odd' })).toBe('odd');
    const classic = { destination: '/queue/orders' };
    BrokerDialect.of('ActiveMQ/5.17.2').received(classic);
    expect(classic.destination).toBe('/queue/orders');
  });
});
