/**
 * The TraceQL subset that Grafana's search builder emits (data-format.md §9.1), parsed by recursive
 * descent into ast.ts, with each comparison type-checked (a duration against `duration`, a status
 * name against `status`, …). Whatever TraceQL has beyond the subset (pipelines, structural and
 * arithmetic operators, aggregates, other scopes and intrinsics, field-to-field comparisons) is
 * refused with a message that names it, never read as something else.
 *
 *   query      := spansets end
 *   spansets   := spansetAnd ("||" spansetAnd)*
 *   spansetAnd := spanset ("&&" spanset)*
 *   spanset    := "{" [conditions] "}" | "(" spansets ")"
 *   conditions := condAnd ("||" condAnd)*
 *   condAnd    := condition ("&&" condition)*
 *   condition  := "(" conditions ")" | field operator literal
 */
import { TRACEQL_NESTING_MAX } from '../constants.js';
import type { TraceKvError } from '../errors.js';
import type { Comparison, ComparisonOperator, Condition, Field, IntrinsicName, KindName, Literal, SpansetExpression, StatusName } from './ast.js';
import { KIND_CODES, STATUS_CODES } from './ast.js';
import { traceQlError } from './errors.js';
import { tokenize, type Token } from './lexer.js';

const OPERATORS: readonly ComparisonOperator[] = ['=', '!=', '>', '>=', '<', '<=', '=~', '!~'];
const ORDERING: readonly ComparisonOperator[] = ['>', '>=', '<', '<='];
const EQUALITY: readonly ComparisonOperator[] = ['=', '!='];
const REGEX: readonly ComparisonOperator[] = ['=~', '!~'];

/** The intrinsics of the subset, unscoped and in Tempo's newer scoped spelling. */
const INTRINSICS: Readonly<Record<string, IntrinsicName>> = {
  name: 'name',
  status: 'status',
  duration: 'duration',
  kind: 'kind',
  rootServiceName: 'rootServiceName',
  rootName: 'rootName',
  traceDuration: 'traceDuration',
  'span:name': 'name',
  'span:status': 'status',
  'span:duration': 'duration',
  'span:kind': 'kind',
  'trace:rootService': 'rootServiceName',
  'trace:rootName': 'rootName',
  'trace:duration': 'traceDuration',
};

/** What each intrinsic compares with, and how. */
const INTRINSIC_TYPES: Readonly<Record<IntrinsicName, { literal: Literal['type']; operators: readonly ComparisonOperator[] }>> = {
  name: { literal: 'string', operators: [...EQUALITY, ...REGEX] },
  rootServiceName: { literal: 'string', operators: [...EQUALITY, ...REGEX] },
  rootName: { literal: 'string', operators: [...EQUALITY, ...REGEX] },
  status: { literal: 'status', operators: EQUALITY },
  kind: { literal: 'kind', operators: EQUALITY },
  duration: { literal: 'duration', operators: [...EQUALITY, ...ORDERING] },
  traceDuration: { literal: 'duration', operators: [...EQUALITY, ...ORDERING] },
};

/** Scopes TraceQL has that the subset does not (their fields are not in the summary index). */
const OTHER_SCOPES = ['parent.', 'event.', 'link.', 'instrumentation.', 'event:', 'link:', 'instrumentation:', 'span:', 'trace:'];
/** Words that start TraceQL constructs beyond the subset, by what the error calls them. */
const OTHER_CONSTRUCTS: Readonly<Record<string, string>> = {
  count: 'aggregate count()',
  avg: 'aggregate avg()',
  min: 'aggregate min()',
  max: 'aggregate max()',
  sum: 'aggregate sum()',
  select: 'select()',
  by: 'by()',
  coalesce: 'coalesce()',
  rate: 'metrics function rate()',
  nil: 'nil',
};

export function parseTraceQl(query: string): SpansetExpression {
  return new Parser(tokenize(query)).query();
}

class Parser {
  private at = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  query(): SpansetExpression {
    const expression = this.spansets();
    const next = this.peek();
    if (next.type !== 'end') throw this.unexpected(next, 'after a spanset', ['&&', '||', 'the end']);
    return expression;
  }

