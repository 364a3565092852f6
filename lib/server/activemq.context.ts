import { BaseRpcContext } from '@nestjs/microservices';
import type { StompFrame, StompHeaders } from '../stomp/frame.js';
import type { MessageSettlement } from './settlement.js';

/** A received message as handlers see it. */
export interface ActiveMQMessage {
  readonly messageId: string | undefined;
  readonly destination: string;
  readonly headers: Readonly<StompHeaders>;
  /** The raw body; the handler's `data` is its decoded form. */
  readonly body: Buffer;
  readonly redelivered: boolean;
}

type ActiveMQContextArgs = [message: StompFrame, pattern: string, settlement: MessageSettlement, manualAck: boolean];

/** `@Ctx() ctx: ActiveMQContext` in an ActiveMQ handler. */
export class ActiveMQContext extends BaseRpcContext<ActiveMQContextArgs> {
  getMessage(): ActiveMQMessage {
    const frame = this.args[0];
    return {
      messageId: frame.headers['message-id'],
      destination: frame.headers['destination'] ?? '',
      headers: frame.headers,
      body: frame.body,
      redelivered: frame.headers['redelivered'] === 'true',
    };
  }

  getHeaders(): Readonly<StompHeaders> {
    return this.args[0].headers;
  }

  /** The pattern whose handler runs. */
  getPattern(): string {
    return this.args[1];
  }

  /** The destination the message came from (e.g. `/queue/orders.placed`). */
  getDestination(): string {
    return this.args[0].headers['destination'] ?? '';
  }

  isRedelivered(): boolean {
    return this.args[0].headers['redelivered'] === 'true';
  }

  /** Acknowledges the message. Only in `ackMode: 'manual'`; otherwise the server acks after the handler. */
  ack(): Promise<void> {
    this.requireManual('ack');
    return this.args[2].ack();
  }

  /** Rejects the message: redelivered, then dead-lettered. Only in `ackMode: 'manual'`. */
  nack(): Promise<void> {
    this.requireManual('nack');
    return this.args[2].nack();
  }

  private requireManual(what: string): void {
    if (!this.args[3]) {
      throw new Error(`ctx.${what}() needs ackMode 'manual'; in 'auto-after-handler' mode the server settles each message after its handler`);
    }
  }
}
