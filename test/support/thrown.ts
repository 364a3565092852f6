/** What `fn` throws, for assertions on an error's class and fields; fails when it throws nothing. */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('no error was thrown');
}
