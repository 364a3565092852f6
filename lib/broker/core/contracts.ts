import { ActiveMQError } from '../../errors/activemq-error.js';
import type { StompHeaders } from '../../stomp/frame.js';
import type { BrokerMessage, Queue } from './queue.js';

/** A protocol error answered with an ERROR frame (carrying the request's receipt-id when it had one). */
export class BrokerProtocolError extends ActiveMQError {
  constructor(
    message: string,
    /** The connection cannot go on (STOMP says the server closes after an ERROR; used for protocol violations). */
    readonly fatal = false,
    /** More headers of the ERROR (e.g. `version` when no version could be agreed). */
    readonly headers: StompHeaders = {},
  ) {
    super(message);
  }
}

/** What the core needs of a client connection: the session room implements it, so the core imports no session code. */
export interface BrokerClient {
  /** The connection's id (`ID:embedded-…`), unique in this broker. */
  readonly id: string;
  /** Where it comes from (`127.0.0.1:54321`, `vm`), for errors. */
  readonly remote?: string;
  /** It has a subscription: a producer that also consumes is never paused (it could not drain what it waits for). */
  readonly consumes: boolean;
  /** Stop reading its frames (memory limit reached). */
  pause(): void;
  /** Read its frames again. */
  resume(): void;
  /** End the connection (the broker stops). */
  close(): void;
}

/** What the core needs of a subscription when it ends: where it was, and its queue. */
export interface CoreSubscription {
  /** The SUBSCRIBE's destination as written (`/queue/x`, `/topic/x`, `/temp-queue/x`). */
  readonly destination: string;
  /** The queue it consumed: a topic subscription's own, a queue's shared one. */
  readonly queue: Queue;
}

/** What a SUBSCRIBE asks of the core, its headers read and checked by the session. */
export interface SubscriptionSpec {
  /** The SUBSCRIBE's destination as written: one destination, with wildcards or not, or a composite list. */
  readonly destination: string;
  /** Its `selector`, compiled; absent: every message. */
  readonly filter?: (message: BrokerMessage) => boolean;
  /** The selector's text, kept with a durable subscription (a changed one replaces it). */
  readonly selector?: string;
  /** `activemq.noLocal:true`: not the messages of its own connection (of its client-id, for a durable subscription). */
  readonly noLocal: boolean;
  /** `activemq.retroactive:true`: a new topic subscription first gets what the topic retained. */
  readonly retroactive: boolean;
  /** `activemq.subscriptionName`: the durable topic subscription it consumes (made if need be), with `clientId`. */
  readonly durableName?: string;
  /** The connection's CONNECT `client-id`. */
  readonly clientId?: string;
}

/** A subscription's hold on the queues it consumes, as the core made it. */
export interface CoreAttachment {
  /** Offers the consumer what waits in its queues (it has credit again). */
  dispatch(): void;
  /** The journal write a durable subscription's registration waits for (its SUBSCRIBE's RECEIPT follows it); undefined when there is none. */
  readonly stored: Promise<void> | undefined;
  /** True for a durable subscription's. */
  readonly durable: boolean;
  /** The durable subscription's name, when it is one. */
  readonly durableName: string | undefined;
}

/** A delivery not yet acknowledged: the message and the queue it came from. */
export interface HeldDelivery {
  readonly message: BrokerMessage;
  readonly queue: Queue;
}
