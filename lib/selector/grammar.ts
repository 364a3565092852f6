// The selector grammar, for peggy (https://peggyjs.org/documentation.html), and the parser made
// from it once, at the first parse.
//
// The language is the JMS 2.0 message selector (the "Message Selectors" section of the javadoc of
// javax.jms.Message, https://jakarta.ee/specifications/messaging/2.0/apidocs/javax/jms/message)
// as ActiveMQ Classic reads it (its SelectorParser.jj, activemq-client/src/main/grammar/ in
// https://github.com/apache/activemq), which Artemis' own grammar copies:
// - precedence, loosest first: OR; AND; NOT; `=`, `<>`, IS [NOT] NULL; `<`, `<=`, `>`, `>=`,
//   [NOT] BETWEEN, [NOT] LIKE, [NOT] IN; `+`, `-`; `*`, `/`, `%`; unary `+`, `-`. Operators of one
//   level chain left to right (`a = b = c` is `(a = b) = c`), as in Classic. NOT is placed as the
//   JMS specification places it, below the comparisons (`NOT a = 1` is `NOT (a = 1)`); Classic
//   reads it as a prefix of the operand (`(NOT a) = 1`), which is also accepted inside an
//   operand (`x = NOT y`).
// - keywords, case-insensitive: NOT AND OR BETWEEN LIKE ESCAPE IN IS TRUE FALSE NULL;
// - identifiers: Java identifiers (a letter, `_` or `$`, then letters, digits, `_`, `$`), case-
//   sensitive, not a keyword (Classic and Artemis take ASCII ones only);
// - literals: strings in single quotes (`''` is a quote); integers in decimal (`5`, `5L`), hex
//   (`0x1F`) or octal (a leading 0: `017` is 15), Java ints when they fit in 32 bits, else longs;
//   decimals (`1.5`, `5.`, `.5`, `1e3`), Java doubles;
// - whitespace is space, tab, CR, LF and form feed; `/* … */` is a comment, and so is `--` up to
//   a line break (without one, `--` is two minus signs, as in Classic).
//
// Bounds: the grammar recurses once per parenthesis (selector.ts refuses more than MAX_DEPTH of
// them before parsing) and loops over everything else; the builders (ast.ts) refuse trees deeper
// than MAX_DEPTH, so that neither parsing nor evaluation recurses deeper than that.
import peggy from 'peggy';
import type { Parser } from 'peggy';

