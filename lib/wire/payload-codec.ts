import type { StompFrame, StompHeaders } from '../stomp/frame.js';
import { ActiveMQError } from '../errors/activemq-error.js';

/** A payload ready for the wire: the body and the headers that say how to read it. */
export interface EncodedPayload {
  /** Bytes as a Buffer; text and JSON as a string. */
  readonly body: Buffer | string;
  /** `content-type`, and for bytes a `content-length` (its value is set to the body's length when the frame is written). */
  readonly headers: StompHeaders;
}

/** A message body that does not match its content type. The message is dead-lettered, never handled. */
export class PayloadDecodeError extends ActiveMQError {
  /**
   * Names the message whose body could not be read.
   *
   * @param message What does not match, naming the message and its destination.
   * @param messageId The message's `message-id` header, if it has one.
   * @param reason What does not match, without naming the message (for a line that names it already).
   */
  constructor(
    message: string,
    readonly messageId: string | undefined,
    readonly reason: string = message,
  ) {
    super(message);
  }
}

const JSON_TYPE = 'application/json';
const BYTES_TYPE = 'application/octet-stream';
const TEXT_TYPE = 'text/plain';

/**
 * The body is the payload itself, so plain JMS clients read and write it (ActiveMQ's "STOMP" docs, "Working with JMS Text/Bytes Messages"):
 * a Buffer goes as bytes with `content-length` (a JMS BytesMessage), a string as text (a
 * TextMessage), anything else as JSON text. `undefined` is sent as an empty JSON body.
 */
export function encodePayload(data: unknown): EncodedPayload {
  if (Buffer.isBuffer(data)) return { body: data, headers: { 'content-type': BYTES_TYPE, 'content-length': '' } };
  if (data instanceof Uint8Array) {
    return { body: Buffer.from(data.buffer, data.byteOffset, data.byteLength), headers: { 'content-type': BYTES_TYPE, 'content-length': '' } };
  }
  if (typeof data === 'string') return { body: data, headers: { 'content-type': `${TEXT_TYPE};charset=utf-8` } };
  if (data === undefined) return { body: '', headers: { 'content-type': JSON_TYPE } };
  const json = JSON.stringify(data);
  if (json === undefined) throw new TypeError(`a ${typeof data} cannot be sent as a message payload`);
  return { body: json, headers: { 'content-type': JSON_TYPE } };
}

/**
 * Reads a body back:
 * - `application/json` (or `+json`): parsed; invalid JSON throws {@link PayloadDecodeError};
 * - `text/*`: a string; `application/octet-stream`: a Buffer;
 * - no content type, with `content-length` (a JMS BytesMessage): a Buffer;
 * - no content type, without it (a JMS TextMessage, as ActiveMQ's own tools send): parsed as JSON
 *   when it is valid JSON, a string otherwise;
 * - any other content type: a Buffer, untouched.
 */
export function decodePayload(message: StompFrame): unknown {
  const contentType = message.headers['content-type']?.split(';')[0]!.trim().toLowerCase();
  const body = message.body;
  if (contentType === undefined || contentType === '') {
    if (message.headers['content-length'] !== undefined) return body;
    const text = body.toString('utf8');
    const parsed = parseJson(text);
    return parsed ? parsed.value : text;
  }
  if (contentType === JSON_TYPE || contentType.endsWith('+json')) {
    const text = body.toString('utf8');
    if (text === '') return undefined;
    const parsed = parseJson(text);
    if (parsed === undefined) {
      const id = message.headers['message-id'];
      const what = `content-type ${contentType} but its body is not valid JSON`;
      throw new PayloadDecodeError(`message ${id ?? '(no message-id)'} on ${message.headers['destination'] ?? '?'} has ${what}`, id, `it has ${what}`);
    }
    return parsed.value;
  }
  if (contentType.startsWith('text/')) return body.toString('utf8');
  return body;
}

function parseJson(text: string): { value: unknown } | undefined {
  if (text === '') return undefined;
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}
