import type { StompHeaders } from './frame.js';
import { ActiveMQError } from '../errors/activemq-error.js';

/** Base class of every error this library raises about the STOMP protocol or a connection. */
export class StompError extends ActiveMQError {}

/** Why the parser refused a byte stream. */
export type StompParseErrorCode =
  | 'UNKNOWN_COMMAND'
  | 'COMMAND_TOO_LONG'
  | 'MALFORMED_HEADER'
  | 'INVALID_ESCAPE'
  | 'TOO_MANY_HEADERS'
  | 'HEADER_TOO_LARGE'
  | 'INVALID_CONTENT_LENGTH'
  | 'BODY_TOO_LARGE'
  | 'MISSING_NUL';

/** The byte stream is not valid STOMP 1.2, or a frame passes a configured limit. Fatal to the stream. */
export class StompParseError extends StompError {
  /**
   * Keeps `code` for callers that branch on the kind of failure.
   *
   * @param code Which rule the stream broke.
   * @param message What was wrong, with the offending command or limit.
   */
  constructor(
    override readonly code: StompParseErrorCode,
    message: string,
  ) {
    super(message, { code });
  }
}

/** A frame cannot be written as valid STOMP (e.g. a CONNECT header with a newline). Nothing was sent. */
export class StompEncodeError extends StompError {}

/**
 * A frame passes a limit of the broker's (header line, header count or body size): it was not
 * written, and the connection is untouched. Raise the limit (`maxHeaderLineBytes`, `maxHeaders`,
 * `maxBodyBytes`) only if the broker's own limit was raised too.
 */
export class StompFrameTooLargeError extends StompEncodeError {}

/** The broker answered with an ERROR frame. */
export class StompBrokerError extends StompError {
  /** The `message` header of the ERROR frame. */
  readonly brokerMessage: string;
  /** The receipt this ERROR answers, if any. */
  readonly receiptId: string | undefined;
  /** The ERROR frame's body (often a stack trace on ActiveMQ). */
  readonly details: string;
  /** Every header of the ERROR frame. */
  readonly headers: StompHeaders;

  /**
   * Reads the broker's message, receipt id and details from an ERROR frame.
   *
   * @param headers The ERROR frame's headers.
   * @param body The ERROR frame's body.
   * @param broker The broker's `host:port`, for the message.
   */
  constructor(headers: StompHeaders, body: Buffer, broker: string) {
    const brokerMessage = headers['message'] ?? 'ERROR frame without a message header';
    super(`${broker} refused the request: ${brokerMessage}`);
    this.brokerMessage = brokerMessage;
    this.receiptId = headers['receipt-id'];
    this.details = body.toString('utf8');
    this.headers = headers;
  }
}

/** The broker refused CONNECT for bad credentials. The message names the broker and the login, never the passcode. */
export class StompAuthenticationError extends StompBrokerError {}

/**
 * The connection closed or was lost; what was waiting on it failed with this. `code` is the
 * network error's code (`ECONNREFUSED`, `ETIMEDOUT`, `ENOTFOUND`, …) when a socket error caused
 * it, read at the top level as on Nest's own transports (`err.code === 'ECONNREFUSED'`), and
 * `CONNECTION_CLOSED` (or the subclass's own code) otherwise.
 */
export class StompConnectionClosedError extends StompError {
  /**
   * Takes `code` from the cause: a socket error's own, or that of a closed-connection error it wraps.
   *
   * @param message What closed, and why.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    const code = networkCode(options?.cause);
    super(message, { cause: options?.cause, ...(code === undefined ? {} : { code }) });
  }
}

/** Node's system error codes (`ECONNREFUSED`, `EPIPE`, …), as opposed to this package's own. */
const NETWORK_CODE = /^E[A-Z0-9]+$/;

/** The `code` of a Node network error, or of the closed-connection error wrapping one; not a parser's code. */
function networkCode(cause: unknown): string | undefined {
  if (cause instanceof StompConnectionClosedError) return NETWORK_CODE.test(cause.code) ? cause.code : undefined;
  // Read by shape, not `instanceof Error`: Node's socket errors may come from another realm (vm, jest).
  if (cause instanceof StompError || typeof cause !== 'object' || cause === null) return undefined;
  const code = (cause as { code?: unknown }).code;
  // Only a system error's code: an error of this package's own (BROKER_STOPPED, …) is not one.
  return typeof code === 'string' && NETWORK_CODE.test(code) ? code : undefined;
}

/** The broker stayed silent past the negotiated heart-beat window; the connection was closed. */
export class StompHeartbeatTimeoutError extends StompConnectionClosedError {}

/** No answer within the time allowed. For a receipted SEND the outcome is in doubt: the broker may have it. */
export class StompTimeoutError extends StompError {}
