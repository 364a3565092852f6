import { randomBytes } from 'node:crypto';
import type { OutgoingMessage } from './outgoing-message.js';
import type { StompConnection } from '../connection/stomp-connection.js';
import { StompBrokerError } from '../stomp/errors.js';
import type { MessageIds } from '../wire/headers.js';
import { SendInDoubtError } from './errors.js';
import type { ConfirmationWindow, WindowEntry } from './confirmation-window.js';
import { messageBytes } from '../stomp/frame.js';
import { BrokerDialect } from '../wire/broker-dialect.js';

/**
 * How windowed sends get their confirmations:
 * - `'transaction'` (default): sends are grouped into broker transactions, committed when the
 *   event loop turns or after `batchSize` messages; one COMMIT receipt confirms the group. On
 *   ActiveMQ Classic that is one fsync per group instead of one per message (measured: docs/benchmarks.md), and
 *   a message is confirmed only once its transaction is committed, hence durable.
 * - `'receipt'`: every send carries its own receipt (one fsync each on Classic).
 */
export type ConfirmationStrategy = 'transaction' | 'receipt';

interface Batch {
  readonly connection: StompConnection;
  readonly transaction: string;
  readonly entries: WindowEntry[];
  closed: boolean;
}

/** An unconfirmed send: what to write again if its connection is lost, and where it was last written. */
interface Unconfirmed {
  readonly entry: WindowEntry;
  readonly message: OutgoingMessage;
  connection: StompConnection;
  /** Connections the broker ended with an ERROR naming no receipt while this send was on them. */
  refusals: number;
}

/**
 * A send is written again after a connection the broker ended with an unmatched ERROR only once:
 * the broker does not say which frame it refused, and one that is refused for what it is would
 * otherwise be re-sent, refused and re-sent for ever.
 */
const MAX_REFUSALS = 2;

/**
 * True when `error` ended a request because its connection was lost (so the frame may be written
 * again), false when the broker answered this very request with an ERROR (its receipt named):
 * that send was refused, and a re-send would be refused too.
 */
export function isConnectionLoss(error: unknown): boolean {
  return !(error instanceof StompBrokerError && error.receiptId !== undefined);
}

/** Estimated bytes a message takes in the window: its body and headers, as Artemis counts a packet. */
export function windowBytes(message: OutgoingMessage): number {
  return messageBytes(message.headers, message.body) + 24;
}

/** Sends in the acknowledgement window (SendMode.AsyncAcknowledged). */
export class AcknowledgedSender {
  private batch: Batch | undefined;
  /**
   * Window transactions are named `ack-<random>-<n>`: STOMP 1.2 needs a transaction's name unique on
   * its connection only, and every SEND of a group carries it, so it is kept short (ActiveMQ Classic
   * reads each header byte one at a time, see {@link MessageIds}).
   */
  private readonly batchPrefix = `ack-${randomBytes(6).toString('base64url')}-`;
  private batches = 0;
  /** Sends not yet confirmed or failed, in send order. */
  private readonly unconfirmed = new Map<number, Unconfirmed>();
  /** The connection of the last `resend`: where a send that finds its own connection dead goes. */
  private current: StompConnection | undefined;

  constructor(
    readonly window: ConfirmationWindow,
    private readonly strategy: ConfirmationStrategy,
    private readonly batchSize: number,
    private readonly callTimeout: number,
    /**
     * True when lost connections are re-established: a send whose connection ends before its
     * confirmation is then kept and written again (`resend`), not failed.
     */
    private readonly resendOnReconnect: boolean,
    /** The client's message ids (shared with its blocking sends). */
    private readonly ids: MessageIds,
  ) {}

  /**
   * Resolves once the message is admitted to the window and written; its confirmation comes later.
   * Adds the message id (and the group's transaction) to `message.headers`, which it owns.
   */
  async send(connection: StompConnection, message: OutgoingMessage, startedAt: number): Promise<void> {
    const headers = message.headers;
    const messageId = this.ids.stamp(headers);
    const bytes = windowBytes(message);
    const admitted = this.window.admit(bytes);
    if (admitted) await admitted;
    const entry = this.window.track(messageId, message.destination, bytes, message.durable, startedAt);
    const unconfirmed: Unconfirmed = { entry, message, connection, refusals: 0 };
    this.unconfirmed.set(entry.seq, unconfirmed);
    try {
      await this.write(unconfirmed);
    } catch (error) {
      if (!(this.resendOnReconnect && connection.isClosed)) {
        // Refused before it was written (a frame past the broker's limits): it fails alone.
        this.unconfirmed.delete(entry.seq);
        this.window.fail([entry], error as Error);
        throw error;
      }
      // Admitted and tracked, but its connection died under it.
      await this.rehome(unconfirmed, connection);
    }
  }

  /**
   * A send whose connection `lost` died before it was confirmed: if `resend` already ran for a
   * new connection without taking it, it is written there now; otherwise the coming `resend` will.
   */
  private async rehome(unconfirmed: Unconfirmed, lost: StompConnection): Promise<void> {
    const current = this.current;
    if (unconfirmed.connection !== lost || !current || current === lost || current.isClosed) return;
    unconfirmed.connection = current;
    delete unconfirmed.message.headers['transaction'];
    await this.write(unconfirmed, this.ids.duplicateDetection).catch(() => undefined);
  }

