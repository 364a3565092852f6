/** A request got no reply in time: no server may handle its pattern, or it is too slow. */
export class ActiveMQRequestTimeoutError extends Error {
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
  readonly retriable = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ActiveMQConnectionLostError';
  }
}
