import { randomUUID } from 'node:crypto';
import type { StompConnection } from '../connection/stomp-connection.js';
import { StompBrokerError, StompTimeoutError } from '../stomp/errors.js';
import type { StompFrame } from '../stomp/frame.js';
import { MESSAGE_ID_HEADER } from '../wire/headers.js';
import type { OutgoingMessage } from './outgoing-message.js';
import { SendInDoubtError, TransactionError } from './errors.js';

type TransactionState = 'open' | 'committing' | 'committed' | 'aborted';

/**
 * One broker transaction on one connection: BEGIN, SENDs without receipts, then COMMIT with a
 * receipt (the only wait; one fsync on ActiveMQ Classic, measured in docs/benchmarks.md) or ABORT.
 */
export class ActiveMQTransaction {
  /** The STOMP `transaction` header of its frames: `tx-` and a random UUID. */
  readonly id = `tx-${randomUUID()}`;
  private state: TransactionState = 'open';
  private sends = 0;
  /** A transactional handler's: committed and aborted by the server only (see {@link seal}). */
  private sealed = false;
  /** Sends started and not yet written (see {@link track}), and the first that failed. */
  private readonly pending = new Set<Promise<unknown>>();
  private firstFailure: unknown;

  /**
   * A transaction on `connection`, not yet begun; {@link ActiveMQTransaction.begin} also sends BEGIN.
   *
   * @internal
   */
  constructor(
    private readonly connection: StompConnection,
    private readonly callTimeout: number,
    /** Sends a payload under this transaction, as the owning client builds it. */
    private readonly emitter: (transaction: ActiveMQTransaction, pattern: string, data: unknown) => Promise<void>,
    /**
     * A handler's transaction: each send's `nestjsMessageId` is this, a dot and the send's number
     * in the transaction, so that a handling run again after a lost commit sends the same ids (a
     * consumer's `dedupeWindow` drops the second copy). Otherwise the sender's own ids.
     */
    private readonly idBase?: string,
  ) {}

  /**
   * BEGIN.
   *
   * @internal
   */
  static async begin(connection: StompConnection, callTimeout: number, emitter: ActiveMQTransaction['emitter'], idBase?: string): Promise<ActiveMQTransaction> {
    const transaction = new ActiveMQTransaction(connection, callTimeout, emitter, idBase);
    await connection.begin(transaction.id);
    return transaction;
  }

  /** Sends in this transaction; resolves once written (nothing waits until the commit). */
  emit(pattern: string, data: unknown): Promise<void> {
    return this.track(this.emitter(this, pattern, data));
  }

  /**
   * A transactional handler's transaction: its `commit()` and `abort()` are the server's (it
   * commits when the handler succeeds; a handler aborts by throwing), so user code calling them
   * gets a `TransactionError`.
   *
   * @internal
   */
  seal(): void {
    this.sealed = true;
  }

  /**
   * A send into this transaction that was started and may not be written yet (a client's `emit()`
   * that the handler did not await): {@link sendsSettled} waits for it before the COMMIT, so that
   * no send is left out of the transaction, or fails it.
   *
   * @internal
   */
  track<T>(send: Promise<T>): Promise<T> {
    this.pending.add(send);
    send.then(
      () => this.pending.delete(send),
      (error: unknown) => {
        this.pending.delete(send);
        this.firstFailure ??= error;
      },
    );
    return send;
  }

  /**
   * Marks the transaction as one that must not commit: a `client.transaction()` or
   * `@Transactional()` call that joined it threw (its caller may have caught the error).
   *
   * @internal
   */
  markRollbackOnly(reason: unknown): void {
    this.firstFailure ??= reason;
  }

