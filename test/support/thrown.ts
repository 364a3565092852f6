/** What `fn` throws, for assertions on an error's class and fields; fails when it throws nothing. */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('no error was thrown');
}

/**
 * The rejection of `promise`, handled at once (with fake timers it may settle before it is
 * awaited); fails when it resolves.
 */
export function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('it resolved; a rejection was expected');
    },
    (error: unknown) => error as Error,
  );
}
