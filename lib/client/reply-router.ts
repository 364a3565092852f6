import type { WritePacket } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import type { ActiveMQDeserializer } from '../wire/serializers.js';
import { decodePayload } from '../wire/payload-codec.js';
import type { StompFrame } from '../stomp/frame.js';
import { ActiveMQRequestTimeoutError, ActiveMQMessageTooLargeError } from '../errors/client-errors.js';
import { REPLY_HEADER, ReplyKind } from '../wire/reply-protocol.js';
import { ActiveMQError } from '../errors/activemq-error.js';

interface PendingRequest {
  readonly pattern: string;
  readonly callback: (packet: WritePacket) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Matches replies to the requests waiting for them, by `correlation-id` (the JMS convention), and
 * turns each reply into the packet Nest's `send()` expects: a value, the last value, the end of
 * a stream, or an error. A request is forgotten when answered, timed out or given up on.
 */
export class ReplyRouter {
  private readonly pending = new Map<string, PendingRequest>();

  constructor(private readonly deserializer: ActiveMQDeserializer) {}

  /** Requests waiting for their reply. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Waits for the reply to a new request; after `timeoutMs` the callback gets an
   * `ActiveMQRequestTimeoutError` that names `reportedMs` (the whole request's allowance, of which
   * `timeoutMs` is what was left once it could be written).
   */
  register(pattern: string, callback: (packet: WritePacket) => void, timeoutMs: number, reportedMs = timeoutMs): string {
    const correlationId = randomUUID();
    const timer = setTimeout(() => {
      if (this.pending.delete(correlationId)) callback({ err: new ActiveMQRequestTimeoutError(pattern, reportedMs) });
    }, timeoutMs);
    this.pending.set(correlationId, { pattern, callback, timer });
    return correlationId;
  }

  /** Stops waiting for a reply (the caller unsubscribed). */
  forget(correlationId: string): void {
    const request = this.pending.get(correlationId);
    if (!request) return;
    clearTimeout(request.timer);
    this.pending.delete(correlationId);
  }

  /** Fails one waiting request. */
  fail(correlationId: string, err: unknown): void {
    const request = this.pending.get(correlationId);
    if (!request) return;
    this.forget(correlationId);
    request.callback({ err });
  }

  /** Fails every waiting request. */
  failAll(err: Error): void {
    for (const correlationId of [...this.pending.keys()]) this.fail(correlationId, err);
  }

  /**
   * A reply over `maxBodyBytes`, its body read past and not kept: its request fails with a clear
   * error instead of the connection.
   */
  tooLarge(message: StompFrame, maxBodyBytes: number): void {
    const correlationId = message.headers['correlation-id'] ?? '';
    const request = this.pending.get(correlationId);
    if (!request) return;
    const size = message.headers['content-length'];
    this.fail(
      correlationId,
      new ActiveMQMessageTooLargeError(
        `the reply to '${request.pattern}' is ${size === undefined ? 'larger than' : `${size} bytes, over`} the limit of ${maxBodyBytes} bytes (maxBodyBytes): not read`,
      ),
    );
  }

  /** Hands a reply to its request; a reply nobody waits for any more is dropped. */
  route(message: StompFrame): void {
    const correlationId = message.headers['correlation-id'] ?? '';
    const request = this.pending.get(correlationId);
    if (!request) return; // its caller gave up (timeout or unsubscribe)
    // A JMS replier sends one plain reply (no header); an unknown kind falls to `default`, as Last.
    const kind = (message.headers[REPLY_HEADER] ?? ReplyKind.Last) as ReplyKind;
    let value: unknown;
    try {
      value = this.deserializer.deserialize(decodePayload(message), { channel: request.pattern, headers: message.headers });
    } catch (err) {
      this.fail(correlationId, err);
      return;
    }
    if (kind !== ReplyKind.Next) this.forget(correlationId);
    switch (kind) {
      case ReplyKind.Next:
        return request.callback({ response: value });
      case ReplyKind.End:
        return request.callback({ response: undefined, isDisposed: true });
      case ReplyKind.Error:
        // Nest's observer tests `if (err)`: a falsy error (a handler that threw null, 0 or '') would
        // pass as a value and leave the caller waiting for ever.
        return request.callback({
          err: value || new ActiveMQError(`the handler of '${request.pattern}' failed with ${JSON.stringify(value) ?? String(value)}`, { code: 'REMOTE_ERROR' }),
        });
      default:
        return request.callback({ response: value, isDisposed: true });
    }
  }
}