  /**
   * Waits for the sends still on their way; resolves with why the transaction must not commit (a
   * send failed, or a joined call threw), or undefined.
   *
   * @internal
   */
  async sendsSettled(): Promise<unknown> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    return this.firstFailure;
  }

  /** Messages sent so far. */
  get size(): number {
    return this.sends;
  }

  /** The broker of its connection (`host:port`): a client joins only a transaction on its own broker. */
  get broker(): string {
    return this.connection.broker;
  }

  /** Its connection is closed (the broker rolled back what was not committed). */
  get connectionClosed(): boolean {
    return this.connection.isClosed;
  }

  /** Still open: neither committing, committed nor aborted. */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  /**
   * ACK of a received message inside this transaction: the broker applies it at COMMIT, with the
   * sends, or forgets it at ABORT (ActiveMQ Classic and the embedded broker; Artemis applies a
   * STOMP ACK at once whatever its `transaction` header, its STOMP documentation says).
   *
   * @internal
   */
  acknowledge(message: StompFrame): Promise<void> {
    if (this.state !== 'open') return Promise.reject(new TransactionError(`transaction ${this.id} is ${this.state}; it cannot acknowledge`));
    return this.connection.ack(message, { transaction: this.id });
  }

  /**
   * Writes one message with this transaction's header (added to `message.headers`, which it owns).
   *
   * @internal
   */
  write(message: OutgoingMessage): Promise<void> {
    if (this.state !== 'open') {
      return Promise.reject(new TransactionError(`transaction ${this.id} is ${this.state}; no more sends`));
    }
    this.sends++;
    message.headers['transaction'] = this.id;
    if (this.idBase !== undefined) message.headers[MESSAGE_ID_HEADER] = `${this.idBase}.${this.sends}`;
    return this.connection.writeFrame('SEND', message.headers, message.body);
  }

  /**
   * COMMIT, waiting up to `callTimeout` ms for the broker's receipt. `client.transaction()` and
   * `@Transactional()` commit for you when the call resolves. Rejects with {@link TransactionError}
   * when the broker refuses (nothing was stored), the connection was lost before COMMIT, or the
   * transaction is no longer open, and with {@link SendInDoubtError} whenever the outcome is
   * unknown: no answer in time, or the connection lost after COMMIT was written.
   */
  async commit(): Promise<void> {
    if (this.sealed) throw new TransactionError(`transaction ${this.id} is a transactional handler's: the server commits it when the handler succeeds`);
    return this.commitNow();
  }

  /**
   * COMMIT of a transactional handler's transaction, by the server.
   *
   * @internal
   */
  async commitNow(): Promise<void> {
    this.close('committing');
    if (this.connection.isClosed) {
      // COMMIT was never written: the broker rolls back a lost connection's transactions.
      this.state = 'aborted';
      throw new TransactionError(`transaction ${this.id} (${this.sends} messages) lost its connection before COMMIT; nothing of it was stored`, {
        cause: this.connection.closeReason,
      });
    }
    try {
      await this.connection.commit(this.id, this.callTimeout);
      this.state = 'committed';
    } catch (error) {
      this.state = 'aborted';
      // Only an ERROR that answers the COMMIT itself says it was refused. A timeout, a lost
      // connection or an ERROR about something else leave the outcome unknown: the broker may
      // have committed before the answer was lost, and a retry would store everything twice.
      if (error instanceof StompBrokerError && error.receiptId !== undefined) {
        throw new TransactionError(`COMMIT of ${this.id} (${this.sends} messages) was refused: ${error.message}; nothing of it was stored`, { cause: error });
      }
      const why = error instanceof StompTimeoutError ? `got no answer within ${this.callTimeout} ms` : `lost its answer (${(error as Error).message})`;
      throw new SendInDoubtError(`COMMIT of ${this.id} (${this.sends} messages) ${why}: in doubt, the broker may or may not have stored it`, { cause: error });
    }
  }

  /**
   * ABORT: the broker drops every send of the transaction. Does nothing unless the transaction is
   * open; on a connection already lost it only marks it aborted (the broker rolled it back).
   */
  async abort(): Promise<void> {
    if (this.sealed) throw new TransactionError(`transaction ${this.id} is a transactional handler's: throw from the handler to abort it`);
    return this.abortNow();
  }

  /**
   * ABORT of a transactional handler's transaction, by the server.
   *
   * @internal
   */
  async abortNow(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    if (this.connection.isClosed) return; // the broker rolls back a dropped connection's transactions
    await this.connection.abort(this.id, this.callTimeout);
  }

  private close(next: TransactionState): void {
    if (this.state !== 'open') throw new TransactionError(`transaction ${this.id} is already ${this.state}`);
    this.state = next;
  }
}
