/** The TraceQL subset of the search (data-format.md §9.1): its lexer, its recursive-descent parser and the typed AST it produces. */
export type { AttributeScope, Comparison, ComparisonOperator, Condition, Field, IntrinsicName, KindName, Literal, SpansetExpression, StatusName } from './ast.js';
export { KIND_CODES, STATUS_CODES } from './ast.js';
export { parseTraceQl } from './parser.js';
