import type { StompFrame } from '../stomp/frame.js';
import type { ActiveMQTransaction } from '../producer/transaction.js';
import { SendInDoubtError } from '../producer/errors.js';
import type { MessageSettlement, SettlementOutcome } from './settlement.js';

/** What the server counts of its handlers' transactions (`metrics().transactions`). */
export class TransactionCounters {
  committed = 0;
  aborted = 0;
  /** COMMITs refused by the broker, or written on a connection that was lost before it: nothing of them was stored. */
  failed = 0;
  /** COMMITs whose answer never came (no receipt in time, or the connection lost after COMMIT): the broker may or may not have committed. */
  inDoubt = 0;
  private latencySum = 0;
  private latencyMax = 0;

  /** A COMMIT the broker confirmed, `ms` after the ACK was written. */
  commit(ms: number): void {
    this.committed++;
    this.latencySum += ms;
    if (ms > this.latencyMax) this.latencyMax = ms;
  }

  snapshot(): {
    readonly committed: number;
    readonly aborted: number;
    readonly failed: number;
    readonly inDoubt: number;
    readonly commitLatencyMs: { readonly mean: number; readonly max: number };
  } {
    const mean = this.committed === 0 ? 0 : this.latencySum / this.committed;
    return { committed: this.committed, aborted: this.aborted, failed: this.failed, inDoubt: this.inDoubt, commitLatencyMs: { mean, max: this.latencyMax } };
  }
}

/**
 * How a transactional handler's input is settled (`{ transactional: true }`): success writes the
 * input's ACK into the handler's transaction and commits it, so that the ACK, every send the
 * handler made and its reply are applied together, or not at all; failure aborts it (the sends
 * vanish) and then rejects the input outside the transaction, as any failed handler's (a NACK
 * cannot be transacted on ActiveMQ Classic: "Poison ack cannot be transacted").
 *
 * Its outcome is `'ack'` only once the broker confirmed the COMMIT: a commit that failed or is in
 * doubt leaves the input to the broker, which redelivers it unless it committed.
 */
export class TransactionalSettlement {
  private result: SettlementOutcome | undefined;
  private settling = false;

  constructor(
    readonly transaction: ActiveMQTransaction,
    private readonly message: StompFrame,
    /** The settlement outside the transaction: rejections, and a drop (`onError: 'ack'`). */
    readonly plain: MessageSettlement,
    private readonly counters: TransactionCounters,
    /**
     * Called once COMMIT is written: the handler's concurrency place goes to the next message
     * while the receipt is on its way (the server's `idle()` still waits for the receipt), so that
     * a broker that dispatches the next message as it commits finds a handler ready for it.
     */
    private readonly committing?: () => void,
    /** The broker gives the input back to its queue itself when it refuses the COMMIT (the embedded broker); ActiveMQ Classic leaves it with the connection, to be rejected. */
    readonly brokerGivesBack = false,
  ) {}

  get outcome(): SettlementOutcome | undefined {
    return this.result;
  }

  /** ACK in the transaction, then COMMIT, waiting for its receipt. Rejects as `ActiveMQTransaction.commit()` does. */
  async ack(): Promise<void> {
    this.claim();
    const started = performance.now();
    try {
      await this.transaction.acknowledge(this.message);
      const committed = this.transaction.commitNow();
      this.committing?.();
      await committed;
    } catch (error) {
      if (error instanceof SendInDoubtError) this.counters.inDoubt++;
      else this.counters.failed++;
      throw error;
    }
    this.counters.commit(performance.now() - started);
    this.result = 'ack';
  }

  /** ABORT, then the input's rejection outside the transaction. */
  async nack(): Promise<void> {
    this.claim();
    await this.abort();
    await this.plain.nack();
    this.result = 'nack';
  }

  /** ABORT, if the transaction is still open: its sends are dropped by the broker. Never rejects (a lost connection rolled it back already). */
  async abort(): Promise<void> {
    if (!this.transaction.isOpen) return;
    this.counters.aborted++;
    await this.transaction.abortNow().catch(() => undefined);
  }

  private claim(): void {
    if (this.settling) throw new Error(`message ${this.message.headers['message-id'] ?? ''} was already settled`);
    this.settling = true;
  }
}
