// JMS message selectors: parsed (with a peggy grammar, grammar.ts), evaluated as ActiveMQ
// Classic 5.17 evaluates them for messages sent over STOMP (evaluate.ts; the embedded broker
// filters its subscriptions with them), and rewritten for ActiveMQ Artemis (artemis.ts; the
// transport's subscriptions to Artemis send that form).
import type { ExpressionNode } from './ast.js';
import { printForArtemis } from './artemis.js';
import { compileTest } from './evaluate.js';
import type { SelectorMessage } from './message.js';
import { parseTree } from './parse.js';

export { SelectorSyntaxError, SelectorUnsupportedError } from './errors.js';
export type { SelectorMessage } from './message.js';

/** A parsed JMS message selector: it decides messages, and can be written for Artemis. */
export interface Selector {
  /** The selector as it was given. */
  readonly text: string;

  /**
   * Whether the selector selects `message`: true only when it evaluates to TRUE (not FALSE, not
   * UNKNOWN), with ActiveMQ Classic's rules, string headers converted to numbers or booleans where
   * they are compared with one. What Classic cannot evaluate (`region - 1 > 0` on a region 'EU')
   * selects nothing, without an error.
   *
   * @param message The message's MESSAGE frame headers and delivery count.
   */
  matches(message: SelectorMessage): boolean;

  /**
   * The selector as an ActiveMQ Artemis core filter, for the `selector` header of a STOMP
   * SUBSCRIBE to Artemis: the JMS header names replaced by Artemis' (JMSPriority by AMQPriority,
   * JMSDeliveryMode = 'PERSISTENT' by AMQDurable = 'DURABLE', …), the rest unchanged in meaning.
   * Throws SelectorUnsupportedError when the selector names what Artemis' filters cannot read
   * (JMSRedelivered, JMSXDeliveryCount).
   */
  toArtemis(): string;
}

/** What parseSelector returns: the tree, compiled once into a test, and printed for Artemis at the first ask. */
class ParsedSelector implements Selector {
  readonly #root: ExpressionNode;
  readonly #test: (message: SelectorMessage) => boolean;
  #artemis: string | undefined;

  constructor(
    readonly text: string,
    root: ExpressionNode,
  ) {
    this.#root = root;
    this.#test = compileTest(root);
  }

  matches(message: SelectorMessage): boolean {
    return this.#test(message);
  }

  toArtemis(): string {
    this.#artemis ??= printForArtemis(this.text, this.#root);
    return this.#artemis;
  }
}

/**
 * Parses a JMS message selector (the SQL-92 subset of the JMS 2.0 specification, as ActiveMQ
 * reads it: `region = 'EU' AND amount > 100`, `JMSPriority >= 7`, `name LIKE 'a%'`). Throws
 * SelectorSyntaxError for a selector that is not valid, empty, longer than 4096 characters, or
 * nested more than 256 deep, saying what was expected where.
 *
 * @param text The selector.
 */
export function parseSelector(text: string): Selector {
  return new ParsedSelector(text, parseTree(text));
}

/**
 * Parses and compiles a selector into a test of messages (parseSelector's `matches`, on its own).
 * Throws SelectorSyntaxError as parseSelector does.
 *
 * @param text The selector.
 */
export function compileSelector(text: string): (message: SelectorMessage) => boolean {
  return compileTest(parseTree(text));
}
