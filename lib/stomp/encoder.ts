import { StompEncodeError, StompFrameTooLargeError } from './errors.js';
import { isStompCommand, isUnescapedCommand, type StompCommand, type StompHeaders, type StompLimits } from './frame.js';

const NEEDS_ESCAPE = /[\\\r\n:]/;
const ESCAPES = /[\\\r\n:]/g;
const ESCAPE_OF: Record<string, string> = { '\\': '\\\\', '\r': '\\r', '\n': '\\n', ':': '\\c' };
const EMPTY = Buffer.alloc(0);

/** Escapes a header name or value as STOMP 1.2 requires ("Value Encoding"). */
export function escapeHeader(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPES, (c) => ESCAPE_OF[c]!) : value;
}

/**
 * Encodes one frame into a single buffer.
 *
 * - Header names and values are escaped, except on CONNECT/STOMP/CONNECTED, where STOMP has no
 *   escaping: a newline or colon there cannot be written and is refused, so a user-supplied value
 *   can never start a header or a frame of its own.
 * - A `content-length` header, when present, is set to the body's real length. It is never added
 *   on the caller's behalf: on ActiveMQ its presence makes a BytesMessage instead of a TextMessage
 *   (ActiveMQ's "STOMP" docs, "Working with JMS Text/Bytes Messages"). A body holding a NUL byte needs it and is refused without it.
 * - With `limits` (the peer's), a frame the peer would refuse is refused here with a
 *   {@link StompFrameTooLargeError} before anything is written: ActiveMQ answers such a frame with
 *   an ERROR that names no receipt and closes the connection, so the sender could not tell which
 *   frame it refused, and a re-send after reconnecting would be refused again.
 */
export function encodeFrame(command: StompCommand, headers: StompHeaders, body: Buffer | string = EMPTY, limits?: StompLimits): Buffer {
  if (!isStompCommand(command)) throw new StompEncodeError(`'${String(command)}' is not a STOMP 1.2 command`);
  const bodyBytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const raw = isUnescapedCommand(command);
  let head = command + '\n';
  let hasContentLength = false;
  let count = 0;
  for (const name in headers) {
    count++;
    const value = headers[name];
    if (typeof value !== 'string') {
      throw new StompEncodeError(`header '${name}' of ${command} must be a string, got ${typeof value}`);
    }
    if (name === 'content-length') {
      hasContentLength = true;
      head += 'content-length:' + bodyBytes.length + '\n';
    } else if (raw) {
      if (/[\r\n]/.test(name) || /[\r\n]/.test(value) || name.includes(':') || name === '') {
        throw new StompEncodeError(`header '${escapeHeader(name)}' of ${command} holds a newline or colon, which ${command} cannot carry (STOMP 1.2 does not escape its headers)`);
      }
      head += name + ':' + value + '\n';
    } else {
      if (name === '') throw new StompEncodeError(`a header of ${command} has an empty name`);
      const line = escapeHeader(name) + ':' + escapeHeader(value);
      if (limits) checkLine(command, name, line, limits.maxHeaderLineBytes);
      head += line + '\n';
    }
  }
  if (limits) {
    if (count > limits.maxHeaders) throw new StompFrameTooLargeError(`${command} has ${count} headers; the broker takes at most ${limits.maxHeaders} (maxHeaders)`);
    if (bodyBytes.length > limits.maxBodyBytes) {
      throw new StompFrameTooLargeError(`the body of ${command} is ${bodyBytes.length} bytes; the broker takes at most ${limits.maxBodyBytes} (maxBodyBytes)`);
    }
  }
  if (!hasContentLength && bodyBytes.includes(0)) {
    throw new StompEncodeError(`the body of ${command} holds a NUL byte: send it with a content-length header`);
  }
  return assembleFrame(head, bodyBytes);
}

/** The frame's bytes in one buffer: `head` (command and header lines), the blank line, the body, the NUL. */
export function assembleFrame(head: string, body: Buffer): Buffer {
  const text = head + '\n';
  const headLength = Buffer.byteLength(text, 'utf8');
  const frame = Buffer.allocUnsafe(headLength + body.length + 1);
  frame.write(text, 0, 'utf8');
  body.copy(frame, headLength);
  frame[frame.length - 1] = 0;
  return frame;
}

/**
 * Refuses, with a {@link StompFrameTooLargeError}, a frame that would pass the peer's `limits`, as
 * {@link encodeFrame} does, without encoding it: a producer checks a message before it takes a
 * place in a confirmation window. `addedHeaders` counts the headers the sender adds later
 * (receipt, transaction, message id).
 */
export function checkFrameLimits(command: StompCommand, headers: StompHeaders, body: Buffer | string, limits: StompLimits, addedHeaders = 0): void {
  let count = addedHeaders;
  for (const name in headers) {
    count++;
    const value = headers[name]!;
    // Escaping at most doubles a line: the exact count is needed only near the limit.
    if ((name.length + value.length) * 6 + 3 > limits.maxHeaderLineBytes) checkLine(command, name, escapeHeader(name) + ':' + escapeHeader(value), limits.maxHeaderLineBytes);
  }
  if (count > limits.maxHeaders) throw new StompFrameTooLargeError(`${command} has ${count} headers; the broker takes at most ${limits.maxHeaders} (maxHeaders)`);
  const bodyBytes = typeof body === 'string' ? (body.length * 3 > limits.maxBodyBytes ? Buffer.byteLength(body) : 0) : body.length;
  if (bodyBytes > limits.maxBodyBytes) {
    throw new StompFrameTooLargeError(`the body of ${command} is ${bodyBytes} bytes; the broker takes at most ${limits.maxBodyBytes} (maxBodyBytes)`);
  }
}

/** A line's UTF-8 length is at most three bytes per UTF-16 unit: the exact count is needed only near the limit. */
function checkLine(command: string, name: string, line: string, maxBytes: number): void {
  if (line.length * 3 <= maxBytes) return;
  const bytes = Buffer.byteLength(line, 'utf8');
  if (bytes > maxBytes) {
    throw new StompFrameTooLargeError(
      `header '${name.slice(0, 64)}' of ${command} takes ${bytes} bytes; the broker takes header lines of at most ${maxBytes} (maxHeaderLineBytes)`,
    );
  }
}

/** The EOL a peer sends as a heart-beat. */
export const HEARTBEAT_EOL: Buffer = Buffer.from('\n');
