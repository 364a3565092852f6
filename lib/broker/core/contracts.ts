import { ActiveMQError } from '../../errors/activemq-error.js';
import type { StompHeaders } from '../../stomp/frame.js';
import type { Queue } from './queue.js';

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
