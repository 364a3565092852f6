import type { Writable } from 'node:stream';
import { HEARTBEAT_EOL } from './encoder.js';

/** How a {@link FrameWriter} judges and reports its stream's backlog. */
export interface FrameWriterOptions {
  /**
   * Bytes buffered in the stream from which {@link FrameWriter.backedUp} is true; never below the
   * stream's high-water mark, so that `drain` is sure to come once it is. Default: the high-water mark.
   */
  readonly backedUpAt?: number;
  /** The error {@link FrameWriter.whenDrained} rejects with when the stream closes first. */
  readonly closedError?: () => Error;
}

/** Told of every frame written (the heart-beat ticker, so that it beats only after a silence). */
export interface WriteActivity {
  wrote(): void;
}

/**
 * Writes encoded frames to a connection's stream. The first write of an event-loop turn corks the
 * stream until `setImmediate`, which runs right after this turn's I/O callbacks, so a burst
 * (work scheduled with `process.nextTick` or promises included) goes out in one `writev` instead
 * of one syscall per frame. Each write is reported to {@link activity}; heart-beat EOLs are not
 * (the ticker counts the beats it asks for).
 */
export class FrameWriter {
  /** Told of each frame written; set once heart-beats start. */
  activity: WriteActivity | undefined;
  private corked = false;
  private batches = 0;
  private readonly backedUpAt: number;
  private drainWaiter: Promise<void> | undefined;

  constructor(
    private readonly stream: Writable,
    private readonly options: FrameWriterOptions = {},
  ) {
    this.backedUpAt = Math.max(options.backedUpAt ?? 0, stream.writableHighWaterMark);
  }

  /**
   * Writes one encoded frame; returns what `stream.write` returns (false: the buffer is past its
   * high-water mark, wait for `drain`). `written` is called as `stream.write` calls its callback.
   */
  write(bytes: Buffer, written?: (error?: Error | null) => void): boolean {
    if (!this.corked) this.cork();
    this.activity?.wrote();
    return this.stream.write(bytes, written);
  }

  /** Writes a heart-beat EOL (STOMP 1.2 "Heart-beating"), unless the stream can take no more. */
  writeHeartbeat(): void {
    if (!this.stream.writable) return;
    if (!this.corked) this.cork();
    this.stream.write(HEARTBEAT_EOL);
  }

  /** Write batches so far: each turn of the event loop that wrote anything is one. */
  get writeBatches(): number {
    return this.batches;
  }

  /** Bytes written but not yet taken by the stream's destination. */
  get bufferedBytes(): number {
    return this.stream.writableLength;
  }

  /** True while the stream holds at least `backedUpAt` bytes: the writer of optional output should hold off until `drain`. */
  get backedUp(): boolean {
    return this.stream.writableLength >= this.backedUpAt;
  }

  /**
   * Resolves on the stream's next `drain`; rejects with `closedError` if it closes first. Callers
   * waiting at the same time share one promise (and one pair of listeners).
   */
  whenDrained(): Promise<void> {
    if (this.drainWaiter) return this.drainWaiter;
    if (this.stream.closed) return Promise.reject(this.closedError());
    this.drainWaiter = new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        this.stream.off('close', onClose);
        this.drainWaiter = undefined;
        resolve();
      };
      const onClose = () => {
        this.stream.off('drain', onDrain);
        this.drainWaiter = undefined;
        reject(this.closedError());
      };
      this.stream.once('drain', onDrain);
      this.stream.once('close', onClose);
    });
    return this.drainWaiter;
  }

  private cork(): void {
    this.corked = true;
    this.stream.cork();
    setImmediate(this.uncork);
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.batches++;
    this.stream.uncork();
  };

  private closedError(): Error {
    return this.options.closedError?.() ?? new Error('the stream closed before it drained');
  }
}
