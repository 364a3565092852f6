// A selector rewritten for ActiveMQ Artemis: the `selector` header of a STOMP SUBSCRIBE is a
// core filter there, which reads no JMS header names, so the JMS header names are replaced by
// the core filter's own, as Artemis' JMS client does before it sends a selector (its
// SelectorTranslator, artemis-commons/src/main/java/org/apache/activemq/artemis/utils/, and
// FilterConstants, artemis-core-client/src/main/java/org/apache/activemq/artemis/api/core/, in
// https://github.com/apache/activemq-artemis; the attributes a filter reads are FilterImpl's
// getHeaderFieldValue, artemis-server/…/core/filter/impl/FilterImpl.java):
//
//   JMSPriority → AMQPriority, JMSTimestamp → AMQTimestamp, JMSExpiration → AMQExpiration,
//   JMSMessageID → AMQUserID, JMSXGroupID → AMQGroupID (Artemis' STOMP keeps a JMSXGroupID
//   header as the message's group), JMSDeliveryMode → AMQDurable, whose values are 'DURABLE'
//   and 'NON_DURABLE' where JMS says 'PERSISTENT' and 'NON_PERSISTENT';
//   JMSType and JMSCorrelationID stay: Artemis' STOMP stores the type and correlation-id headers
//   as properties of those names.
//
// Measured on Artemis 2.40 over STOMP: each rewritten form selects what the JMS form selects on
// Classic; AMQUserID is NULL for a message sent over STOMP (only messages sent by a JMS client
// carry one), so JMSMessageID selects only those. JMSRedelivered and JMSXDeliveryCount have no
// equivalent (the redelivery count belongs to the delivery, which a filter does not see): a
// selector naming them is refused with SelectorUnsupportedError, as is an identifier Artemis
// would read otherwise than Classic (a header named like one of Artemis' attributes, AMQPriority
// …, or destination and receipt, which Artemis keeps as properties of a STOMP message and
// Classic does not) or cannot parse (its identifiers are ASCII, and XPATH and XQUERY are
// keywords there).
//
// Artemis does not convert strings to numbers or booleans in comparisons as Classic does for
// STOMP (measured: amount > 4 and flag = TRUE are FALSE there for amount:5, flag:true), unless the
// filter starts with `convert_string_expressions:` (its SelectorParser, artemis-selector/; measured:
// both are then TRUE). This printer does not add that prefix: it writes the selector only.
//
// The rest is printed back unchanged in meaning: the same literals (numbers as written, so they
// keep their Java type; strings re-quoted), keywords in capitals, and parentheses wherever the
// two grammars could group differently (Artemis reads NOT as a prefix of an operand, so NOT's
// operand is always parenthesised unless it is a single value).
import { quote, type ExpressionNode } from './ast.js';
import { SelectorUnsupportedError } from './errors.js';
import { compileLike } from './like.js';

/** The JMS header names Artemis' core filters spell otherwise. */
const RENAMED: Readonly<Record<string, string>> = {
  JMSPriority: 'AMQPriority',
  JMSTimestamp: 'AMQTimestamp',
  JMSExpiration: 'AMQExpiration',
  JMSMessageID: 'AMQUserID',
  JMSXGroupID: 'AMQGroupID',
  JMSDeliveryMode: 'AMQDurable',
};

/** The JMS headers Artemis' filters cannot read, and why. */
const WITHOUT_EQUIVALENT: Readonly<Record<string, string>> = {
  JMSRedelivered: 'the redelivered flag belongs to the delivery there, which a filter does not see',
  JMSXDeliveryCount: 'the delivery count belongs to the delivery there, which a filter does not see',
};

/** Names Artemis' filters read as the message's own attributes (FilterImpl.getHeaderFieldValue), never as a header of that name. */
const ARTEMIS_ATTRIBUTES = new Set(['AMQUserID', 'AMQPriority', 'AMQTimestamp', 'AMQDurable', 'AMQExpiration', 'AMQSize', 'AMQAddress', 'AMQGroupID']);

