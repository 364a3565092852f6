import { compileSelector, type SelectorMessage } from '../../selector/index.js';
import type { StompHeaders } from '../../stomp/frame.js';
import { BrokerProtocolError } from './contracts.js';
import type { BrokerMessage } from './queue.js';

/**
 * The headers of the MESSAGE frame the broker writes for `message`, before those of the
 * subscription it goes to (`subscription`, `ack`): the sender's, and the broker's own
 * (`destination`, `message-id`, `timestamp`, `priority`, `persistent`, `expires` when it
 * expires, `redelivered` after a delivery was given back).
 */
export function messageHeaders(brokerId: string, message: BrokerMessage): StompHeaders {
  const headers: StompHeaders = {
    ...message.headers,
    destination: message.destination,
    'message-id': `ID:embedded-${brokerId}-${message.id}`,
    timestamp: String(message.timestamp),
    priority: String(message.priority),
    persistent: String(message.persistent),
  };
  if (message.expires > 0) headers['expires'] = String(message.expires);
  if (message.deliveries > 0) headers['redelivered'] = 'true';
  return headers;
}

/** A subscription's test of a message: its selector (and `activemq.noLocal`, where the broker adds it). */
export type MessageFilter = (message: BrokerMessage) => boolean;

/** A selector's view of each message, kept while its delivery count stays the same (several consumers may test one message). */
const views = new WeakMap<BrokerMessage, { readonly deliveries: number; readonly view: SelectorMessage }>();

/**
 * The test of a SUBSCRIBE's `selector`, evaluated on the headers of the MESSAGE the broker would
 * send and on `JMSXDeliveryCount` (1 on a first delivery). ActiveMQ Classic's STOMP converter
 * applies selectors to STOMP subscriptions the same way (its "STOMP" page, `selector`). Throws a
 * {@link BrokerProtocolError} naming the selector and what is wrong with it.
 */
export function compileFilter(brokerId: string, text: string): MessageFilter {
  let test: (message: SelectorMessage) => boolean;
  try {
    test = compileSelector(text);
  } catch (error) {
    throw new BrokerProtocolError(`invalid selector '${text}': ${error instanceof Error ? error.message : String(error)}`);
  }
  return (message) => {
    let cached = views.get(message);
    if (cached?.deliveries !== message.deliveries) {
      cached = { deliveries: message.deliveries, view: { headers: messageHeaders(brokerId, message), deliveryCount: message.deliveries + 1 } };
      views.set(message, cached);
    }
    try {
      return test(cached.view);
    } catch {
      // A selector that cannot be evaluated on this message does not select it.
      return false;
    }
  };
}
