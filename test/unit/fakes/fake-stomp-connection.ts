import type { DestinationRouting, StompConnection } from '../../../lib/connection/stomp-connection.js';
import { StompBrokerError, StompConnectionClosedError, StompTimeoutError, type StompError } from '../../../lib/stomp/errors.js';
import type { StompClientCommand, StompFrame, StompHeaders } from '../../../lib/stomp/frame.js';

/** A frame the code under test wrote, its headers copied when it was written. */
export interface WrittenFrame {
  readonly command: StompClientCommand;
  readonly headers: StompHeaders;
  readonly body: Buffer | string | undefined;
}

interface PendingReceipt {
  readonly command: StompClientCommand;
  readonly resolve: (frame: StompFrame) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The part of a {@link StompConnection} that producers and consumers call, in memory: every frame
 * is recorded, and the test gives (or refuses, or loses) the receipts. Its methods keep the real
 * connection's contract: `writeFrame` resolves once written and rejects on a closed connection,
 * `request` adds a `receipt` header and rejects with a `StompTimeoutError` after `timeout` ms,
 * `begin` is a plain frame and `commit`/`abort` are requests.
 */
export class FakeStompConnection {
  readonly broker: string;
  readonly frames: WrittenFrame[] = [];
  private readonly pending = new Map<string, PendingReceipt>();
  private nextReceipt = 0;
  private reason: StompError | undefined;
  /**
   * When set, a frame for which it returns an error is not written: `writeFrame` or `request`
   * rejects with that error (as for a frame past the broker's limits), the connection staying open.
   */
  refuseWrite: ((frame: WrittenFrame) => Error | undefined) | undefined;

  /** The broker's dialect, as the client sets it on the connection once CONNECTED named the broker. */
  routing: DestinationRouting | undefined;

  constructor(broker = 'fake-broker:61613') {
    this.broker = broker;
  }

  /** This fake, typed as the connection the code under test takes. */
  get connection(): StompConnection {
    return this as unknown as StompConnection;
  }

  get isClosed(): boolean {
    return this.reason !== undefined;
  }

  get closeReason(): StompError | undefined {
    return this.reason;
  }

  /** The commands written so far, in order. */
  get commands(): string[] {
    return this.frames.map((f) => f.command);
  }

  /** The frames of one command, in order. */
  framesOf(command: StompClientCommand): WrittenFrame[] {
    return this.frames.filter((f) => f.command === command);
  }

  /** The receipt ids still waiting for an answer, oldest first. */
  get pendingReceipts(): string[] {
    return [...this.pending.keys()];
  }

  writeFrame(command: StompClientCommand, headers: StompHeaders = {}, body?: Buffer | string): Promise<void> {
    if (this.reason) return Promise.reject(this.reason);
    const frame: WrittenFrame = { command, headers: { ...headers }, body };
    const refusal = this.refuseWrite?.(frame);
    if (refusal) return Promise.reject(refusal);
    this.frames.push(frame);
    return Promise.resolve();
  }

  request(command: StompClientCommand, headers: StompHeaders, body?: Buffer | string, timeout?: number): Promise<StompFrame> {
    if (this.reason) return Promise.reject(this.reason);
    const frame: WrittenFrame = { command, headers: { ...headers, receipt: String(this.nextReceipt + 1) }, body };
    const refusal = this.refuseWrite?.(frame);
    if (refusal) return Promise.reject(refusal);
    const receipt = String(++this.nextReceipt);
    this.frames.push(frame);
    return new Promise<StompFrame>((resolve, reject) => {
      const pending: PendingReceipt = { command, resolve, reject, timer: undefined };
      if (timeout !== undefined && timeout > 0) {
        pending.timer = setTimeout(() => {
          this.pending.delete(receipt);
          reject(new StompTimeoutError(`${command} to ${this.broker} got no receipt within ${timeout} ms; its outcome is in doubt`));
        }, timeout);
      }
      this.pending.set(receipt, pending);
    });
  }

  begin(transaction: string): Promise<void> {
    return this.writeFrame('BEGIN', { transaction });
  }

  commit(transaction: string, timeout?: number): Promise<void> {
    return this.request('COMMIT', { transaction }, undefined, timeout).then(() => undefined);
  }

  abort(transaction: string, timeout?: number): Promise<void> {
    return this.request('ABORT', { transaction }, undefined, timeout).then(() => undefined);
  }

  /** ACK of a MESSAGE by its `ack` header, in `transaction` if given; without a receipt. */
  ack(message: StompFrame, options: { transaction?: string } = {}): Promise<void> {
    return this.writeFrame('ACK', { id: message.headers['ack'] ?? '', ...(options.transaction === undefined ? {} : { transaction: options.transaction }) });
  }

  /** NACK, as {@link ack}. */
  nack(message: StompFrame, options: { transaction?: string } = {}): Promise<void> {
    return this.writeFrame('NACK', { id: message.headers['ack'] ?? '', ...(options.transaction === undefined ? {} : { transaction: options.transaction }) });
  }

  /** Answers the request with `receiptId` (default: the oldest waiting) with a RECEIPT. */
  receipt(receiptId = this.oldest()): void {
    const pending = this.take(receiptId);
    pending.resolve({ command: 'RECEIPT', headers: { 'receipt-id': receiptId }, body: Buffer.alloc(0) });
  }

  /** Answers every waiting request with a RECEIPT, oldest first. */
  receiptAll(): void {
    for (const receiptId of this.pendingReceipts) this.receipt(receiptId);
  }

  /** Answers the request with `receiptId` (default: the oldest waiting) with an ERROR naming its receipt. */
  refuse(message: string, receiptId = this.oldest()): StompBrokerError {
    const pending = this.take(receiptId);
    const error = new StompBrokerError({ message, 'receipt-id': receiptId }, Buffer.from('details'), this.broker);
    pending.reject(error);
    return error;
  }

  /** The connection ends: what waits for a receipt fails with `reason`, and so does every later write. */
  lose(reason: StompError = new StompConnectionClosedError(`the connection to ${this.broker} was lost`)): StompError {
    this.reason = reason;
    for (const [receiptId, pending] of [...this.pending]) {
      this.take(receiptId);
      pending.reject(reason);
    }
    return reason;
  }

  private oldest(): string {
    const first = this.pendingReceipts[0];
    if (first === undefined) throw new Error('no request waits for a receipt');
    return first;
  }

  private take(receiptId: string): PendingReceipt {
    const pending = this.pending.get(receiptId);
    if (!pending) throw new Error(`no request waits for receipt ${receiptId}`);
    this.pending.delete(receiptId);
    clearTimeout(pending.timer);
    return pending;
  }
}
