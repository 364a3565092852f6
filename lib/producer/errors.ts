import { ActiveMQError } from '../errors/activemq-error.js';
/** A blocking send or a commit got no answer (none within `callTimeout`, or its connection was lost first): the broker may or may not have it. */
export class SendInDoubtError extends ActiveMQError {}

/** A message larger than the whole confirmation window can never be admitted. */
export class MessageTooLargeForWindowError extends ActiveMQError {
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
  }
}

/** COMMIT or ABORT failed for sure; for a COMMIT nothing of the transaction was stored. */
export class TransactionError extends ActiveMQError {}
