import { describe, expect, it } from '@jest/globals';
import { ActiveMQRecord, ActiveMQRecordBuilder } from '../../../lib/record-builders/activemq.record-builder.js';
import { buildOutgoingMessage } from '../../../lib/producer/outgoing-message.js';
import { bodyOnlySerializer } from '../../../lib/wire/serializers.js';
import { BrokerDialect } from '../../../lib/wire/broker-dialect.js';

const ARTEMIS = BrokerDialect.of('ActiveMQ-Artemis/2.40.0 ActiveMQ Artemis Messaging Engine');
const CLASSIC = BrokerDialect.of('ActiveMQ/6.3.1');
const headersOf = (record: ActiveMQRecord) => buildOutgoingMessage('orders', record, bodyOnlySerializer, { durable: true }).headers;

describe('ActiveMQRecordBuilder: groups, type and scheduled delivery', () => {
  it('writes each setting in the header Classic reads', () => {
    const headers = headersOf(
      new ActiveMQRecordBuilder({}).setGroup('customer-7').setType('OrderPlaced').setDeliveryDelay(30_000).setSchedule({ period: 1000, repeat: 3 }).build(),
    );
    expect(headers).toMatchObject({
      JMSXGroupID: 'customer-7',
      'nestjs-group': 'customer-7',
      type: 'OrderPlaced',
      AMQ_SCHEDULED_DELAY: '30000',
      AMQ_SCHEDULED_PERIOD: '1000',
      AMQ_SCHEDULED_REPEAT: '3',
    });
    expect(headersOf(new ActiveMQRecordBuilder({}).setCron('0 2 * * *').build())['AMQ_SCHEDULED_CRON']).toBe('0 2 * * *');
  });

  it('a delivery time becomes the delay left on Classic, and stays a time on Artemis', () => {
    const due = Date.now() + 60_000;
    const classic: Record<string, string> = { destination: '/queue/x', ...headersOf(new ActiveMQRecordBuilder({}).setDeliveryTime(new Date(due)).build()) };
    CLASSIC.route(classic);
    expect(classic['AMQ_SCHEDULED_TIME']).toBeUndefined();
    expect(Number(classic['AMQ_SCHEDULED_DELAY'])).toBeGreaterThan(59_000);
    expect(Number(classic['AMQ_SCHEDULED_DELAY'])).toBeLessThanOrEqual(60_000);
    const artemis: Record<string, string> = { destination: '/queue/x', ...headersOf(new ActiveMQRecordBuilder({}).setDeliveryTime(due).build()) };
    ARTEMIS.route(artemis);
    expect(artemis['AMQ_SCHEDULED_TIME']).toBe(String(due));
    // A past time is now.
    const past: Record<string, string> = { destination: '/queue/x', AMQ_SCHEDULED_TIME: String(Date.now() - 5000) };
    CLASSIC.route(past);
    expect(past['AMQ_SCHEDULED_DELAY']).toBe('0');
  });

  it('on Artemis the group is _AMQ_GROUP_ID, and repeats, crons and composite destinations are refused', () => {
    const grouped: Record<string, string> = { destination: '/queue/x', JMSXGroupID: 'g', 'nestjs-group': 'g' };
    ARTEMIS.route(grouped);
    expect(grouped).toEqual({ destination: 'x', 'destination-type': 'ANYCAST', _AMQ_GROUP_ID: 'g' });
    expect(() => ARTEMIS.route({ destination: '/queue/x', AMQ_SCHEDULED_CRON: '* * * * *' })).toThrow(
      /AMQ_SCHEDULED_CRON \(setSchedule\(\), setCron\(\)\) is ActiveMQ Classic's scheduler/,
    );
    expect(() => ARTEMIS.route({ destination: '/queue/x', AMQ_SCHEDULED_PERIOD: '10' })).toThrow(/AMQ_SCHEDULED_PERIOD/);
    expect(() => ARTEMIS.route({ destination: '/queue/a,/queue/b' })).toThrow(/composite destination/);
  });

  it.each([
    ['setGroup', (b: ActiveMQRecordBuilder) => b.setGroup(''), /group \(setGroup\(\)\) must be a non-empty string/],
    ['setType', (b: ActiveMQRecordBuilder) => b.setType(7 as unknown as string), /type \(setType\(\)\) must be/],
    ['setDeliveryDelay negative', (b: ActiveMQRecordBuilder) => b.setDeliveryDelay(-1), /deliveryDelay \(setDeliveryDelay\(\)\) must be a whole number of milliseconds from 0/],
    ['setDeliveryDelay past ten years', (b: ActiveMQRecordBuilder) => b.setDeliveryDelay(11 * 365 * 24 * 3600 * 1000), /deliveryDelay/],
    ['setDeliveryDelay NaN', (b: ActiveMQRecordBuilder) => b.setDeliveryDelay(Number.NaN), /deliveryDelay/],
    ['setDeliveryTime invalid date', (b: ActiveMQRecordBuilder) => b.setDeliveryTime(new Date('nope')), /deliveryTime \(setDeliveryTime\(\)\)/],
    ['setSchedule without repeat', (b: ActiveMQRecordBuilder) => b.setSchedule({ period: 10 } as { period: number; repeat: number }), /schedule.repeat/],
    ['setSchedule period 0', (b: ActiveMQRecordBuilder) => b.setSchedule({ period: 0, repeat: 1 }), /schedule.period/],
    ['setCron six fields', (b: ActiveMQRecordBuilder) => b.setCron('* * * * * *'), /five fields of a Unix cron expression/],
    ['setCron nonsense', (b: ActiveMQRecordBuilder) => b.setCron('99 * * * *'), /is not a valid cron expression/],
  ])('%s is refused with a clear error', (_name, set, message) => {
    expect(() => set(new ActiveMQRecordBuilder({}))).toThrow(message);
  });

  it('a delay and a time together are refused', () => {
    expect(() => new ActiveMQRecordBuilder({}).setDeliveryDelay(10).setDeliveryTime(Date.now()).build()).toThrow(/not both/);
  });

  it.each([
    ['JMSXGroupID', 'setGroup()'],
    ['_AMQ_GROUP_ID', 'setGroup()'],
    ['type', 'setType()'],
    ['AMQ_SCHEDULED_DELAY', 'setDeliveryDelay()'],
    ['AMQ_SCHEDULED_CRON', 'setCron()'],
    ['persistent', 'setDurable()'],
  ])('setHeaders refuses %s, naming %s', (header, setter) => {
    expect(() => new ActiveMQRecordBuilder({}).setHeaders({ [header]: 'x' })).toThrow(`header '${header}' is written by ${setter}, not setHeaders()`);
  });

  it.each(['nestjsMessageId', 'nestjsReply', '_AMQ_DUPL_ID', 'traceparent', 'content-type', 'nestjs-delivery-count', 'nestjs-original-destination', 'redelivered'])(
    'setHeaders refuses the transport’s own %s',
    (header) => {
      expect(() => new ActiveMQRecordBuilder({}).setHeaders({ [header]: 'x' })).toThrow(`header '${header}' is set by the transport`);
    },
  );
});
