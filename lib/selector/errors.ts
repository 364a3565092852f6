import { ActiveMQError } from '../errors/activemq-error.js';

/** At most this many characters of a selector are quoted in an error's message. */
const QUOTED_CHARS = 200;

/** The selector as a message quotes it: in double quotes, escaped, cut after {@link QUOTED_CHARS} characters. */
function quoted(selector: string): string {
  return selector.length > QUOTED_CHARS ? `${JSON.stringify(selector.slice(0, QUOTED_CHARS))}…` : JSON.stringify(selector);
}

/**
 * A JMS message selector that is not valid: not a selector of the JMS grammar, an operand the
 * grammar does not allow where it stands (`'a' > 1`, `x = NULL`), or one past the bounds this
 * package sets (empty, longer than 4096 characters, nested more than 256 deep). The message says
 * what was expected, and where: `invalid selector "region = ": expected an expression at offset 9`.
 */
export class SelectorSyntaxError extends ActiveMQError {
  /**
   * Builds the message from the selector, the position and the problem.
   *
   * @param selector The selector's whole text.
   * @param offset Where the problem is: a 0-based index into `selector`, or `undefined` when it is nowhere in particular.
   * @param problem What is wrong there, in plain words ("expected an expression").
   */
  constructor(
    /** The selector's whole text, as it was given. */
    readonly selector: string,
    /** The 0-based position of the problem in {@link SelectorSyntaxError.selector}, if it has one. */
    readonly offset: number | undefined,
    problem: string,
  ) {
    super(`invalid selector ${quoted(selector)}: ${problem}${offset === undefined ? '' : ` at offset ${offset}`}`);
  }
}

/**
 * A valid selector that cannot be said to ActiveMQ Artemis (see `Selector.toArtemis`): it names a
 * JMS header Artemis' filters have no equivalent of (`JMSRedelivered`, `JMSXDeliveryCount`), a
 * header name Artemis reads as one of its own attributes, or an identifier Artemis' filter
 * grammar does not take. The message names the identifier and says why.
 */
export class SelectorUnsupportedError extends ActiveMQError {
  /**
   * Names the identifier and the reason.
   *
   * @param selector The selector's whole text.
   * @param identifier The identifier that cannot be given.
   * @param reason Why not, in plain words.
   */
  constructor(
    /** The selector's whole text, as it was given. */
    readonly selector: string,
    /** The identifier Artemis cannot select on. */
    readonly identifier: string,
    reason: string,
  ) {
    super(`${identifier} cannot be selected on by Artemis' STOMP subscribers: ${reason} (selector ${quoted(selector)})`);
  }
}
