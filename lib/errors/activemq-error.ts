/**
 * The base of every error this package throws or reports: `name` is the class's name and `code` a
 * stable string to branch on (`error.code === 'SEND_IN_DOUBT'`), so that callers need neither
 * `instanceof` across package copies nor the message's wording.
 */
export class ActiveMQError extends Error {
  /** A stable identifier of the failure, e.g. `REQUEST_TIMEOUT`, or a network code such as `ECONNREFUSED`. */
  readonly code: string;

  /**
   * Builds the error; `name` is the class's name, and `code` is derived from it unless given.
   *
   * @param message What went wrong, and what to do about it.
   * @param options `cause`: the underlying error; `code`: a code other than the one the class's name gives.
   */
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options?.code ?? codeOf(new.target.name);
  }
}

/**
 * `SendInDoubtError` → `SEND_IN_DOUBT`; `ActiveMQRequestTimeoutError` → `REQUEST_TIMEOUT`; the
 * base classes themselves, `ActiveMQError` and `StompError`, → `ACTIVEMQ` and `STOMP`.
 */
function codeOf(name: string): string {
  const bare = name.replace(/Error$/, '');
  const unprefixed = bare.replace(/^ActiveMQ(?=[A-Z])|^Stomp(?=[A-Z])/, '');
  return unprefixed === 'ActiveMQ' ? 'ACTIVEMQ' : unprefixed.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/**
 * An option given in code, or an argument, that is out of range or of the wrong kind. The message
 * names the option and what it accepts; `option` is its name.
 */
export class InvalidOptionError extends ActiveMQError {
  /**
   * Names the option and says what it takes.
   *
   * @param option The option's (or argument's) name.
   * @param message What is wrong, with the value given.
   */
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}
