import { StompEncodeError } from './errors.js';
import { isStompCommand, isUnescapedCommand, type StompCommand, type StompHeaders } from './frame.js';

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
 *   (semantics §5.2). A body holding a NUL byte needs it and is refused without it.
 */
export function encodeFrame(command: StompCommand, headers: StompHeaders, body: Buffer | string = EMPTY): Buffer {
  if (!isStompCommand(command)) throw new StompEncodeError(`'${String(command)}' is not a STOMP 1.2 command`);
  const bodyBytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const raw = isUnescapedCommand(command);
  let head = command + '\n';
  let hasContentLength = false;
  for (const name in headers) {
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
      head += escapeHeader(name) + ':' + escapeHeader(value) + '\n';
    }
  }
  if (!hasContentLength && bodyBytes.includes(0)) {
    throw new StompEncodeError(`the body of ${command} holds a NUL byte: send it with a content-length header`);
  }
  head += '\n';
  const headLength = Buffer.byteLength(head, 'utf8');
  const frame = Buffer.allocUnsafe(headLength + bodyBytes.length + 1);
  frame.write(head, 0, 'utf8');
  bodyBytes.copy(frame, headLength);
  frame[frame.length - 1] = 0;
  return frame;
}

/** The EOL a peer sends as a heart-beat. */
export const HEARTBEAT_EOL: Buffer = Buffer.from('\n');
