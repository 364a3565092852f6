import type { ReadPacket } from '@nestjs/microservices';
import type { StompHeaders } from '../stomp/frame.js';

/**
 * Turns an outgoing packet (`pattern` and `data`, the record builder's settings already taken
 * off) into the value sent as the body. The default sends `data` alone: no envelope on the wire.
 */
export interface ActiveMQSerializer {
  serialize(packet: ReadPacket): unknown;
}

/** What a deserializer is told about the message besides its decoded body. */
export interface ActiveMQDeserializeContext {
  /** The pattern whose subscription received the message (server), or the request's pattern (client). */
  readonly channel: string;
  readonly headers: Readonly<StompHeaders>;
}

/**
 * Turns a decoded body into the data a handler (server) or a caller (client) receives. The
 * default hands the body over as it is.
 */
export interface ActiveMQDeserializer {
  deserialize(body: unknown, context: ActiveMQDeserializeContext): unknown;
}

export const bodyOnlySerializer: ActiveMQSerializer = { serialize: (packet) => packet.data };
export const bodyAsIsDeserializer: ActiveMQDeserializer = { deserialize: (body) => body };
