import type { StompConnection } from '../connection/stomp-connection.js';
import { InvalidOptionError } from '../errors/activemq-error.js';
import { check } from '../internal/validation.js';
import type { StompFrame, StompHeaders } from '../stomp/frame.js';

/**
 * The header that counts the deliveries of a message the server sent again (2 for the first
 * redelivery). Only the server's copies carry it.
 */
export const DELIVERY_COUNT_HEADER = 'nestjs-delivery-count';
/** Where a dead-lettered copy was consumed from, as the transport names it (`/queue/orders`). */
export const ORIGINAL_DESTINATION_HEADER = 'nestjs-original-destination';

/** How the server redelivers a rejected message where the broker cannot (ActiveMQ Artemis over STOMP). */
export interface RedeliveryPolicy {
  /** Deliveries after the first before the message goes to the dead-letter queue. */
  readonly maxRedeliveries: number;
  /** Milliseconds before each redelivery (Artemis' `AMQ_SCHEDULED_DELAY`); 0: at once. */
  readonly delay: number;
  /** The dead-letter queue's address. */
  readonly deadLetterQueue: string;
}

/** The server's own redelivery on ActiveMQ Artemis (`ActiveMQServerOptions.redelivery`). */
export interface RedeliveryOptions {
  /** Deliveries after the first before the message goes to `deadLetterQueue`. Default 9 (Artemis' `max-delivery-attempts` 10), or `brokerMaxRedeliveries`. */
  readonly maxRedeliveries?: number;
  /** Milliseconds before each redelivery (`AMQ_SCHEDULED_DELAY`). Default 0, as Artemis' `redelivery-delay`. */
  readonly delay?: number;
  /** The dead-letter queue's address. Default `DLQ`. */
  readonly deadLetterQueue?: string;
}

/**
 * Artemis' own defaults for an address without settings: `max-delivery-attempts` 10 (the first
 * delivery and 9 more), `redelivery-delay` 0; and the dead-letter address its shipped
 * configuration names, `DLQ` (the Artemis documentation, "Message Redelivery and Undelivered
 * Messages").
 */
export function redeliveryPolicyOf(options: RedeliveryOptions | undefined, brokerMaxRedeliveries: number | undefined): RedeliveryPolicy {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidOptionError('redelivery', 'redelivery must be an object: { maxRedeliveries?, delay?, deadLetterQueue? }');
  }
  const deadLetterQueue = options?.deadLetterQueue ?? 'DLQ';
  if (typeof deadLetterQueue !== 'string' || !/^[^\s/][^\s]*$/.test(deadLetterQueue)) {
    throw new InvalidOptionError('redelivery', `redelivery.deadLetterQueue must be an address name (no spaces, no leading '/'), not ${JSON.stringify(deadLetterQueue)}`);
  }
  return {
    maxRedeliveries: check.wholeNumber('redelivery.maxRedeliveries', options?.maxRedeliveries ?? brokerMaxRedeliveries ?? 9, { min: 0 }),
    delay: check.wholeNumber('redelivery.delay', options?.delay ?? 0, { min: 0 }),
    deadLetterQueue,
  };
}

/** The deliveries of `message` so far: its count header on the server's copies, else 1. */
export function deliveriesOf(message: StompFrame): number {
  const count = Number(message.headers[DELIVERY_COUNT_HEADER]);
  return Number.isSafeInteger(count) && count >= 1 ? count : 1;
}

/**
 * Headers of a MESSAGE that belong to that one delivery, or that would change the copy's fate,
 * and are not carried over: the broker's (ids, subscription, timestamps, its delivery flags),
 * the previous schedule (Artemis hands the scheduled time back as `_AMQ_SCHED_DELIVERY`), and `_AMQ_DUPL_ID`, as Artemis would drop a copy with a remembered
 * duplicate-id (the Artemis documentation, "Duplicate Message Detection").
 */
