/**
 * `work`, or what `onTimeout` says after `ms` milliseconds, whichever comes first; the timer is
 * cleared either way, so that no timer outlives the race. `onTimeout` returns the value to settle
 * with, or throws to reject.
 */
export async function withTimeout<T, U = never>(work: Promise<T>, ms: number, onTimeout: () => U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<U>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(onTimeout());
      } catch (error) {
        reject(error);
      }
    }, ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
