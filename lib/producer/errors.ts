/** A blocking send or a commit got no answer (none within `callTimeout`, or its connection was lost first): the broker may or may not have it. */
export class SendInDoubtError extends Error {
  /**
   * Describes one blocking send or commit left in doubt.
   *
   * @param message What got no answer, and for how long.
   * @param options `cause`: usually the underlying `StompTimeoutError`.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SendInDoubtError';
  }
}

/** A message larger than the whole confirmation window can never be admitted. */
export class MessageTooLargeForWindowError extends RangeError {
  /**
   * Says how large the message is and how large the window, and what to do about it.
   *
   * @param bytes The message's size in bytes.
   * @param windowBytes The confirmation window's capacity in bytes (`confirmationWindowSize`).
   */
  constructor(
    readonly bytes: number,
    readonly windowBytes: number,
  ) {
    super(`a ${bytes}-byte message cannot fit a confirmationWindowSize of ${windowBytes} bytes: raise the window or send it blocking`);
    this.name = 'MessageTooLargeForWindowError';
  }
}

/** COMMIT or ABORT failed for sure; for a COMMIT nothing of the transaction was stored. */
export class TransactionError extends Error {
  /**
   * Describes a failed COMMIT or ABORT.
   *
   * @param message Which transaction failed, and why.
   * @param options `cause`: the broker's error, if any.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransactionError';
  }
}
