import { BaseRpcContext } from '@nestjs/microservices';
import type { StompFrame, StompHeaders } from '../stomp/frame.js';
import type { MessageSettlement } from './settlement.js';
import type { ActiveMQTransaction } from '../producer/transaction.js';
import { groupOf } from '../wire/headers.js';

/** A received message as handlers see it. */
export interface ActiveMQMessage {
  /** The broker's `message-id` header. */
  readonly messageId: string | undefined;
  /** The destination it came from (e.g. `/queue/orders.placed`); empty if the broker did not say. */
  readonly destination: string;
  /** Every header of the MESSAGE frame. */
  readonly headers: Readonly<StompHeaders>;
  /** The raw body; the handler's `data` is its decoded form. */
  readonly body: Buffer;
  /** The broker delivered it before (its `redelivered` header is `true`). */
  readonly redelivered: boolean;
}

/** What the server gives each context: the MESSAGE frame, the pattern, how to settle it, whether acks are manual, and a transactional handler's transaction. */
type ActiveMQContextArgs = [message: StompFrame, pattern: string, settlement: MessageSettlement, manualAck: boolean, transaction?: ActiveMQTransaction];

/** `@Ctx() ctx: ActiveMQContext` in an ActiveMQ handler. */
export class ActiveMQContext extends BaseRpcContext<ActiveMQContextArgs> {
  /** The received message: id, destination, headers, raw body and whether it is redelivered. */
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

  /** Every header of the MESSAGE frame. */
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

  /**
   * The message's group (`JMSXGroupID`, Artemis' `_AMQ_GROUP_ID`), if it has one: the server runs
   * one group's messages one at a time, in order.
   */
  getGroup(): string | undefined {
    return groupOf(this.args[0].headers);
  }

  /** True when the broker delivered the message before (a NACK, or a consumer that left without acking). */
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

  /** The handler runs in a broker transaction with its input (`{ transactional: true }`). */
  isTransactional(): boolean {
    return this.args[4] !== undefined;
  }

  /**
   * Sends `data` to the destination of `pattern` (a payload or an `ActiveMQRecord`) in the
   * handler's transaction, on the server's connection: it is published when the handler's input is
   * acknowledged at COMMIT, and never if the handler fails. Resolves once written. Only in a
   * transactional handler (`{ transactional: true }`); a `ClientActiveMQ` of the same broker called
   * while the handler runs joins the transaction too.
   */
  emit(pattern: string, data: unknown): Promise<void> {
    const transaction = this.args[4];
    if (!transaction) {
      return Promise.reject(
        new Error(`ctx.emit() sends in the handler's transaction: it needs { transactional: true } on @Pattern('${this.args[1]}'); elsewhere, send with a ClientActiveMQ`),
      );
    }
    return transaction.emit(pattern, data);
  }

  private requireManual(what: string): void {
    if (!this.args[3]) {
      throw new Error(`ctx.${what}() needs ackMode 'manual'; in 'auto-after-handler' mode the server settles each message after its handler`);
    }
  }
}
