import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { withTimeout } from '../../../lib/internal/with-timeout.js';

beforeEach(() => {
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('withTimeout', () => {
  it('resolves with the work when it finishes in time, and clears its timer', async () => {
    const work = deferred<string>();
    const onTimeout = jest.fn(() => 'late');
    const raced = withTimeout(work.promise, 1000, onTimeout);
    expect(jest.getTimerCount()).toBe(1);
    work.resolve('done');
    await expect(raced).resolves.toBe('done');
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(5000);
    expect(onTimeout).not.toHaveBeenCalled();
  });

  it('rejects with the work’s error when it fails in time, and clears its timer', async () => {
    const work = deferred<string>();
    const raced = withTimeout(work.promise, 1000, () => 'late');
    const failure = new Error('work failed');
    work.reject(failure);
    await expect(raced).rejects.toBe(failure);
    expect(jest.getTimerCount()).toBe(0);
  });

  it("settles with onTimeout's value after ms, not before", async () => {
    const work = deferred<string>();
    let settled: unknown = 'pending';
    const raced = withTimeout(work.promise, 1000, () => 'timed out').then((value) => (settled = value));
    await jest.advanceTimersByTimeAsync(999);
    expect(settled).toBe('pending');
    await jest.advanceTimersByTimeAsync(1);
    await raced;
    expect(settled).toBe('timed out');
    work.resolve('too late');
  });

  it('rejects with what onTimeout throws', async () => {
    const timeout = new Error('no answer in 50 ms');
    const raced = withTimeout(new Promise<never>(() => {}), 50, () => {
      throw timeout;
    });
    const caught = raced.catch((error: unknown) => error);
    jest.advanceTimersByTime(50);
    expect(await caught).toBe(timeout);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('calls onTimeout only when the time is up, once', async () => {
    const onTimeout = jest.fn(() => undefined);
    const raced = withTimeout(new Promise<never>(() => {}), 10, onTimeout);
    expect(onTimeout).not.toHaveBeenCalled();
    jest.advanceTimersByTime(100);
    await raced;
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });
});
