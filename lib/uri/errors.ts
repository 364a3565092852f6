/** A connection URI or one of its parameters is wrong. Raised at start-up; nothing is connected. */
export class ActiveMQUriError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The URI cannot be read (scheme, host, port, brackets). */
export class InvalidUriError extends ActiveMQUriError {}

/** A parameter this library does not know. */
export class UnknownUriParameterError extends ActiveMQUriError {
  constructor(
    readonly parameter: string,
    readonly suggestion: string | undefined,
    readonly known: readonly string[],
  ) {
    super(
      `'${parameter}' is not a known parameter` +
        (suggestion ? `; did you mean '${suggestion}'?` : '.') +
        ` Known parameters: ${known.join(', ')}`,
    );
  }
}

/** A known parameter with a value of the wrong type or out of range. */
export class InvalidUriParameterError extends ActiveMQUriError {
  constructor(
    readonly parameter: string,
    readonly expected: string,
    message?: string,
  ) {
    super(message ?? `parameter '${parameter}' must be ${expected}`);
  }
}