const PER_DELIVERY = new Set([
  'message-id',
  'subscription',
  'ack',
  'destination',
  'destination-type',
  'redelivered',
  'receipt',
  'timestamp',
  'content-length',
  '_AMQ_DUPL_ID',
  'AMQ_SCHEDULED_DELAY',
  'AMQ_SCHEDULED_TIME',
  // The time the previous copy was scheduled for: carried over, it would make the next one due at once.
  '_AMQ_SCHED_DELIVERY',
  DELIVERY_COUNT_HEADER,
]);

/** Where a rejection sends a message, with what, and the words the log gives of it. */
export interface ResendPlan {
  readonly destination: string;
  readonly headers: StompHeaders;
  /** `redelivery` (back to its queue) or `dead-letter queue`. */
  readonly to: 'redelivery' | 'dead-letter queue';
  readonly fate: string;
}

/**
 * How the server rejects `message` on a broker whose STOMP NACK discards it: ActiveMQ Artemis
 * treats a NACK as an ACK, so the message would be gone (its STOMP frame handler says so; measured
 * on 2.40.0: the queue counts it acknowledged, nothing is redelivered, nothing reaches DLQ). The
 * server does what the broker's redelivery would: a copy of the message goes back to the queue it
 * came from, delayed by `delay`, with its delivery count, until `maxRedeliveries`; then to the
 * dead-letter queue, naming the queue it came from. `final`: to the dead-letter queue now (a
 * message no delivery can handle).
 *
 * A message of a plain topic subscription cannot be sent back to that one subscriber (the topic
 * would give it to every subscriber again), so its rejection goes to the dead-letter queue at once.
 */
export function resendPlan(message: StompFrame, policy: RedeliveryPolicy, final = false, finalWhy = 'at once: no delivery can handle it'): ResendPlan {
  const from = message.headers['destination'] ?? '';
  const deliveries = deliveriesOf(message);
  const headers: StompHeaders = {};
  for (const [name, value] of Object.entries(message.headers)) if (!PER_DELIVERY.has(name)) headers[name] = value;
  // Bytes stay bytes: ActiveMQ reads a frame with content-length as a BytesMessage.
  if (message.headers['content-length'] !== undefined) headers['content-length'] = String(message.body.length);
  if (!final && from.startsWith('/queue/') && deliveries <= policy.maxRedeliveries) {
    headers[DELIVERY_COUNT_HEADER] = String(deliveries + 1);
    if (policy.delay > 0) headers['AMQ_SCHEDULED_DELAY'] = String(policy.delay);
    const when = policy.delay > 0 ? `in ${policy.delay} ms` : 'at once';
    const last = deliveries === policy.maxRedeliveries ? ', the last' : '';
    return {
      destination: from,
      headers,
      to: 'redelivery',
      fate: `rejected: the server sends it again ${when} (delivery ${deliveries + 1} of ${policy.maxRedeliveries + 1}${last}), then to ${policy.deadLetterQueue}`,
    };
  }
  headers[DELIVERY_COUNT_HEADER] = String(deliveries);
  headers[ORIGINAL_DESTINATION_HEADER] = from;
  const why = final
    ? finalWhy
    : from.startsWith('/queue/')
      ? `after ${deliveries} deliver${deliveries === 1 ? 'y' : 'ies'} (redelivery.maxRedeliveries ${policy.maxRedeliveries})`
      : 'at once: a topic subscriber’s message cannot be redelivered to it alone';
  return {
    destination: `/queue/${policy.deadLetterQueue}`,
    headers,
    to: 'dead-letter queue',
    fate: `rejected for the last time: the server moves it to ${policy.deadLetterQueue} ${why}`,
  };
}

/**
 * Carries out `plan` for `message`: the copy is confirmed by a receipt before the original is
 * acknowledged, so a connection lost between the two gives a duplicate, never a loss.
 */
export async function rejectByResend(connection: StompConnection, message: StompFrame, plan: ResendPlan, timeoutMs: number, blockForMs: number): Promise<void> {
  await connection.send(plan.destination, { ...plan.headers }, message.body, { receipt: true, timeout: timeoutMs });
  await (blockForMs > 0 ? connection.ack(message, { receipt: true, timeout: blockForMs }) : connection.ack(message));
}