  private spansets(): SpansetExpression {
    const node = (type: 'and' | 'or', left: SpansetExpression, right: SpansetExpression): SpansetExpression => ({ type, left, right });
    return this.joined('||', () => this.joined('&&', () => this.spanset(), node), node);
  }

  private spanset(): SpansetExpression {
    const token = this.peek();
    if (this.accept('(')) return this.nested(() => this.spansets(), token);
    if (!this.accept('{')) throw this.unexpected(token, 'where a spanset starts', ['{', '(']);
    if (this.accept('}')) return { type: 'spanset', condition: null };
    const condition = this.nested(() => this.conditions(), token, '}');
    return { type: 'spanset', condition };
  }

  private conditions(): Condition {
    const node = (type: 'and' | 'or', left: Condition, right: Condition): Condition => ({ type, left, right });
    return this.joined('||', () => this.joined('&&', () => this.condition(), node), node);
  }

  /** `operand`s joined by `operator`, left to right (`a && b && c` is `(a && b) && c`), at either level of the AST. */
  private joined<T>(operator: '&&' | '||', operand: () => T, node: (type: 'and' | 'or', left: T, right: T) => T): T {
    let left = operand();
    while (this.accept(operator)) left = node(operator === '&&' ? 'and' : 'or', left, operand());
    return left;
  }

  private condition(): Condition {
    const token = this.peek();
    if (this.accept('(')) return this.nested(() => this.conditions(), token);
    const field = this.field();
    const operatorToken = this.peek();
    const operator = OPERATORS.find((op) => operatorToken.type === 'punct' && operatorToken.text === op);
    if (operator === undefined) throw this.unexpected(operatorToken, 'after a field', OPERATORS);
    this.at++;
    const valueToken = this.peek();
    const value = this.literal();
    return this.checked(field, operator, value, operatorToken, valueToken);
  }

  /** `body` inside brackets opened at `open`, closed by `close`; bounded in depth, so a deep query cannot overflow the stack. */
  private nested<T>(body: () => T, open: Token, close = ')'): T {
    if (++this.depth > TRACEQL_NESTING_MAX) throw traceQlError(`brackets nested deeper than TRACEQL_NESTING_MAX (${TRACEQL_NESTING_MAX})`, open.at);
    const result = body();
    const token = this.peek();
    if (!this.accept(close)) throw this.unexpected(token, `where ${open.text} at ${open.at} closes`, [close, '&&', '||']);
    this.depth--;
    return result;
  }

  private field(): Field {
    const token = this.peek();
    if (token.type !== 'word') throw this.unexpected(token, 'where a field starts', ['an attribute (resource.x, span.x, .x)', 'an intrinsic']);
    this.at++;
    const text = token.text;
    const intrinsic = INTRINSICS[text];
    if (intrinsic !== undefined) return { type: 'intrinsic', name: intrinsic };
    for (const [prefix, scope] of [['resource.', 'resource'], ['span.', 'span'], ['.', 'any']] as const) {
      if (text.startsWith(prefix) && text.length > prefix.length) return { type: 'attribute', scope, name: text.slice(prefix.length) };
    }
    const other = OTHER_SCOPES.find((prefix) => text.startsWith(prefix));
    if (other !== undefined) throw traceQlError(`unsupported: ${JSON.stringify(text)} (the ${other.slice(0, -1)} scope is not searchable here; use resource., span. or .)`, token.at);
    const construct = OTHER_CONSTRUCTS[text];
    if (construct !== undefined) throw traceQlError(`unsupported: ${construct}`, token.at);
    throw traceQlError(`unsupported intrinsic ${JSON.stringify(text)}; want name, status, duration, kind, rootServiceName, rootName or traceDuration, or an attribute (resource.x, span.x, .x)`, token.at);
  }

