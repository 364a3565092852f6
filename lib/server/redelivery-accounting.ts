import type { StompFrame } from '../stomp/frame.js';
import { RecentMap } from './recent-map.js';

/**
 * What the server can tell of a message's redeliveries, for its log lines. ActiveMQ Classic tells
 * a STOMP consumer only that a message is redelivered (`redelivered:true`), not how many times;
 * with `brokerMaxRedeliveries` the server counts the deliveries it saw of each message (the last
 * `memory` messages) from the first one on. A delivery another consumer got is not counted, so the
 * "last time" line can be missing, never early.
 */
export class RedeliveryAccounting {
  /** Deliveries seen of each message; 0 when its first one was not seen here. */
  private readonly deliveries: RecentMap<number>;

  /**
   * @param brokerMaxRedeliveries The broker's `maximumRedeliveries`; undefined when not known.
   * @param memory Messages whose deliveries are remembered.
   */
  constructor(
    private readonly brokerMaxRedeliveries: number | undefined,
    memory: number,
  ) {
    this.deliveries = new RecentMap(memory);
  }

  /** Counts a delivery of `message`; its number (1 for the first), or undefined when not known. */
  count(message: StompFrame): number | undefined {
    const id = message.headers['message-id'];
    if (this.brokerMaxRedeliveries === undefined || id === undefined) return undefined;
    const redelivered = message.headers['redelivered'] === 'true';
    const before = this.deliveries.get(id);
    // First seen redelivered: its earlier deliveries went elsewhere (another consumer, before a restart).
    const count = before === undefined ? (redelivered ? 0 : 1) : before === 0 ? 0 : before + 1;
    this.deliveries.set(id, count);
    return count === 0 ? undefined : count;
  }

  /** How a rejection of delivery `count` of `message` ends, as far as the server can tell. */
  rejection(message: StompFrame, count: number | undefined): string {
    const remaining = this.redeliveriesLeft(count);
    const dlq = dlqOf(message);
    if (remaining === undefined) return `rejected: the broker redelivers it, or past its maximumRedeliveries moves it to ${dlq}`;
    if (remaining <= 0) return `rejected for the last time (delivery ${count!}, brokerMaxRedeliveries ${this.brokerMaxRedeliveries!}): the broker moves it to ${dlq}`;
    return `rejected: the broker redelivers it (at most ${remaining} more time${remaining === 1 ? '' : 's'}), then moves it to ${dlq}`;
  }

  /** {@link rejection}, for the one line a poison message gets: what becomes of its redeliveries too. */
  poisonRejection(message: StompFrame, count: number | undefined): string {
    const remaining = this.redeliveriesLeft(count);
    if (remaining !== undefined && remaining <= 0) return this.rejection(message, count);
    const times = remaining === undefined ? '' : ` (at most ${remaining})`;
    return `rejected, and its redeliveries${times} will be too, quietly (debug), until the broker moves it to ${dlqOf(message)}`;
  }

  private redeliveriesLeft(count: number | undefined): number | undefined {
    if (this.brokerMaxRedeliveries === undefined || count === undefined) return undefined;
    return this.brokerMaxRedeliveries - (count - 1);
  }
}

/** ActiveMQ dead-letters a non-persistent message only when its dead-letter strategy says `processNonPersistent`. */
function dlqOf(message: StompFrame): string {
  return message.headers['persistent'] === 'true' ? 'its DLQ' : 'its DLQ (a non-persistent message only with processNonPersistent; else it is dropped)';
}
