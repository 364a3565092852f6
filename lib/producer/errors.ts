/** A blocking send or a commit got no answer within `callTimeout`: the broker may or may not have it. */
export class SendInDoubtError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SendInDoubtError';
  }
}

/** A message larger than the whole confirmation window can never be admitted. */
export class MessageTooLargeForWindowError extends RangeError {
  constructor(
    readonly bytes: number,
    readonly windowBytes: number,
  ) {
    super(`a ${bytes}-byte message cannot fit a confirmationWindowSize of ${windowBytes} bytes: raise the window or send it blocking`);
    this.name = 'MessageTooLargeForWindowError';
  }
}

/** COMMIT or ABORT failed; for a COMMIT nothing of the transaction was stored. */
export class TransactionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransactionError';
  }
}
