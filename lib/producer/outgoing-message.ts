import type { StompHeaders } from '../stomp/frame.js';
import { destinationOf } from '../wire/destinations.js';
import { GROUP_HEADER } from '../wire/headers.js';
import { encodePayload, type EncodedPayload } from '../wire/payload-codec.js';
import type { ActiveMQSerializer } from '../wire/serializers.js';
import { ActiveMQRecord, type ActiveMQRecordOptions } from '../record-builders/activemq.record-builder.js';
import { ActiveMQSerializationError } from '../errors/client-errors.js';

/** A message ready to be written: where, with which headers, which body, and whether it is durable. */
export interface OutgoingMessage {
  readonly destination: string;
  /** The SEND frame's headers, `destination` included; the sender may add its own before writing. */
  readonly headers: StompHeaders;
  readonly body: Buffer | string;
  readonly durable: boolean;
}

/** Settings that apply when the record does not say: the resolved durability, and a send decorator's priority, time to live, delivery delay and JMS type. */
export interface MessageDefaults {
  readonly durable: boolean;
  readonly priority?: number;
  readonly timeToLive?: number;
  readonly deliveryDelay?: number;
  readonly type?: string;
}

/** The record builder's settings of `data`, if it is a record. */
export function recordOptionsOf(data: unknown): ActiveMQRecordOptions {
  return data instanceof ActiveMQRecord ? data.options : {};
}

/**
 * Builds the frame for `pattern` and `data` (a payload or an {@link ActiveMQRecord}): the body
 * from the serializer and the payload codec, `persistent` always explicit (both brokers default
 * STOMP messages to non-persistent, ActiveMQ's and Artemis' STOMP docs), and the record's priority, time to live,
 * correlation id and headers (over `defaults`).
 */
export function buildOutgoingMessage(pattern: string, data: unknown, serializer: ActiveMQSerializer, defaults: MessageDefaults): OutgoingMessage {
  const record = recordOptionsOf(data);
  const payload: unknown = data instanceof ActiveMQRecord ? data.data : data;
  const encoded = encodeFor(pattern, payload, serializer);
  const durable = record.durable ?? defaults.durable;
  const destination = destinationOf(pattern);
  const headers: StompHeaders = { destination, ...record.headers, ...encoded.headers, persistent: durable ? 'true' : 'false' };
  const priority = record.priority ?? defaults.priority;
  const timeToLive = record.timeToLive ?? defaults.timeToLive;
  if (priority !== undefined) headers['priority'] = String(priority);
  if (timeToLive !== undefined) headers['expires'] = String(Date.now() + timeToLive);
  if (record.correlationId !== undefined) headers['correlation-id'] = record.correlationId;
  // In Classic's names; the broker's dialect writes them as Artemis reads them when it routes the SEND.
  if (record.group !== undefined) {
    headers['JMSXGroupID'] = record.group;
    headers[GROUP_HEADER] = record.group;
  }
  const type = record.type ?? defaults.type;
  if (type !== undefined) headers['type'] = type;
  // A record that says when it is delivered (a delay, a time, a cron) is not delayed again by a decorator.
  const scheduledByRecord = record.deliveryDelay !== undefined || record.deliveryTime !== undefined || record.cron !== undefined;
  const deliveryDelay = scheduledByRecord ? record.deliveryDelay : defaults.deliveryDelay;
  if (deliveryDelay !== undefined) headers['AMQ_SCHEDULED_DELAY'] = String(deliveryDelay);
  if (record.deliveryTime !== undefined) headers['AMQ_SCHEDULED_TIME'] = String(record.deliveryTime);
  if (record.schedule !== undefined) {
    headers['AMQ_SCHEDULED_PERIOD'] = String(record.schedule.period);
    headers['AMQ_SCHEDULED_REPEAT'] = String(record.schedule.repeat);
  }
  if (record.cron !== undefined) headers['AMQ_SCHEDULED_CRON'] = record.cron;
  return { destination, headers, body: encoded.body, durable };
}

/** The serializer's and the codec's work: whatever either throws (a circular structure, a BigInt, a custom serializer's refusal) names the pattern. */
function encodeFor(pattern: string, payload: unknown, serializer: ActiveMQSerializer): EncodedPayload {
  try {
    return encodePayload(serializer.serialize({ pattern, data: payload }));
  } catch (error) {
    throw new ActiveMQSerializationError(pattern, error);
  }
}
