import type { ActiveMQStatus } from './events/activemq.events.js';

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
  /** Bytes of those, and the window's size (0 without a window). */
  readonly windowBytes: number;
  readonly windowCapacityBytes: number;
  /** Requests sent with `send()`, their final replies, and those that ended in an error or timeout. */
  readonly requests: number;
  readonly replies: number;
  readonly requestsFailed: number;
  /** Requests waiting for their reply now. */
  readonly pendingRequests: number;
  /** Times a lost connection was re-established. */
  readonly reconnections: number;
}

/** What a server has done since it started listening (`server.metrics()`). */
export interface ActiveMQServerMetrics {
  readonly status: ActiveMQStatus;
  /** Messages delivered to it, and how many of those the broker marked as redelivered. */
  readonly received: number;
  readonly redelivered: number;
  /** Messages acknowledged, and rejected (NACK: redelivered later, or dead-lettered). */
  readonly acknowledged: number;
  readonly rejected: number;
  /** Handlers that threw or whose Observable errored. */
  readonly handlerFailures: number;
  /** Handlers running now. */
  readonly inFlight: number;
  /** Times a lost connection was re-established. */
  readonly reconnections: number;
}
