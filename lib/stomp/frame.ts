/** Frames a STOMP 1.2 client sends. */
export const CLIENT_COMMANDS = ['CONNECT', 'STOMP', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK', 'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT'] as const;

/** Frames a STOMP 1.2 server sends. */
export const SERVER_COMMANDS = ['CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR'] as const;

/** A command a STOMP 1.2 client sends. */
export type StompClientCommand = (typeof CLIENT_COMMANDS)[number];
/** A command a STOMP 1.2 server sends. */
export type StompServerCommand = (typeof SERVER_COMMANDS)[number];
/** Any of the fifteen STOMP 1.2 commands. */
export type StompCommand = StompClientCommand | StompServerCommand;

const KNOWN_COMMANDS: ReadonlySet<string> = new Set<string>([...CLIENT_COMMANDS, ...SERVER_COMMANDS]);

/** True for the fifteen commands of STOMP 1.2. */
export function isStompCommand(value: string): value is StompCommand {
  return KNOWN_COMMANDS.has(value);
}

/**
 * Header names to values. When a frame repeats a header, the first value is kept, as STOMP 1.2
 * requires ("Repeated Header Entries").
 */
export type StompHeaders = Record<string, string>;

/** One STOMP frame. `body` is raw bytes; text bodies are UTF-8. */
export interface StompFrame {
  /** The frame's command line. */
  readonly command: StompCommand;
  /** The frame's headers, unescaped. */
  readonly headers: StompHeaders;
  /** The body's bytes; empty when there is none. */
  readonly body: Buffer;
}

/** CONNECT, STOMP and CONNECTED carry their headers unescaped (STOMP 1.2, "Value Encoding"). */
export function isUnescapedCommand(command: string): boolean {
  return command === 'CONNECT' || command === 'CONNECTED' || command === 'STOMP';
}

/** Limits the parser enforces; the defaults follow ActiveMQ Classic's STOMP wire format (10 KiB header lines, 1000 headers, `wireFormat.maxDataLength` 100 MiB; ActiveMQ's "STOMP" docs). */
export interface StompLimits {
  /** Headers per frame. Default 1000. */
  readonly maxHeaders: number;
  /** Bytes of one header line (name, colon and value, escaped). Default 10 KiB. */
  readonly maxHeaderLineBytes: number;
  /** Bytes of one body. Default 100 MiB. */
  readonly maxBodyBytes: number;
}

/** The limits used where none are given: 1000 headers, 10 KiB per header line, 100 MiB per body. */
export const DEFAULT_STOMP_LIMITS: StompLimits = Object.freeze({
  maxHeaders: 1000,
  maxHeaderLineBytes: 10 * 1024,
  maxBodyBytes: 100 * 1024 * 1024,
});

/**
 * Bytes a message's body and headers take, as both sides account for messages in memory (the
 * client's confirmation window, the broker's memory limit): UTF-8 body bytes, and each header's
 * name and value with their two separators. Header lengths are counted in UTF-16 code units, not
 * encoded: an estimate, cheap on the hot path. The caller adds its own fixed overhead per message.
 */
export function messageBytes(headers: Readonly<StompHeaders>, body: Buffer | string): number {
  let bytes = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  for (const name in headers) bytes += name.length + headers[name]!.length + 2;
  return bytes;
}
