import { ActiveMQError } from './activemq-error.js';
/** A request got no reply in time: no server may handle its pattern, or it is too slow. */
export class ActiveMQRequestTimeoutError extends ActiveMQError {
  /**
   * Builds the message from the pattern and the time waited.
   *
   * @param pattern The request's pattern.
   * @param timeoutMs Milliseconds waited for the reply.
   */
  constructor(
    readonly pattern: string,
    readonly timeoutMs: number,
  ) {
    super(`no reply to '${pattern}' within ${timeoutMs} ms: is a server handling that pattern?`);
  }
}

/**
 * The connection ended while a request waited for its reply. The request may or may not have
 * been handled: retry it if it is idempotent.
 */
export class ActiveMQConnectionLostError extends ActiveMQError {
  /** Always true: the failure is the connection's, not the request's. */
  readonly retriable = true;
}

/** `emit()` or `send()` on a client after `close()`: nothing was sent. `connect()` opens it again. */
export class ActiveMQClientClosedError extends ActiveMQError {
  /**
   * Names what was refused.
   *
   * @param what The refused call, e.g. `emit('orders.placed')`.
   */
  constructor(what: string) {
    super(`${what} refused: the client is closed (close() was called); nothing was sent. Call connect() to open it again`);
  }
}

/** A payload the serializer could not turn into a message body (a circular structure, a BigInt): nothing was sent. */
export class ActiveMQSerializationError extends ActiveMQError {
  /**
   * Names the pattern and what the serializer said.
   *
   * @param pattern The pattern the payload was for.
   * @param cause What the serializer or `JSON.stringify` threw.
   */
  constructor(
    readonly pattern: string,
    cause: unknown,
  ) {
    super(`the payload for '${pattern}' cannot be serialized: ${cause instanceof Error ? cause.message : String(cause)}; nothing was sent`, { cause });
  }
}

/**
 * A message over the `maxBodyBytes` this side accepts: a reply the client skipped unread (the
 * request fails with it), or, by name on the wire, a request the server refused to read.
 */
export class ActiveMQMessageTooLargeError extends ActiveMQError {}
