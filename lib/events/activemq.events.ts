import type { StompError } from '../stomp/errors.js';

/** Connection states reported on `client.status` and `server.status`. */
export enum ActiveMQStatus {
  /** The first connection is being opened (`connect()` / `listen()`). */
  CONNECTING = 'connecting',
  /** Connected to a broker. */
  CONNECTED = 'connected',
  /** The connection was lost and is being re-established. */
  RECONNECTING = 'reconnecting',
  /** Not connected: not started yet, the first connection failed, or reconnection gave up or is off. */
  DISCONNECTED = 'disconnected',
  /** Closed by `close()`. */
  CLOSED = 'closed',
}

/** Events of `client.on()` and `server.on()`. */
export type ActiveMQEvents = {
  /** Connected to a broker (its `host:port`). */
  connect: (broker: string) => void;
  /** The connection ended; `error` says why unless it was closed on purpose. */
  disconnect: (error: StompError | undefined) => void;
  /** An error the application should know of (a fatal broker ERROR, a lost reply, a failed handler). */
  error: (error: Error) => void;
};

/** The transport id of ActiveMQ handlers: `@EventPattern('x', ActiveMQTransport)` binds a handler to ActiveMQ only in a hybrid app. */
export const ActiveMQTransport: unique symbol = Symbol.for('nestjs-activemq');
