// The parsed form of a selector, and the checks ActiveMQ Classic makes while it parses one.
//
// The grammar (grammar.ts) builds the tree through `builders` below, which also refuse, as
// Classic's parser does, operands the grammar lets through but the JMS operators do not take
// (org.apache.activemq.filter.ComparisonExpression's checkLessThanOperand, checkEqualOperand and
// checkEqualOperandCompatability, and SelectorParser.jj's asBooleanExpression, in
// https://github.com/apache/activemq, activemq-client/src/main/java/org/apache/activemq/filter/):
// - `<`, `<=`, `>`, `>=` (and so BETWEEN, which is two of them) take no string, boolean or NULL
//   literal and no condition: `'a' > 1`, `x BETWEEN 'a' AND 'b'` and `(a = 1) > 2` are invalid;
// - `=` and `<>` take no NULL literal (`x = NULL`: IS NULL is the way), and not a TRUE/FALSE
//   literal on the left of another literal (`TRUE = 1`);
// - AND, OR, NOT and the whole selector take conditions, or an identifier (a property read as a
//   boolean); `1 + 2` or `'a' AND b` is no selector;
// - IN applies to an identifier only, ESCAPE is one character.

/** The most operators nested in one another, and the most parentheses. */
export const MAX_DEPTH = 256;

/** The types of Java values a selector computes with (what ActiveMQ Classic's expressions return). */
export type ValueType = 'string' | 'boolean' | 'int' | 'long' | 'double' | 'null';

/** A literal: `'text'`, `5`, `5L`, `0x1F`, `017`, `1.5e3`, TRUE, FALSE, NULL. */
export interface LiteralNode {
  readonly kind: 'literal';
  /** `int` is a Java int (an integer literal within 32 bits), `long` a larger one. */
  readonly type: ValueType;
  readonly value: string | number | boolean | null;
  /** The literal as written (numbers are printed back as they were written, so that their Java type stays the same). */
  readonly raw: string;
  readonly offset: number;
  readonly depth: number;
}

/** An identifier: a JMS header (`JMSPriority`) or a property (a message header of that name). */
export interface IdentifierNode {
  readonly kind: 'identifier';
  readonly name: string;
  readonly offset: number;
  readonly depth: number;
}

/** Unary minus (unary plus changes nothing and leaves no node, as in Classic). */
export interface NegateNode {
  readonly kind: 'negate';
  readonly operand: ExpressionNode;
  readonly offset: number;
  readonly depth: number;
}

/** `+ - * / %`. */
export interface ArithmeticNode {
  readonly kind: 'arithmetic';
  readonly op: '+' | '-' | '*' | '/' | '%';
  readonly left: ExpressionNode;
  readonly right: ExpressionNode;
  readonly offset: number;
  readonly depth: number;
}

/** `= <> < <= > >=`. */
export interface ComparisonNode {
  readonly kind: 'comparison';
  readonly op: '=' | '<>' | '<' | '<=' | '>' | '>=';
  readonly left: ExpressionNode;
  readonly right: ExpressionNode;
  readonly offset: number;
  readonly depth: number;
}

/** `value [NOT] BETWEEN low AND high`. */
export interface BetweenNode {
  readonly kind: 'between';
  readonly not: boolean;
  readonly value: ExpressionNode;
  readonly low: ExpressionNode;
  readonly high: ExpressionNode;
  readonly offset: number;
  readonly depth: number;
}

/** `value [NOT] LIKE 'pattern' [ESCAPE 'c']`. */
export interface LikeNode {
  readonly kind: 'like';
  readonly not: boolean;
  readonly value: ExpressionNode;
  readonly pattern: string;
  readonly escape: string | undefined;
  readonly offset: number;
  readonly depth: number;
}

/** `identifier [NOT] IN ('a', 'b')`. */
export interface InNode {
  readonly kind: 'in';
  readonly not: boolean;
  readonly value: IdentifierNode;
  readonly items: readonly string[];
  readonly offset: number;
  readonly depth: number;
}

/** `value IS [NOT] NULL`. */
export interface IsNullNode {
  readonly kind: 'isNull';
  readonly not: boolean;
  readonly value: ExpressionNode;
  readonly offset: number;
  readonly depth: number;
}

/** `NOT condition`. */
export interface NotNode {
  readonly kind: 'not';
  readonly operand: ExpressionNode;
  readonly offset: number;
  readonly depth: number;
}

/** A chain of ANDs or of ORs, flattened: `a AND b AND c` is one node of three operands. */
export interface LogicNode {
  readonly kind: 'and' | 'or';
  readonly operands: readonly ExpressionNode[];
  readonly offset: number;
  readonly depth: number;
}

/** An identifier where a condition is expected (`flag AND x = 1`): TRUE only when the value is the boolean true. */
export interface CastNode {
  readonly kind: 'cast';
  readonly operand: IdentifierNode;
  readonly offset: number;
  readonly depth: number;
}

