import { assembleFrame, encodeFrame } from '../../stomp/encoder.js';
import { StompParseError } from '../../stomp/errors.js';
import { isUnescapedCommand, type StompHeaders, type StompServerCommand } from '../../stomp/frame.js';
import { unescapeHeader } from '../../stomp/parser.js';

/**
 * What differs between STOMP 1.0, 1.1 and 1.2 on the embedded broker's wire: which version a
 * CONNECT agrees, and how header text is escaped. The project's codec (lib/stomp) speaks 1.2
 * only; the broker keeps the older versions' rules here.
 */

/** A STOMP version the embedded broker speaks. */
export type StompVersion = '1.0' | '1.1' | '1.2';

/** Oldest first; what an ERROR's `version` header lists when no version can be agreed. */
export const SUPPORTED_VERSIONS: readonly StompVersion[] = ['1.0', '1.1', '1.2'];

/**
 * The highest version of CONNECT's `accept-version` (a comma-separated list) that the broker
 * speaks, as ActiveMQ chooses it; no `accept-version` is a 1.0 client (STOMP 1.1 "Protocol
 * Negotiation"). Undefined when there is none in common.
 */
export function negotiateVersion(acceptVersion: string | undefined): StompVersion | undefined {
  const offered = new Set((acceptVersion ?? '1.0').split(',').map((version) => version.trim()));
  return [...SUPPORTED_VERSIONS].reverse().find((version) => offered.has(version));
}

const EMPTY = Buffer.alloc(0);

/**
 * The decoder of header names and values of frames after CONNECT: 1.0 has no escaping (a
 * backslash is a backslash); 1.1 has `\n`, `\c` and `\\`, and any other escape, `\r` included,
 * is a fatal error (STOMP 1.1 "Value Encoding"); 1.2 adds `\r`.
 */
export function headerDecoder(version: StompVersion): (text: string, command: string) => string {
  if (version === '1.2') return unescapeHeader;
  if (version === '1.0') return (text) => text;
  return (text, command) => {
    // Escapes read left to right: the `r` of `\\r` follows an escaped backslash, it is no `\r`.
    if (text.includes('\\r') && text.match(/\\./g)!.includes('\\r')) {
      throw new StompParseError('INVALID_ESCAPE', `a header of ${command} holds '\\r', an undefined escape in STOMP 1.1`);
    }
    return unescapeHeader(text, command);
  };
}

const ESCAPES_1_1 = /[\\\n:]/g;
const ESCAPE_OF_1_1: Record<string, string> = { '\\': '\\\\', '\n': '\\n', ':': '\\c' };

/**
 * Encodes a frame the broker sends for a client of `version`. 1.2 is the project's encoder. For
 * 1.1 a header escapes `\`, LF and `:` (a CR has no escape in 1.1 and goes as it is); for 1.0
 * nothing is escaped, and a header 1.0 cannot carry (a newline in it, a colon in its name) is
 * left out rather than allowed to break the frame. CONNECTED is never escaped (STOMP 1.1, 1.2).
 * A body holding a NUL gets a `content-length`, without which it would end the frame early.
 */
export function encodeFrameFor(version: StompVersion, command: StompServerCommand, headers: StompHeaders, body: Buffer | string = EMPTY): Buffer {
  if (version === '1.2') return encodeFrame(command, headers, body);
  const bodyBytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const raw = version === '1.0' || isUnescapedCommand(command);
  let head = command + '\n';
  let hasContentLength = false;
  for (const name in headers) {
    const value = headers[name]!;
    if (name === 'content-length') {
      hasContentLength = true;
      head += `content-length:${bodyBytes.length}\n`;
    } else if (!raw) {
      head += `${name.replace(ESCAPES_1_1, (c) => ESCAPE_OF_1_1[c]!)}:${value.replace(ESCAPES_1_1, (c) => ESCAPE_OF_1_1[c]!)}\n`;
    } else if (name !== '' && !/[\r\n:]/.test(name) && !/[\r\n]/.test(value)) {
      head += `${name}:${value}\n`;
    }
  }
  if (!hasContentLength && bodyBytes.includes(0)) head += `content-length:${bodyBytes.length}\n`;
  return assembleFrame(head, bodyBytes);
}
