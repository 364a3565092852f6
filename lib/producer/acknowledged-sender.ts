import { randomUUID } from 'node:crypto';
import type { OutgoingMessage } from '../client/outgoing-message.js';
import type { StompConnection } from '../stomp/connection.js';
import { MESSAGE_ID_HEADER } from './acknowledgements.js';
import type { ConfirmationWindow, WindowEntry } from './confirmation-window.js';

/**
 * How windowed sends get their confirmations:
 * - `'transaction'` (default): sends are grouped into broker transactions, committed when the
 *   event loop turns or after `batchSize` messages; one COMMIT receipt confirms the group. On
 *   ActiveMQ Classic that is one fsync per group instead of one per message (semantics §7.1), and
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

/** Estimated bytes a message takes in the window: its body and headers, as Artemis counts a packet. */
export function windowBytes(message: OutgoingMessage): number {
  let bytes = typeof message.body === 'string' ? Buffer.byteLength(message.body) : message.body.length;
  for (const name in message.headers) bytes += name.length + message.headers[name]!.length + 2;
  return bytes + message.destination.length + 24;
}

/** Sends in the acknowledgement window (SendMode.AsyncAcknowledged). */
export class AcknowledgedSender {
  private batch: Batch | undefined;

  constructor(
    readonly window: ConfirmationWindow,
    private readonly strategy: ConfirmationStrategy,
    private readonly batchSize: number,
    private readonly callTimeout: number,
  ) {}

  /** Resolves once the message is admitted to the window and written; its confirmation comes later. */
  async send(connection: StompConnection, message: OutgoingMessage, startedAt: number): Promise<void> {
    const messageId = message.headers[MESSAGE_ID_HEADER] ?? randomUUID();
    const headers = { ...message.headers, [MESSAGE_ID_HEADER]: messageId };
    const sized = { ...message, headers };
    const bytes = windowBytes(sized);
    const admitted = this.window.admit(bytes);
    if (admitted) await admitted;
    const entry = this.window.track({ messageId, destination: message.destination, bytes, durable: message.durable, startedAt });
    if (this.strategy === 'receipt') {
      const confirmed = connection.send(message.destination, headers, message.body, { receipt: true, timeout: this.callTimeout });
      confirmed.then(
        () => this.window.confirm([entry]),
        (error: Error) => this.window.fail([entry], error),
      );
      return;
    }
    const batch = this.openBatch(connection);
    batch.entries.push(entry);
    try {
      await connection.send(message.destination, { ...headers, transaction: batch.transaction }, message.body);
    } finally {
      if (batch.entries.length >= this.batchSize) this.close(batch);
    }
  }

  /** Commits the open group now (for `flush()`). */
  closeOpenBatch(): void {
    if (this.batch) this.close(this.batch);
  }

  private openBatch(connection: StompConnection): Batch {
    if (this.batch && !this.batch.closed && this.batch.connection === connection) return this.batch;
    const batch: Batch = { connection, transaction: `ack-${randomUUID()}`, entries: [], closed: false };
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
      () => this.window.confirm(batch.entries),
      (error: Error) => this.window.fail(batch.entries, error),
    );
  }
}