/**
 * Any node of a parsed selector. Each has `offset`, where its text starts in the selector (for
 * the messages of errors), and `depth`, 1 for a value and one more than its deepest operand for an
 * operator.
 */
export type ExpressionNode =
  LiteralNode | IdentifierNode | NegateNode | ArithmeticNode | ComparisonNode | BetweenNode | LikeNode | InNode | IsNullNode | NotNode | LogicNode | CastNode;

/** A selector the builders refuse: what is wrong, and where. The parser turns it into a SelectorSyntaxError. */
export class Refusal extends Error {
  constructor(
    readonly offset: number,
    readonly problem: string,
  ) {
    super(problem);
  }
}

const LONG_MAX = 2n ** 63n - 1n;
const INT_MIN = -(2n ** 31n);
const INT_MAX = 2n ** 31n - 1n;

/** Whether a node is what Classic calls a BooleanExpression: a condition, or a TRUE/FALSE/NULL literal. */
function isCondition(node: ExpressionNode): boolean {
  switch (node.kind) {
    case 'literal':
      return node.type === 'boolean' || node.type === 'null';
    case 'identifier':
    case 'negate':
    case 'arithmetic':
      return false;
    default:
      return true;
  }
}

/** A short description of a node, for the checks' messages. */
function shown(node: ExpressionNode): string {
  if (node.kind === 'literal') return node.type === 'string' ? `the string ${node.raw}` : node.raw;
  return 'a condition';
}

/** A string literal as a selector writes it: in single quotes, a quote doubled. */
export function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function depthOf(offset: number, ...children: readonly ExpressionNode[]): number {
  let deepest = 0;
  for (const child of children) if (child.depth > deepest) deepest = child.depth;
  if (deepest + 1 > MAX_DEPTH) throw new Refusal(offset, `operators nested more than ${MAX_DEPTH} deep`);
  return deepest + 1;
}

/** Classic's checkLessThanOperand: an operand of `<`, `<=`, `>`, `>=` must be a number, an identifier or arithmetic. */
function comparable(node: ExpressionNode, op: string): ExpressionNode {
  if ((node.kind === 'literal' && node.type !== 'int' && node.type !== 'long' && node.type !== 'double') || isCondition(node)) {
    throw new Refusal(node.offset, `${shown(node)} cannot be an operand of ${op} (only numbers and identifiers can)`);
  }
  return node;
}

/** Classic's asBooleanExpression: a condition stays, an identifier is read as a boolean, anything else is refused. */
function condition(node: ExpressionNode): ExpressionNode {
  if (node.kind === 'identifier') return { kind: 'cast', operand: node, offset: node.offset, depth: depthOf(node.offset, node) };
  if (!isCondition(node)) throw new Refusal(node.offset, 'expected a condition, found a value (a condition compares, or is an identifier, TRUE or FALSE)');
  return node;
}

/** Parses an exact numeric literal's digits as Classic does: a Java int when it fits, else a long; a larger one is refused. */
function integer(raw: string, digits: string, radix: 8 | 10 | 16, offset: number): LiteralNode {
  const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : '';
  const big = digits === '' ? 0n : BigInt(prefix + digits);
  if (big > LONG_MAX) throw new Refusal(offset, `the number ${raw} is larger than a Java long (${LONG_MAX})`);
  const type = big >= INT_MIN && big <= INT_MAX ? 'int' : 'long';
  return { kind: 'literal', type, value: Number(big), raw, offset, depth: 1 };
}

/** A `tail` entry of a chain of binary operators, as the grammar hands it over. */
export interface Tail {
  readonly op: ArithmeticNode['op'] | ComparisonNode['op'];
  readonly offset: number;
  readonly right: ExpressionNode;
}

/** A postfix operator of the relational or equality level, as the grammar hands it over. */
export type Postfix =
  | Tail
  | { readonly op: 'between'; readonly not: boolean; readonly offset: number; readonly low: ExpressionNode; readonly high: ExpressionNode }
  | { readonly op: 'like'; readonly not: boolean; readonly offset: number; readonly pattern: string; readonly escape: { value: string; offset: number } | null }
  | { readonly op: 'in'; readonly not: boolean; readonly offset: number; readonly items: readonly string[] }
  | { readonly op: 'isNull'; readonly not: boolean; readonly offset: number };

