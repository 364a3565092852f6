import { ActiveMQError } from '../errors/activemq-error.js';
/** A connection URI or one of its parameters is wrong. Raised at start-up; nothing is connected. */
export class ActiveMQUriError extends ActiveMQError {
  /**
   * Names the error after its class (`error.name`).
   *
   * @param message What is wrong, naming the URI part or parameter.
   */
  constructor(message: string) {
    super(message);
  }
}

/** The URI cannot be read (scheme, host, port, brackets), or is missing where one was meant. */
export class InvalidUriError extends ActiveMQUriError {}

/** Where the accepted names are listed, for messages that do not list them all. */
const WHERE_LISTED = `Every accepted name is on the error's \`known\` list and in the table of docs/configuration.md`;

/** A parameter of a URI's query that this library does not know. */
export class UnknownUriParameterError extends ActiveMQUriError {
  /** Every accepted name; not enumerable, so that printing the error does not print them all. */
  declare readonly known: readonly string[];

  /**
   * Builds a one-line message from the name and the suggestion, unless `message` is given.
   *
   * @param parameter The unknown name, as written.
   * @param suggestion The nearest known name, if one is close enough.
   * @param known Every accepted name.
   * @param message Replaces the default message (used by {@link UnknownOptionError}).
   */
  constructor(
    readonly parameter: string,
    readonly suggestion: string | undefined,
    known: readonly string[],
    message?: string,
  ) {
    const guess = suggestion ? `; did you mean '${suggestion}'?` : '.';
    super(message ?? `'${parameter}' is not a known URI parameter${guess} ${WHERE_LISTED}.`);
    Object.defineProperty(this, 'known', { value: known, enumerable: false });
  }
}

/**
 * A key of an options object (`ClientActiveMQ`, `ServerActiveMQ`, `MessagingModule.forRoot`)
 * that is not an option. A subclass of {@link UnknownUriParameterError}, which reported these
 * before, so that code catching that still catches this; `parameter` is the key.
 */
export class UnknownOptionError extends UnknownUriParameterError {
  /**
   * Builds the message from the key, the options object's owner and the suggestion.
   *
   * @param option The unknown key, as written.
   * @param suggestion The nearest known key, if one is close enough.
   * @param known Every accepted key.
   * @param where Whose options they are, e.g. `ClientActiveMQ`.
   * @param hint Said after the suggestion, e.g. that the key is a URI spelling.
   */
  constructor(
    option: string,
    suggestion: string | undefined,
    known: readonly string[],
    readonly where: string,
    hint?: string,
  ) {
    const guess = suggestion ? `; did you mean '${suggestion}'?` : '.';
    super(option, suggestion, known, `unknown option '${option}' of ${where} options${guess}` + (hint ? ` ${hint}` : ''));
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