  /**
   * Writes again, in send order and with their ids, the sends whose connection was lost before
   * they were confirmed (as ActiveMQ's failover transport does with `trackMessages`): a consumer can drop duplicates by id.
   */
  async resend(connection: StompConnection): Promise<number> {
    this.current = connection;
    let count = 0;
    const refused: WindowEntry[] = [];
    let reason: StompBrokerError | undefined;
    for (const unconfirmed of this.unconfirmed.values()) {
      if (unconfirmed.connection === connection || unconfirmed.entry.outcome) continue;
      const lost = unconfirmed.connection.closeReason;
      if (lost instanceof StompBrokerError && ++unconfirmed.refusals >= MAX_REFUSALS) {
        refused.push(unconfirmed.entry);
        this.unconfirmed.delete(unconfirmed.entry.seq);
        reason = lost;
        continue;
      }
      unconfirmed.connection = connection;
      delete unconfirmed.message.headers['transaction'];
      // With duplicate detection a re-send may be a duplicate, which Artemis drops alone outside a
      // transaction but which makes a whole transaction fail ("Duplicate Message Detection"): each
      // re-send then goes alone, with its own receipt.
      await this.write(unconfirmed, this.ids.duplicateDetection).catch(() => undefined); // a failure here is settled through its batch
      count++;
    }
    if (reason) {
      this.window.fail(
        refused,
        new SendInDoubtError(
          `the broker ended the connection with an ERROR (${reason.brokerMessage}) ${MAX_REFUSALS} times while this send was unconfirmed: not written again; it may or may not have been stored`,
          { cause: reason },
        ),
      );
    }
    this.closeOpenBatch();
    return count;
  }

  /** Fails every unconfirmed send (the connection is lost for good). */
  failAll(error: Error): void {
    const entries = [...this.unconfirmed.values()].map((u) => u.entry);
    this.unconfirmed.clear();
    this.window.fail(entries, error);
  }

  /**
   * Artemis answers a COMMIT with a RECEIPT even when it refused one of the transaction's SENDs
   * (that refusal is an ERROR naming no receipt, which can come after the RECEIPT), and commits
   * the rest: there a COMMIT's receipt does not prove that each send was stored (measured on
   * 2.40.0). So on Artemis each windowed send carries its own receipt, and a refusal names the
   * send it refuses; the client refuses `confirmationStrategy: 'transaction'` there.
   */
  private strategyOn(connection: StompConnection): ConfirmationStrategy {
    // The dialect the client set on the connection when it met the broker: no parsing per send.
    return connection.routing instanceof BrokerDialect && connection.routing.routesByType ? 'receipt' : this.strategy;
  }

  private async write(unconfirmed: Unconfirmed, alone = false): Promise<void> {
    const { entry, message, connection } = unconfirmed;
    if (this.strategyOn(connection) === 'receipt' || alone) {
      connection.request('SEND', message.headers, message.body, this.callTimeout).then(
        () => this.settle([entry], undefined),
        (error: Error) => this.settle([entry], error, connection),
      );
      return;
    }
    const batch = this.openBatch(connection);
    batch.entries.push(entry);
    message.headers['transaction'] = batch.transaction;
    try {
      await connection.writeFrame('SEND', message.headers, message.body);
    } finally {
      if (batch.entries.length >= this.batchSize) this.close(batch);
    }
  }

  /**
   * Confirms or fails `entries`. A failure because `connection` ended (rather than the broker
   * refusing the send) leaves them for `resend` when lost connections are re-established.
   */
  private settle(entries: readonly WindowEntry[], error: Error | undefined, connection?: StompConnection): void {
    if (error && this.resendOnReconnect && connection?.isClosed && isConnectionLoss(error)) {
      // Kept for a re-send; one lost after `resend` ran (a receipt that never came) is written again now.
      for (const entry of entries) {
        const unconfirmed = this.unconfirmed.get(entry.seq);
        if (unconfirmed) void this.rehome(unconfirmed, connection);
      }
      return;
    }
    for (const entry of entries) this.unconfirmed.delete(entry.seq);
    if (error) this.window.fail(entries, error);
    else this.window.confirm(entries);
  }

  /** Commits the open group now (for `flush()`). */
  closeOpenBatch(): void {
    if (this.batch) this.close(this.batch);
  }

  private openBatch(connection: StompConnection): Batch {
    if (this.batch && !this.batch.closed && this.batch.connection === connection) return this.batch;
    const batch: Batch = { connection, transaction: `${this.batchPrefix}${++this.batches}`, entries: [], closed: false };
    this.batch = batch;
    void connection.begin(batch.transaction).catch(() => undefined); // a failure shows at COMMIT
    // Committed when the event loop turns: whatever is written in this turn shares one fsync, and a
    // sender waiting for room always has a commit coming that frees it.
    setImmediate(() => this.close(batch));
    return batch;
  }

  private close(batch: Batch): void {
    if (batch.closed) return;
    batch.closed = true;
    if (this.batch === batch) this.batch = undefined;
    batch.connection.commit(batch.transaction, this.callTimeout).then(
      () => this.settle(batch.entries, undefined),
      (error: Error) => this.settle(batch.entries, error, batch.connection),
    );
  }
}
