/** A connection URI or one of its parameters is wrong. Raised at start-up; nothing is connected. */
export class ActiveMQUriError extends Error {
  /**
   * Names the error after its class (`error.name`).
   *
   * @param message What is wrong, naming the URI part or parameter.
   */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The URI cannot be read (scheme, host, port, brackets). */
export class InvalidUriError extends ActiveMQUriError {}

/** A parameter this library does not know. */
export class UnknownUriParameterError extends ActiveMQUriError {
  /**
   * Builds the message from the name, the suggestion and the known names.
   *
   * @param parameter The unknown name, as written.
   * @param suggestion The nearest known name, if one is close enough.
   * @param known Every accepted name.
   */
  constructor(
    readonly parameter: string,
    readonly suggestion: string | undefined,
    readonly known: readonly string[],
  ) {
    super(`'${parameter}' is not a known parameter` + (suggestion ? `; did you mean '${suggestion}'?` : '.') + ` Known parameters: ${known.join(', ')}`);
  }
}

/** A known parameter with a value of the wrong type or out of range. */
export class InvalidUriParameterError extends ActiveMQUriError {
  /**
   * Builds the message from the name and what was expected, unless `message` is given.
   *
   * @param parameter The parameter's name.
   * @param expected What the value should be, e.g. `an integer >= 0`.
   * @param message Replaces the default message built from the two.
   */
  constructor(
    readonly parameter: string,
    readonly expected: string,
    message?: string,
  ) {
    super(message ?? `parameter '${parameter}' must be ${expected}`);
  }
}
