import { expect, jest } from '@jest/globals';

/**
 * With fake timers: for each `[wait, attempts]`, no new attempt 1 ms before `wait` has passed,
 * and `attempts` in all once it has (`tried` records each attempt).
 */
export async function expectAttemptsAfter(tried: readonly unknown[], steps: ReadonlyArray<readonly [number, number]>): Promise<void> {
  for (const [wait, attempts] of steps) {
    await jest.advanceTimersByTimeAsync(wait - 1);
    expect(tried).toHaveLength(attempts - 1);
    await jest.advanceTimersByTimeAsync(1);
    expect(tried).toHaveLength(attempts);
  }
}