/** STOMP SEND headers Artemis keeps as properties of the message where Classic does not (measured: `destination IS NULL` is FALSE there, TRUE on Classic). */
const ARTEMIS_PROPERTIES = new Set(['destination', 'receipt']);

/** The identifiers Artemis' filter grammar takes (its ID token), and its keywords besides JMS's. */
const ARTEMIS_IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const ARTEMIS_KEYWORDS = new Set(['XPATH', 'XQUERY']);

/** The JMS delivery modes, and what AMQDurable says for each. */
const DELIVERY_MODES: Readonly<Record<string, string>> = { PERSISTENT: 'DURABLE', NON_PERSISTENT: 'NON_DURABLE' };

/** Precedence levels, loosest first: what a child must reach to stand without parentheses. */
const Level = { Or: 1, And: 2, Not: 3, Equality: 4, Relational: 5, Additive: 6, Multiplicative: 7, Unary: 8, Atom: 9 } as const;
type Level = number;

interface Printed {
  readonly text: string;
  readonly level: Level;
}

/** Prints the selector `root` (parsed from `selector`) as an Artemis core filter. Throws SelectorUnsupportedError. */
export function printForArtemis(selector: string, root: ExpressionNode): string {
  const unsupported = (identifier: string, reason: string): never => {
    throw new SelectorUnsupportedError(selector, identifier, reason);
  };

  const name = (identifier: string): string => {
    const renamed = RENAMED[identifier];
    if (renamed !== undefined) return renamed;
    const why = WITHOUT_EQUIVALENT[identifier];
    if (why !== undefined) unsupported(identifier, why);
    if (ARTEMIS_ATTRIBUTES.has(identifier)) unsupported(identifier, `Artemis reads ${identifier} as an attribute of its own, not as a header of that name`);
    if (ARTEMIS_PROPERTIES.has(identifier)) unsupported(identifier, `Artemis keeps the STOMP ${identifier} header as a property of the message, where the selector reads none`);
    if (!ARTEMIS_IDENTIFIER.test(identifier)) unsupported(identifier, 'its filter grammar takes identifiers of ASCII letters, digits, _ and $ only');
    if (ARTEMIS_KEYWORDS.has(identifier.toUpperCase())) unsupported(identifier, `${identifier.toUpperCase()} is a keyword of its filter grammar`);
    return identifier;
  };

  const isDeliveryMode = (node: ExpressionNode): boolean => node.kind === 'identifier' && node.name === 'JMSDeliveryMode';
  const refuseDeliveryMode = (): never =>
    unsupported(
      'JMSDeliveryMode',
      "it is AMQDurable there, of values 'DURABLE' and 'NON_DURABLE', so it can only be compared with string literals (=, <>, IN, LIKE) or tested with IS NULL",
    );

  // A condition whose value is known (JMSDeliveryMode, never NULL, against a value it never has):
  // printed as a condition on AMQDurable that has that value, and stays a condition where a
  // TRUE or FALSE literal would not be accepted (`(x) = 'a'`).
  const constant = (value: boolean): Printed => ({ text: value ? 'AMQDurable IS NOT NULL' : 'AMQDurable IS NULL', level: Level.Equality });
  // JMSDeliveryMode's JMS values that a condition selects, as the same condition on AMQDurable.
  const modesCondition = (selected: readonly string[]): Printed => {
    if (selected.length === 0) return constant(false);
    if (selected.length === 2) return constant(true);
    return { text: `AMQDurable = ${quote(DELIVERY_MODES[selected[0]!]!)}`, level: Level.Equality };
  };

  const wrap = (node: ExpressionNode, level: Level): string => {
    const printed = print(node);
    return printed.level >= level ? printed.text : `(${printed.text})`;
  };

  const print = (node: ExpressionNode): Printed => {
    switch (node.kind) {
      case 'literal':
        return { text: node.type === 'string' ? quote(node.value as string) : node.raw, level: Level.Atom };
      case 'identifier':
        return { text: name(node.name), level: Level.Atom };
      case 'cast':
        return print(node.operand);
      case 'negate':
        if (isDeliveryMode(node.operand)) refuseDeliveryMode();
        // Never `--`, which Artemis could read as the start of a comment.
        return { text: `-${wrap(node.operand, Level.Atom)}`, level: Level.Unary };
      case 'arithmetic': {
        if (isDeliveryMode(node.left) || isDeliveryMode(node.right)) refuseDeliveryMode();
        const level = node.op === '+' || node.op === '-' ? Level.Additive : Level.Multiplicative;
        return { text: `${wrap(node.left, level)} ${node.op} ${wrap(node.right, level + 1)}`, level };
      }
      case 'comparison': {
        const level = node.op === '=' || node.op === '<>' ? Level.Equality : Level.Relational;
        if (isDeliveryMode(node.left) || isDeliveryMode(node.right)) {
          const deliveryMode = deliveryModeComparison(node.op, node.left, node.right);
          if (deliveryMode !== undefined) return deliveryMode;
        }
        return { text: `${wrap(node.left, level)} ${node.op} ${wrap(node.right, level + 1)}`, level };
      }
      case 'between':
        if (isDeliveryMode(node.value)) refuseDeliveryMode();
        return {
          text: `${wrap(node.value, Level.Relational)} ${node.not ? 'NOT BETWEEN' : 'BETWEEN'} ${wrap(node.low, Level.Additive)} AND ${wrap(node.high, Level.Additive)}`,
          level: Level.Relational,
        };
      case 'like': {
        if (isDeliveryMode(node.value)) {
          const matches = compileLike(node.pattern, node.escape);
          return modesCondition(Object.keys(DELIVERY_MODES).filter((mode) => matches(mode) !== node.not));
        }
        const escape = node.escape === undefined ? '' : ` ESCAPE ${quote(node.escape)}`;
        return { text: `${wrap(node.value, Level.Relational)} ${node.not ? 'NOT LIKE' : 'LIKE'} ${quote(node.pattern)}${escape}`, level: Level.Relational };
      }
      case 'in': {
        if (isDeliveryMode(node.value)) {
          return modesCondition(Object.keys(DELIVERY_MODES).filter((mode) => node.items.includes(mode) !== node.not));
        }
        return { text: `${name(node.value.name)} ${node.not ? 'NOT IN' : 'IN'} (${node.items.map(quote).join(', ')})`, level: Level.Relational };
      }
      case 'isNull':
        return { text: `${wrap(node.value, Level.Equality)} ${node.not ? 'IS NOT NULL' : 'IS NULL'}`, level: Level.Equality };
      case 'not':
        return { text: `NOT ${wrap(node.operand, Level.Atom)}`, level: Level.Not };
      case 'and':
      case 'or': {
        const level = node.kind === 'and' ? Level.And : Level.Or;
        return { text: node.operands.map((operand) => wrap(operand, level + 1)).join(node.kind === 'and' ? ' AND ' : ' OR '), level };
      }
    }
  };

  /** `JMSDeliveryMode = 'PERSISTENT'` and the like; undefined when it is JMSDeliveryMode compared with itself, printed as it is. */
  const deliveryModeComparison = (op: string, left: ExpressionNode, right: ExpressionNode): Printed | undefined => {
    const other = isDeliveryMode(left) ? right : left;
    if (isDeliveryMode(other)) return op === '=' || op === '<>' ? undefined : refuseDeliveryMode();
    if (other.kind !== 'literal' || other.type !== 'string' || (op !== '=' && op !== '<>')) return refuseDeliveryMode();
    const mode = other.value as string;
    const equal = op === '=';
    if (mode in DELIVERY_MODES) return modesCondition(Object.keys(DELIVERY_MODES).filter((candidate) => (candidate === mode) === equal));
    // A value JMSDeliveryMode never has: FALSE for =, TRUE for <>.
    return constant(!equal);
  };

  return print(root).text;
}
