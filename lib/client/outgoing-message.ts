import type { StompHeaders } from '../stomp/frame.js';
import { destinationOf } from '../destination.js';
import { encodePayload } from '../serialization/payload-codec.js';
import type { ActiveMQSerializer } from '../serialization/activemq-serializers.js';
import { ActiveMQRecord, type ActiveMQRecordOptions } from './activemq.record-builder.js';

/** A message ready to be written: where, with which headers, which body, and whether it is durable. */
export interface OutgoingMessage {
  readonly destination: string;
  readonly headers: StompHeaders;
  readonly body: Buffer | string;
  readonly durable: boolean;
  /** The record builder's settings, if the payload was a record. */
  readonly record: ActiveMQRecordOptions;
}

/**
 * Builds the frame for `pattern` and `data` (a payload or an {@link ActiveMQRecord}): the body
 * from the serializer and the payload codec, `persistent` always explicit (both brokers default
 * STOMP messages to non-persistent, semantics §8.3), and the record's priority, time to live,
 * correlation id and headers.
 */
export function buildOutgoingMessage(pattern: string, data: unknown, serializer: ActiveMQSerializer, durableByDefault: boolean): OutgoingMessage {
  const record = data instanceof ActiveMQRecord ? data.options : {};
  const payload = data instanceof ActiveMQRecord ? data.data : data;
  const encoded = encodePayload(serializer.serialize({ pattern, data: payload }));
  const durable = record.durable ?? durableByDefault;
  const headers: StompHeaders = { ...record.headers, ...encoded.headers, persistent: durable ? 'true' : 'false' };
  if (record.priority !== undefined) headers['priority'] = String(record.priority);
  if (record.timeToLive !== undefined) headers['expires'] = String(Date.now() + record.timeToLive);
  if (record.correlationId !== undefined) headers['correlation-id'] = record.correlationId;
  return { destination: destinationOf(pattern), headers, body: encoded.body, durable, record };
}
