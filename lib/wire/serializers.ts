import type { ReadPacket } from '@nestjs/microservices';
import type { StompHeaders } from '../stomp/frame.js';

/**
 * Turns an outgoing packet (`pattern` and `data`, the record builder's settings already taken
 * off) into the value sent as the body. The default sends `data` alone: no envelope on the wire.
 */
export interface ActiveMQSerializer {
  /** The value to send for `packet`; it is then encoded as bytes, text or JSON by its type. */
  serialize(packet: ReadPacket): unknown;
}

/** What a deserializer is told about the message besides its decoded body. */
export interface ActiveMQDeserializeContext {
  /** The pattern whose subscription received the message (server), or the request's pattern (client). */
  readonly channel: string;
  /** The message's headers, as received. */
  readonly headers: Readonly<StompHeaders>;
}

/**
 * Turns a decoded body into the data a handler (server) or a caller (client) receives. The
 * default hands the body over as it is.
 */
export interface ActiveMQDeserializer {
  /** The data to hand over for `body` (already decoded by its content type: JSON value, string or Buffer). */
  deserialize(body: unknown, context: ActiveMQDeserializeContext): unknown;
}

export const bodyOnlySerializer: ActiveMQSerializer = { serialize: (packet): unknown => packet.data };
export const bodyAsIsDeserializer: ActiveMQDeserializer = { deserialize: (body) => body };
