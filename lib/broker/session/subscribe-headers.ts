import type { StompHeaders } from '../../stomp/frame.js';
import { BrokerProtocolError } from '../core/contracts.js';

/** A subscription's acknowledgement mode (STOMP 1.2 "SUBSCRIBE ack Header"). */
export type AckMode = 'auto' | 'client' | 'client-individual';

/** What a SUBSCRIBE's headers ask for, each checked. */
export interface SubscribeOptions {
  readonly ack: AckMode;
  /** `activemq.prefetchSize`: unacknowledged messages it may hold; default 1000. */
  readonly prefetch: number;
  /** `activemq.exclusive`: it alone consumes the queue while it is attached. */
  readonly exclusive: boolean;
  /** `activemq.priority`: its consumer priority, 0 to 127; default 0. */
  readonly priority: number;
  /** `activemq.noLocal`: not the messages of its own connection. */
  readonly noLocal: boolean;
  /** `activemq.retroactive`: a topic subscription first gets what the topic retained. */
  readonly retroactive: boolean;
  /** `activemq.subscriptionName`: the durable topic subscription it consumes. */
  readonly durableName: string | undefined;
  /** `browser:true`: shows a queue's waiting messages, then ends. */
  readonly browser: boolean;
  /** `selector`, when it has any text. */
  readonly selector: string | undefined;
}

/**
 * The `activemq.*` SUBSCRIBE headers of ActiveMQ Classic's STOMP page
 * (https://activemq.apache.org/components/classic/documentation/stomp, "ActiveMQ extensions to
 * STOMP") that the embedded broker honours. `activemq.dispatchAsync` is read and has nothing to
 * change: Classic forces it to true since 5.15.5, and this broker always dispatches apart from
 * the producer. Any other `activemq.*` header (`activemq.maximumPendingMessageLimit`, the old
 * `activemq.subcriptionName`, a misspelling) is refused: ignored, it would leave the client
 * believing it has what it asked for.
 */
const SUPPORTED = [
  'activemq.prefetchSize',
  'activemq.exclusive',
  'activemq.priority',
  'activemq.noLocal',
  'activemq.retroactive',
  'activemq.subscriptionName',
  'activemq.dispatchAsync',
] as const;
const SUPPORTED_SET: ReadonlySet<string> = new Set(SUPPORTED);

/** Consumer priorities, as Classic's `activemq.priority` (a byte, 0 to 127; its "Consumer Priority" page). */
const MAX_CONSUMER_PRIORITY = 127;

/** Reads a SUBSCRIBE's headers; throws a {@link BrokerProtocolError} naming the first one that cannot be honoured. */
export function readSubscribeHeaders(headers: StompHeaders): SubscribeOptions {
  for (const name in headers) {
    if (name.startsWith('activemq.') && !SUPPORTED_SET.has(name)) {
      throw new BrokerProtocolError(`SUBSCRIBE header '${name}' is not supported by the embedded broker (it supports ${SUPPORTED.join(', ')}): refused rather than ignored`);
    }
  }
  const ack = headers['ack'] ?? 'auto';
  if (ack !== 'auto' && ack !== 'client' && ack !== 'client-individual') throw new BrokerProtocolError(`ack mode '${ack}' is not auto, client or client-individual`);
  const prefetchHeader = headers['activemq.prefetchSize'];
  const prefetch = prefetchHeader === undefined ? 1000 : Number(prefetchHeader);
  if (!Number.isInteger(prefetch) || prefetch < 1) throw new BrokerProtocolError(`activemq.prefetchSize '${prefetchHeader}' is not a positive integer`);
  const priorityHeader = headers['activemq.priority'];
  if (priorityHeader !== undefined && !(/^[0-9]{1,3}$/.test(priorityHeader) && Number(priorityHeader) <= MAX_CONSUMER_PRIORITY)) {
    throw new BrokerProtocolError(`activemq.priority '${priorityHeader}' is not a consumer priority from 0 to ${MAX_CONSUMER_PRIORITY}`);
  }
  boolean(headers, 'activemq.dispatchAsync');
  const durableName = headers['activemq.subscriptionName'];
  if (durableName === '') throw new BrokerProtocolError('activemq.subscriptionName is empty: a durable subscription needs a name');
  const selector = headers['selector'];
  return {
    ack,
    prefetch,
    exclusive: boolean(headers, 'activemq.exclusive'),
    priority: priorityHeader === undefined ? 0 : Number(priorityHeader),
    noLocal: boolean(headers, 'activemq.noLocal'),
    retroactive: boolean(headers, 'activemq.retroactive'),
    durableName,
    browser: boolean(headers, 'browser'),
    // JMS: an empty selector selects everything, as none does.
    selector: selector === undefined || selector.trim() === '' ? undefined : selector,
  };
}

/** A boolean header: `true` or `false` in any case (as Java's Boolean reads it); absent is false; anything else is refused. */
function boolean(headers: StompHeaders, name: string): boolean {
  const value = headers[name];
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new BrokerProtocolError(`${name} '${value}' is not true or false`);
}