/** The grammar, in peggy's notation. The actions build the tree through `options.b` (ast.ts's builders). */
const GRAMMAR = String.raw`
{
  const b = options.b;
}

Selector
  = _ node:OrExpression _ End { return b.selector(node); }

End "the end of the selector"
  = !.

OrExpression
  = head:AndExpression tail:(_ OrOperator _ @AndExpression)* { return b.logic('or', head, tail); }

AndExpression
  = head:NotExpression tail:(_ AndOperator _ @NotExpression)* { return b.logic('and', head, tail); }

NotExpression
  = nots:(@NotPrefix _)* node:Equality { return b.nots(nots, node); }

Equality
  = head:Relational tail:EqualityTail* { return b.postfix(head, tail); }

EqualityTail
  = _ op:EqualityOperator _ right:Relational { return { op: op.op, offset: op.offset, right }; }
  / _ at:IsOperator _ not:(NOT _)? NULL { return { op: 'isNull', not: not !== null, offset: at }; }

Relational
  = head:Additive tail:RelationalTail* { return b.postfix(head, tail); }

RelationalTail
  = _ op:RelationalOperator _ right:Additive { return { op: op.op, offset: op.offset, right }; }
  / _ at:BetweenOperator _ rest:BetweenRest { return { op: 'between', not: false, offset: at, low: rest.low, high: rest.high }; }
  / _ at:NotOperator _ BETWEEN _ rest:BetweenRest { return { op: 'between', not: true, offset: at, low: rest.low, high: rest.high }; }
  / _ at:LikeOperator _ rest:LikeRest { return { op: 'like', not: false, offset: at, pattern: rest.pattern, escape: rest.escape }; }
  / _ at:NotOperator _ LIKE _ rest:LikeRest { return { op: 'like', not: true, offset: at, pattern: rest.pattern, escape: rest.escape }; }
  / _ at:InOperator _ items:InList { return { op: 'in', not: false, offset: at, items }; }
  / _ at:NotOperator _ IN _ items:InList { return { op: 'in', not: true, offset: at, items }; }

BetweenRest
  = low:Additive _ AND _ high:Additive { return { low, high }; }

LikeRest
  = pattern:StringLiteral escape:(_ ESCAPE _ @StringLiteral)? { return { pattern: pattern.value, escape: escape === null ? null : { value: escape.value, offset: escape.offset } }; }

InList
  = "(" _ head:StringLiteral tail:(_ "," _ @StringLiteral)* _ ")" { return [head, ...tail].map((item) => item.value); }

Additive
  = head:Multiplicative tail:(_ op:AdditiveOperator _ right:Multiplicative { return { op: op.op, offset: op.offset, right }; })* { return b.arithmetic(head, tail); }

Multiplicative
  = head:Unary tail:(_ op:MultiplicativeOperator _ right:Unary { return { op: op.op, offset: op.offset, right }; })* { return b.arithmetic(head, tail); }

Unary
  = ops:(@UnaryOperator _)* operand:Primary { return b.prefix(ops, operand); }

Primary
  = Value
  / OpenParenthesis _ @OrExpression _ ")"

Value "an expression"
  = StringLiteral
  / NumberLiteral
  / word:$(TRUE / FALSE / NULL) { return b.keyword(word, offset()); }
  / Identifier

OpenParenthesis "an expression"
  = "("

UnaryOperator "an expression"
  = op:$[+-] { return { op, offset: offset() }; }
  / NOT { return { op: 'NOT', offset: offset() }; }

NotPrefix "an expression"
  = NOT { return offset(); }

OrOperator "an operator" = OR
AndOperator "an operator" = AND
NotOperator "an operator" = NOT { return offset(); }
IsOperator "an operator" = IS { return offset(); }
BetweenOperator "an operator" = BETWEEN { return offset(); }
LikeOperator "an operator" = LIKE { return offset(); }
InOperator "an operator" = IN { return offset(); }

EqualityOperator "an operator"
  = op:$("=" / "<>") { return { op, offset: offset() }; }

RelationalOperator "an operator"
  = op:$(">=" / "<=" / ">" / "<" !">") { return { op, offset: offset() }; }

AdditiveOperator "an operator"
  = op:$[+-] { return { op, offset: offset() }; }

MultiplicativeOperator "an operator"
  = op:$[*/%] { return { op, offset: offset() }; }

StringLiteral "a string literal"
  = start:("'" { return offset(); }) ([^']+ / "''")* ("'" / "" { b.unterminated(start, 'string literal'); })
    { return b.string(text(), offset()); }

NumberLiteral
  = raw:$([0-9]+ "." [0-9]* Exponent? / "." [0-9]+ Exponent? / [0-9]+ Exponent) { return b.float(raw, offset()); }
  / raw:$("0" [xX] [0-9a-fA-F]+) { return b.hex(raw, offset()); }
  / raw:$("0" [0-7]*) { return b.octal(raw, offset()); }
  / raw:$([1-9] [0-9]* [lL]?) { return b.decimal(raw, offset()); }

Exponent
  = [eE] [+-]? [0-9]+

Identifier
  = !Keyword name:$(IdentifierStart IdentifierPart*) { return b.identifier(name, offset()); }

// What Java's Character.isJavaIdentifierStart and isJavaIdentifierPart take: letters, letter
// numbers, currency symbols ($) and connectors (_); then also digits, combining marks and format
// characters.
IdentifierStart
  = [\p{L}\p{Nl}\p{Sc}\p{Pc}]

IdentifierPart
  = [\p{L}\p{Nl}\p{Sc}\p{Pc}\p{Nd}\p{Mn}\p{Mc}\p{Cf}]

Keyword
  = ("NOT"i / "AND"i / "OR"i / "BETWEEN"i / "LIKE"i / "ESCAPE"i / "IN"i / "IS"i / "TRUE"i / "FALSE"i / "NULL"i) !IdentifierPart

NOT "NOT" = "NOT"i !IdentifierPart
AND "AND" = "AND"i !IdentifierPart
OR "OR" = "OR"i !IdentifierPart
BETWEEN "BETWEEN" = "BETWEEN"i !IdentifierPart
LIKE "LIKE" = "LIKE"i !IdentifierPart
ESCAPE "ESCAPE" = "ESCAPE"i !IdentifierPart
IN "IN" = "IN"i !IdentifierPart
IS "IS" = "IS"i !IdentifierPart
NULL "NULL" = "NULL"i !IdentifierPart
TRUE = "TRUE"i !IdentifierPart
FALSE = "FALSE"i !IdentifierPart

_ "whitespace"
  = ([ \t\n\r\f] / Comment)*

Comment
  = start:("/*" { return offset(); }) (!"*/" .)* ("*/" / "" { b.unterminated(start, 'comment'); })
  / "--" [^\n\r]* ("\r\n" / "\n" / "\r")
`;

let parser: Parser | undefined;

/** The parser, made from the grammar at the first call (peggy compiles it in some milliseconds). */
export function selectorParser(): Parser {
  parser ??= peggy.generate(GRAMMAR);
  return parser;
}
