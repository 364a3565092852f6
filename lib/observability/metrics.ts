import type { ActiveMQStatus } from '../events/activemq.events.js';

/** What a client has done since it was created (`client.metrics()`), for dashboards and health checks. */
export interface ActiveMQClientMetrics {
  /** The connection's state now. */
  readonly status: ActiveMQStatus;
  /** Events the broker took (blocking and transacted sends once confirmed; async sends once written). */
  readonly sent: number;
  /** Events that failed: refused, timed out, in doubt, or windowed sends the broker never confirmed. */
  readonly failed: number;
  /** Windowed sends the broker confirmed (`acknowledgements()`). */
  readonly confirmed: number;
  /** Windowed sends written and not yet confirmed. */
  readonly inFlight: number;
  /** Bytes of those. */
  readonly windowBytes: number;
  /** The confirmation window's size in bytes (0 without a window). */
  readonly windowCapacityBytes: number;
  /** Requests sent with `send()`. */
  readonly requests: number;
  /** Requests that got their final reply. */
  readonly replies: number;
  /** Requests that ended in an error or a timeout. */
  readonly requestsFailed: number;
  /** Requests waiting for their reply now. */
  readonly pendingRequests: number;
  /** Times a lost connection was re-established. */
  readonly reconnections: number;
}

/** What `ServerActiveMQ.metrics().transactions` counts. */
export interface ActiveMQHandlerTransactionMetrics {
  /** COMMITs the broker confirmed: input acknowledged, sends and reply published. */
  readonly committed: number;
  /** Transactions aborted because their handler failed: their sends vanished. */
  readonly aborted: number;
  /** COMMITs refused, or lost with their connection before being written: nothing of them was stored. */
  readonly failed: number;
  /** COMMITs whose answer never came: the broker may or may not have committed. */
  readonly inDoubt: number;
  /** From the input's ACK to the COMMIT's receipt, over the committed ones. */
  readonly commitLatencyMs: {
    /** The mean, in milliseconds. */
    readonly mean: number;
    /** The longest, in milliseconds. */
    readonly max: number;
  };
}

/** What a server has done since it started listening (`server.metrics()`). */
export interface ActiveMQServerMetrics {
  /** The connection's state now. */
  readonly status: ActiveMQStatus;
  /** Messages delivered to it. */
  readonly received: number;
  /** Messages delivered to it that the broker marked as redelivered. */
  readonly redelivered: number;
  /** Messages acknowledged. */
  readonly acknowledged: number;
  /** Messages rejected (NACK: redelivered later, or dead-lettered). */
  readonly rejected: number;
  /** Handlers that threw or whose Observable errored. */
  readonly handlerFailures: number;
  /** Handlers running now. */
  readonly inFlight: number;
  /** Times a lost connection was re-established. */
  readonly reconnections: number;
  /** The transactions of transactional handlers (`{ transactional: true }`). */
  readonly transactions: ActiveMQHandlerTransactionMetrics;
}
