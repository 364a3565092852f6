/** A task of the gate; `release()` gives its place to the next task before it ends (see {@link ConcurrencyGate}). */
export type GateTask = (release: () => void) => Promise<void>;

/**
 * Runs at most `limit` tasks at once; the rest wait in arrival order. `stop()` drops what waits
 * (those messages are unacknowledged, so the broker redelivers them) and `idle()` resolves once
 * the tasks in flight are done. A task may give its place up before it ends (`release()`): a
 * transactional handler's does once its COMMIT is written, so that the next message's handler
 * starts while the receipt is on its way; `idle()` still waits for it to end.
 *
 * A pattern keeps one gate across reconnections: the handlers still running from a lost
 * connection count against the limit of the next one (`stop()`, then `reopen()`).
 */
export class ConcurrencyGate {
  private inFlight = 0;
  /** Tasks not yet ended, released ones included. */
  private unfinished = 0;
  private readonly waiting: GateTask[] = [];
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(readonly limit: number) {}

  get running(): number {
    return this.inFlight;
  }

  /** Starts `task` now (true), or queues it (false); a stopped gate drops it (false). */
  run(task: GateTask): boolean {
    if (this.stopped) return false;
    if (this.inFlight < this.limit) {
      this.start(task);
      return true;
    }
    this.waiting.push(task);
    return false;
  }

  /** Drops what waits and takes nothing more until `reopen()`; the tasks in flight go on. */
  stop(): void {
    this.stopped = true;
    this.waiting.length = 0;
  }

  /** Takes tasks again, still counting those in flight from before `stop()`. */
  reopen(): void {
    this.stopped = false;
  }

  idle(): Promise<void> {
    if (this.unfinished === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private start(task: GateTask): void {
    this.inFlight++;
    this.unfinished++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.inFlight--;
      const next = this.waiting.shift();
      if (next && !this.stopped) this.start(next);
    };
    task(release)
      .catch(() => {})
      .finally(() => {
        release();
        if (--this.unfinished === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          waiters.forEach((resolve) => resolve());
        }
      });
  }
}