  private literal(): Literal {
    const token = this.peek();
    this.at++;
    switch (token.type) {
      case 'string':
        return { type: 'string', value: token.text };
      case 'number':
        return { type: 'number', value: token.value! };
      case 'duration':
        return { type: 'duration', nanos: token.value! };
      case 'word': {
        if (token.text === 'true' || token.text === 'false') return { type: 'bool', value: token.text === 'true' };
        if (token.text in STATUS_CODES) return { type: 'status', value: token.text as StatusName };
        if (token.text in KIND_CODES) return { type: 'kind', value: token.text as KindName };
        const construct = OTHER_CONSTRUCTS[token.text];
        if (construct !== undefined) throw traceQlError(`unsupported: ${construct}`, token.at);
        throw traceQlError(`unsupported: comparing with ${JSON.stringify(token.text)} (a field or an unknown name); want a string, number, duration, true/false, a status or a kind`, token.at);
      }
      case 'punct':
        if (token.text === '-') throw traceQlError('unsupported: a negative number or arithmetic', token.at);
        throw this.unexpected(token, 'where a value starts', ['a string', 'a number', 'a duration', 'true/false', 'a status', 'a kind']);
      default:
        throw this.unexpected(token, 'where a value starts', ['a string', 'a number', 'a duration']);
    }
  }

  /** The comparison, once its operator and value suit its field. */
  private checked(field: Field, operator: ComparisonOperator, value: Literal, operatorToken: Token, valueToken: Token): Comparison {
    if (field.type === 'intrinsic') {
      const want = INTRINSIC_TYPES[field.name];
      if (value.type !== want.literal) throw traceQlError(`${field.name} compares with a ${want.literal}; got a ${value.type}`, valueToken.at);
      if (!want.operators.includes(operator)) throw traceQlError(`${field.name} takes ${want.operators.join(' ')}; got ${operator}`, operatorToken.at);
    } else {
      if (value.type === 'status' || value.type === 'kind') throw traceQlError(`an attribute compares with a string, number, duration or true/false; got the ${value.type} ${JSON.stringify(value.value)}`, valueToken.at);
      if (value.type === 'bool' && !EQUALITY.includes(operator)) throw traceQlError(`true/false takes = or !=; got ${operator}`, operatorToken.at);
    }
    if (REGEX.includes(operator)) {
      if (value.type !== 'string') throw traceQlError(`${operator} takes a string (a regular expression); got a ${value.type}`, valueToken.at);
      return { type: 'compare', field, operator, value, regex: anchoredRegex(value.value, valueToken.at) };
    }
    return { type: 'compare', field, operator, value };
  }

  private peek(): Token {
    return this.tokens[this.at]!;
  }

  private accept(punct: string): boolean {
    const token = this.peek();
    if (token.type !== 'punct' || token.text !== punct) return false;
    this.at++;
    return true;
  }

  /** The error for `token` where `where`: an unsupported construct by its name, else what was expected. */
  private unexpected(token: Token, where: string, expected: readonly string[]): TraceKvError {
    if (token.type === 'punct') {
      const construct = PUNCT_CONSTRUCTS[token.text];
      if (construct !== undefined) return traceQlError(`unsupported: ${construct}`, token.at);
    }
    const got = token.type === 'end' ? 'the end of the query' : JSON.stringify(token.text);
    return traceQlError(`got ${got} ${where}; want ${expected.join(', ')}`, token.at);
  }
}

/** TraceQL beyond the subset that starts with punctuation, by what the error calls it. */
const PUNCT_CONSTRUCTS: Readonly<Record<string, string>> = {
  '|': 'pipelines (|)',
  '>>': 'the structural operator >> (descendant)',
  '<<': 'the structural operator << (ancestor)',
  '!>>': 'the structural operator !>>',
  '!<<': 'the structural operator !<<',
  '~': 'the structural operator ~ (sibling)',
  '!': 'negation (!)',
  '+': 'arithmetic (+)',
  '-': 'arithmetic (-)',
  '*': 'arithmetic (*)',
  '/': 'arithmetic (/)',
  '%': 'arithmetic (%)',
  '^': 'arithmetic (^)',
};

/**
 * `pattern` as Tempo runs it: RE2, fully anchored. JavaScript's syntax is RE2's for what both have;
 * what RE2 lacks (lookaround, backreferences) is refused rather than run with another meaning.
 */
function anchoredRegex(pattern: string, at: number): RegExp {
  if (/\(\?<?[=!]/.test(pattern)) throw traceQlError('unsupported in a regular expression: lookaround (RE2 has none)', at);
  if (/\\[1-9]|\\k</.test(pattern)) throw traceQlError('unsupported in a regular expression: backreferences (RE2 has none)', at);
  try {
    return new RegExp(`^(?:${pattern})$`, 'su');
  } catch (error) {
    throw traceQlError(`a regular expression that does not compile: ${(error as Error).message}`, at);
  }
}
