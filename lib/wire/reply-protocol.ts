/**
 * Replies travel as plain messages to the requester's `reply-to`, with its `correlation-id`; the
 * body is the value itself, so a JMS requester reads it like any reply. One header, a valid JMS
 * property name, says where the reply stands in its stream.
 */
export const REPLY_HEADER = 'nestjsReply';

export const enum ReplyKind {
  /** One value of a stream; more follow. */
  Next = 'next',
  /** The last (often the only) value. */
  Last = 'last',
  /** The stream ended with no further value. */
  End = 'end',
  /** The handler failed; the body is the error. */
  Error = 'error',
}
