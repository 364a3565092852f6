/** A request got no reply in time: no server may handle its pattern, or it is too slow. */
export class ActiveMQRequestTimeoutError extends Error {
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
    this.name = 'ActiveMQRequestTimeoutError';
  }
}

/**
 * The connection ended while a request waited for its reply. The request may or may not have
 * been handled: retry it if it is idempotent.
 */
export class ActiveMQConnectionLostError extends Error {
  /** Always true: the failure is the connection's, not the request's. */
  readonly retriable = true;

  /**
   * Describes what the lost connection took with it.
   *
   * @param message What was lost, and why.
   * @param options `cause`: the connection's error, if any.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ActiveMQConnectionLostError';
  }
}

/** `emit()` or `send()` on a client after `close()`: nothing was sent. `connect()` opens it again. */
export class ActiveMQClientClosedError extends Error {
  /**
   * Names what was refused.
   *
   * @param what The refused call, e.g. `emit('orders.placed')`.
   */
  constructor(what: string) {
    super(`${what} refused: the client is closed (close() was called); nothing was sent. Call connect() to open it again`);
    this.name = 'ActiveMQClientClosedError';
  }
}

/** A payload the serializer could not turn into a message body (a circular structure, a BigInt): nothing was sent. */
export class ActiveMQSerializationError extends TypeError {
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
    this.name = 'ActiveMQSerializationError';
  }
}
