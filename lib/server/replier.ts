import type { WritePacket } from '@nestjs/microservices';
import type { StompConnection } from '../connection/stomp-connection.js';
import type { StompFrame, StompHeaders } from '../stomp/frame.js';
import { encodePayload } from '../wire/payload-codec.js';
import { REPLY_HEADER, ReplyKind } from '../wire/reply-protocol.js';
import type { ActiveMQSerializer } from '../wire/serializers.js';
import type { ActiveMQTransaction } from '../producer/transaction.js';

/**
 * Writes a handler's answers to the requester's `reply-to`, one frame per packet of the Nest
 * response stream, with the request's `correlation-id` and the reply kind the client's reply
 * router reads (next, last, end, error).
 */
export class Replier {
  constructor(
    private readonly serializer: ActiveMQSerializer,
    /** Told of a reply that could not be delivered (the requester's temporary queue is gone, the connection died). */
    private readonly notDelivered: (request: StompFrame, replyTo: string, error: unknown) => void,
  ) {}

  /**
   * Sends one reply packet and waits for its receipt, so that a reply to a vanished temporary
   * queue fails alone (ActiveMQ answers an ERROR) and not the connection. The request's ACK waits
   * for it too: then the broker always has something of ours to answer, which matters on a broker
   * that keeps Nagle's algorithm on (ActiveMQ's default): measured, not waiting left each reply
   * stalled by the 40 ms delayed-ACK timer. Never rejects.
   *
   * In a transactional handler's `transaction` the reply is written into it without a receipt
   * (a receipted SEND in a transaction costs ActiveMQ Classic a disk sync of its own): the COMMIT's
   * receipt answers for it, and a reply the broker refuses fails the COMMIT.
   */
  async reply(connection: StompConnection, request: StompFrame, replyTo: string, packet: WritePacket, transaction?: ActiveMQTransaction): Promise<void> {
    const { kind, value } = replyOf(packet);
    try {
      const encoded = encodePayload(this.serializer.serialize({ pattern: replyTo, data: value }));
      const headers: StompHeaders = { ...encoded.headers, persistent: 'false', [REPLY_HEADER]: kind };
      const correlationId = request.headers['correlation-id'];
      if (correlationId !== undefined) headers['correlation-id'] = correlationId;
      if (transaction) {
        await transaction.write({ destination: replyTo, headers: { destination: replyTo, ...headers }, body: encoded.body, durable: false });
        return;
      }
      // No timer of its own: a connection that dies rejects it.
      await connection.send(replyTo, headers, encoded.body, { receipt: true });
    } catch (error) {
      this.notDelivered(request, replyTo, error);
    }
  }
}

/** The reply kind and the value sent for one packet of Nest's response stream. */
export function replyOf(packet: WritePacket): { kind: ReplyKind; value: unknown } {
  if (packet.err !== undefined) return { kind: ReplyKind.Error, value: errorToWire(packet.err) };
  if (packet.isDisposed) return { kind: packet.response === undefined ? ReplyKind.End : ReplyKind.Last, value: packet.response };
  return { kind: ReplyKind.Next, value: packet.response };
}

/** Errors cross the wire as JSON: an Error keeps its message, name and own fields. */
export function errorToWire(error: unknown): unknown {
  if (error instanceof Error) return { ...error, name: error.name, message: error.message };
  return error;
}
