import { MessageTooLargeForWindowError } from './errors.js';
import type { SendOutcome } from './acknowledgements.js';
import { check } from '../internal/validation.js';

/** What the window knows of one unconfirmed send. */
export interface WindowEntry {
  /** Position in send order, from 0. */
  readonly seq: number;
  /** The `nestjsMessageId` header the message carries. */
  readonly messageId: string;
  /** The destination it was sent to. */
  readonly destination: string;
  /** Bytes it holds in the window. */
  readonly bytes: number;
  /** It was sent persistent. */
  readonly durable: boolean;
  /** `performance.now()` when `emit()` was called. */
  readonly startedAt: number;
  /** Set once it is confirmed or failed; reported when every earlier send is too. */
  outcome: SendOutcome | undefined;
}

/**
 * Byte accounting of asynchronous sends awaiting confirmation (Artemis' `confirmationWindowSize`,
 * Artemis' `confirmationWindowSize`, "Guarantees of sends and commits"). Pure bookkeeping, no I/O:
 * - `admit(bytes)` reserves room, waiting (first come, first served) while the window is full;
 * - `confirm` / `fail` settle entries; room is freed at once, but outcomes are reported in send
 *   order and exactly once each, however the confirmations arrive;
 * - `whenEmpty()` resolves when nothing is unconfirmed.
 */
export class ConfirmationWindow {
  private readonly entries = new Map<number, WindowEntry>();
  private readonly waiters: Array<{ bytes: number; resolve: () => void }> = [];
  private emptyWaiters: Array<() => void> = [];
  private reservedBytes = 0;
  private highWater = 0;
  private nextSeq = 0;

  /**
   * An empty window. Throws a `RangeError` unless `capacityBytes` is a positive whole number.
   *
   * @param capacityBytes Most bytes unconfirmed at once (`confirmationWindowSize`).
   * @param report Called once per send with its outcome, in send order.
   */
  constructor(
    readonly capacityBytes: number,
    private readonly report: (outcome: SendOutcome) => void,
  ) {
    check.wholeNumber('confirmationWindowSize', capacityBytes, { unit: 'bytes' });
  }

  /** Bytes admitted and not yet confirmed or failed. */
  get outstandingBytes(): number {
    return this.reservedBytes;
  }

  /** The most bytes ever outstanding at once. */
  get peakBytes(): number {
    return this.highWater;
  }

  /** Sends tracked and not yet reported. */
  get outstandingCount(): number {
    return this.entries.size;
  }

  /**
   * Reserves `bytes`. Returns undefined when they fit now, or a promise that resolves once they
   * do. Throws {@link MessageTooLargeForWindowError} for a message that could never fit.
   */
  admit(bytes: number): Promise<void> | undefined {
    if (bytes > this.capacityBytes) throw new MessageTooLargeForWindowError(bytes, this.capacityBytes);
    if (this.waiters.length === 0 && this.reservedBytes + bytes <= this.capacityBytes) {
      this.reserve(bytes);
      return undefined;
    }
    return new Promise((resolve) => this.waiters.push({ bytes, resolve }));
  }

  /** Starts tracking a send whose bytes were admitted. */
  track(messageId: string, destination: string, bytes: number, durable: boolean, startedAt: number): WindowEntry {
    const entry: WindowEntry = { seq: this.nextSeq++, messageId, destination, bytes, durable, startedAt, outcome: undefined };
    this.entries.set(entry.seq, entry);
    return entry;
  }

  /** Settles `entries` as confirmed, frees their bytes and reports what is now reportable in order. Entries already settled are ignored. */
  confirm(entries: readonly WindowEntry[]): void {
    const now = performance.now();
    for (const entry of entries) {
      this.settle(entry, { status: 'confirmed', ...describe(entry), latencyMs: now - entry.startedAt });
    }
    this.flushOutcomes();
  }

  /** Settles `entries` as failed with `error`, frees their bytes and reports what is now reportable in order. Entries already settled are ignored. */
  fail(entries: readonly WindowEntry[], error: Error): void {
    const now = performance.now();
    for (const entry of entries) {
      this.settle(entry, { status: 'failed', ...describe(entry), latencyMs: now - entry.startedAt, error });
    }
    this.flushOutcomes();
  }

  /** Resolves once every tracked send is confirmed or failed. */
  whenEmpty(): Promise<void> {
    if (this.isEmpty()) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }

  /** Nothing tracked, nothing admitted on its way to being tracked, nobody waiting for room. */
  private isEmpty(): boolean {
    return this.entries.size === 0 && this.reservedBytes === 0 && this.waiters.length === 0;
  }

  private reserve(bytes: number): void {
    this.reservedBytes += bytes;
    if (this.reservedBytes > this.highWater) this.highWater = this.reservedBytes;
  }

  private settle(entry: WindowEntry, outcome: SendOutcome): void {
    if (entry.outcome || !this.entries.has(entry.seq)) return; // exactly once
    entry.outcome = outcome;
    this.reservedBytes -= entry.bytes;
  }

  /** Reports settled entries from the oldest on, stopping at the first unsettled one; wakes waiters. */
  private flushOutcomes(): void {
    for (const [seq, entry] of this.entries) {
      if (!entry.outcome) break;
      this.entries.delete(seq);
      this.report(entry.outcome);
    }
    while (this.waiters.length > 0 && this.reservedBytes + this.waiters[0]!.bytes <= this.capacityBytes) {
      const waiter = this.waiters.shift()!;
      this.reserve(waiter.bytes);
      waiter.resolve();
    }
    if (this.emptyWaiters.length > 0 && this.isEmpty()) {
      const waiters = this.emptyWaiters;
      this.emptyWaiters = [];
      waiters.forEach((resolve) => resolve());
    }
  }
}

function describe(entry: WindowEntry) {
  return { messageId: entry.messageId, destination: entry.destination, bytes: entry.bytes, durable: entry.durable };
}
