import type { StompConnection } from '../connection/stomp-connection.js';
import type { StompFrame } from '../stomp/frame.js';

export type SettlementOutcome = 'ack' | 'nack';

/**
 * Settles one received message exactly once: ACK (handled) or NACK (to redelivery, then the
 * DLQ, on ActiveMQ Classic; ActiveMQ's "Message Redelivery and DLQ Handling" docs), or on Artemis
 * the server's own redelivery. A second settlement is an error, not a second frame.
 */
export class MessageSettlement {
  private result: SettlementOutcome | undefined;

  constructor(
    private readonly connection: StompConnection,
    private readonly message: StompFrame,
    /** Wait for the broker's receipt of each ACK/NACK (`blockOnAcknowledge`), at most this long; 0 does not wait. */
    private readonly blockForMs = 0,
    /** How a rejection is made where NACK is not one (ActiveMQ Artemis: see `rejectByResend`); default NACK. */
    private readonly reject?: () => Promise<void>,
  ) {}

  /** How the message was settled, if it was. */
  get outcome(): SettlementOutcome | undefined {
    return this.result;
  }

  ack(): Promise<void> {
    return this.settle('ack');
  }

  nack(): Promise<void> {
    return this.settle('nack');
  }

  private settle(outcome: SettlementOutcome): Promise<void> {
    if (this.result) {
      return Promise.reject(new Error(`message ${this.message.headers['message-id'] ?? ''} was already ${this.result === 'ack' ? 'acknowledged' : 'rejected'}`));
    }
    this.result = outcome;
    if (outcome === 'nack' && this.reject) return this.reject();
    const options = this.blockForMs > 0 ? { receipt: true, timeout: this.blockForMs } : {};
    return outcome === 'ack' ? this.connection.ack(this.message, options) : this.connection.nack(this.message, options);
  }
}
