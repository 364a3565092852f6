/**
 * Runs at most `limit` tasks at once; the rest wait in arrival order. `stop()` drops what waits
 * (those messages are unacknowledged, so the broker redelivers them) and `idle()` resolves once
 * the tasks in flight are done.
 */
export class ConcurrencyGate {
  private inFlight = 0;
  private readonly waiting: Array<() => Promise<void>> = [];
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(readonly limit: number) {}

  get running(): number {
    return this.inFlight;
  }

  run(task: () => Promise<void>): void {
    if (this.stopped) return;
    if (this.inFlight < this.limit) this.start(task);
    else this.waiting.push(task);
  }

  stop(): void {
    this.stopped = true;
    this.waiting.length = 0;
  }

  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private start(task: () => Promise<void>): void {
    this.inFlight++;
    task()
      .catch(() => {})
      .finally(() => {
        this.inFlight--;
        const next = this.waiting.shift();
        if (next && !this.stopped) this.start(next);
        else if (this.inFlight === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          waiters.forEach((resolve) => resolve());
        }
      });
  }
}
