// support.ts: what the examples of docs/consumer-features/ share: waiting for messages, and running
// an example when it is the program node was started on.

/** Collects what a handler was given; `until(n)` resolves once it holds `n` items. */
export class Inbox<T> {
  readonly items: T[] = [];
  private readonly waiters: Array<{ n: number; resolve: (items: T[]) => void }> = [];

  push(item: T): void {
    this.items.push(item);
    for (const waiter of [...this.waiters]) {
      if (this.items.length < waiter.n) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(this.items);
    }
  }

  until(n: number): Promise<T[]> {
    if (this.items.length >= n) return Promise.resolve(this.items);
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

/**
 * Runs `main` when node was started on this example (`node dist/consumer-features/selectors.js`),
 * not when a test imports it: exit code 0 once it is done, 1 with the error if it failed.
 */
export function runWhenExecuted(name: string, main: () => Promise<unknown>): void {
  const started = process.argv[1] ?? '';
  if (!new RegExp(`consumer-features[\\\\/]${name}\\.[cm]?[jt]s$`).test(started)) return;
  // Node runs until main() is done, whatever main() waits on (its broker is in this process).
  const keepAlive = setInterval(() => undefined, 60_000);
  main().then(
    () => {
      clearInterval(keepAlive);
      process.exitCode = 0;
    },
    (error: unknown) => {
      clearInterval(keepAlive);
      console.error(error);
      process.exitCode = 1;
    },
  );
}