/** The functions the grammar's actions call (handed to the parser in its options as `b`). */
export const builders = {
  unterminated(offset: number, what: string): never {
    throw new Refusal(offset, `unterminated ${what}`);
  },

  string(raw: string, offset: number): LiteralNode {
    return { kind: 'literal', type: 'string', value: raw.slice(1, -1).replaceAll("''", "'"), raw, offset, depth: 1 };
  },

  decimal(raw: string, offset: number): LiteralNode {
    return integer(raw, raw.replace(/[lL]$/, ''), 10, offset);
  },

  hex(raw: string, offset: number): LiteralNode {
    return integer(raw, raw.slice(2), 16, offset);
  },

  octal(raw: string, offset: number): LiteralNode {
    return integer(raw, raw.slice(1), 8, offset);
  },

  float(raw: string, offset: number): LiteralNode {
    return { kind: 'literal', type: 'double', value: Number(raw), raw, offset, depth: 1 };
  },

  keyword(word: string, offset: number): LiteralNode {
    const upper = word.toUpperCase();
    return { kind: 'literal', type: upper === 'NULL' ? 'null' : 'boolean', value: upper === 'NULL' ? null : upper === 'TRUE', raw: upper, offset, depth: 1 };
  },

  identifier(name: string, offset: number): IdentifierNode {
    return { kind: 'identifier', name, offset, depth: 1 };
  },

  /** Prefix operators, outermost first: `-`, `+` (dropped) and NOT (in an operand, as Classic allows: `x = NOT y`). */
  prefix(ops: readonly { op: string; offset: number }[], operand: ExpressionNode): ExpressionNode {
    let node = operand;
    for (let i = ops.length - 1; i >= 0; i--) {
      const { op, offset } = ops[i]!;
      if (op === '-') node = { kind: 'negate', operand: node, offset, depth: depthOf(offset, node) };
      else if (op !== '+') node = builders.not(node, offset);
    }
    return node;
  },

  not(operand: ExpressionNode, offset: number): NotNode {
    const checked = condition(operand);
    return { kind: 'not', operand: checked, offset, depth: depthOf(offset, checked) };
  },

  /** NOT NOT … condition, outermost first. */
  nots(offsets: readonly number[], operand: ExpressionNode): ExpressionNode {
    let node = operand;
    for (let i = offsets.length - 1; i >= 0; i--) node = builders.not(node, offsets[i]!);
    return node;
  },

  arithmetic(head: ExpressionNode, tail: readonly Tail[]): ExpressionNode {
    let node = head;
    for (const { op, offset, right } of tail) {
      node = { kind: 'arithmetic', op: op as ArithmeticNode['op'], left: node, right, offset: node.offset, depth: depthOf(offset, node, right) };
    }
    return node;
  },

  /** The relational (`<`, LIKE, BETWEEN, IN) or the equality level (`=`, `<>`, IS NULL): a chain of postfix operators, left to right. */
  postfix(head: ExpressionNode, tail: readonly Postfix[]): ExpressionNode {
    let node = head;
    for (const item of tail) {
      const { offset } = item;
      switch (item.op) {
        case 'between': {
          const value = comparable(node, 'BETWEEN');
          const low = comparable(item.low, 'BETWEEN');
          const high = comparable(item.high, 'BETWEEN');
          node = { kind: 'between', not: item.not, value, low, high, offset: value.offset, depth: depthOf(offset, value, low, high) };
          break;
        }
        case 'like': {
          const escape = item.escape;
          if (escape !== null && escape.value.length !== 1) throw new Refusal(escape.offset, `the ESCAPE character must be one character, got ${quote(escape.value)}`);
          node = { kind: 'like', not: item.not, value: node, pattern: item.pattern, escape: escape?.value, offset: node.offset, depth: depthOf(offset, node) };
          break;
        }
        case 'in':
          if (node.kind !== 'identifier') throw new Refusal(node.offset, `${item.not ? 'NOT IN' : 'IN'} applies to an identifier only`);
          node = { kind: 'in', not: item.not, value: node, items: item.items, offset: node.offset, depth: depthOf(offset, node) };
          break;
        case 'isNull':
          node = { kind: 'isNull', not: item.not, value: node, offset: node.offset, depth: depthOf(offset, node) };
          break;
        case '=':
        case '<>': {
          const { right } = item;
          for (const operand of [node, right]) {
            if (operand.kind === 'literal' && operand.type === 'null')
              throw new Refusal(operand.offset, `NULL cannot be compared with ${item.op} (use IS ${item.op === '=' ? '' : 'NOT '}NULL)`);
          }
          if (node.kind === 'literal' && right.kind === 'literal' && node.type === 'boolean' && right.type !== 'boolean') {
            throw new Refusal(node.offset, `${node.raw} cannot be compared with ${right.raw}`);
          }
          node = { kind: 'comparison', op: item.op, left: node, right, offset: node.offset, depth: depthOf(offset, node, right) };
          break;
        }
        default: {
          const { right } = item;
          const left = comparable(node, item.op);
          comparable(right, item.op);
          node = { kind: 'comparison', op: item.op as ComparisonNode['op'], left, right, offset: left.offset, depth: depthOf(offset, left, right) };
        }
      }
    }
    return node;
  },

  logic(kind: 'and' | 'or', head: ExpressionNode, tail: readonly ExpressionNode[]): ExpressionNode {
    if (tail.length === 0) return head;
    const operands = [head, ...tail].map(condition);
    return { kind, operands, offset: head.offset, depth: depthOf(head.offset, ...operands) };
  },

  /** The whole selector: a condition. */
  selector(node: ExpressionNode): ExpressionNode {
    return condition(node);
  },
};

/** The builders' type, as the grammar's actions see them. */
export type Builders = typeof builders;
