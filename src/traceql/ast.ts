/**
 * The parsed form of the TraceQL subset (data-format.md §9.1): what the parser gives the search and
 * nothing else has to read TraceQL text again. Values are typed here, at parse time, so a search
 * compares numbers with numbers and never guesses.
 */

/** A whole query: spansets joined by `&&` (each must match a span of the trace) and `||`. */
export type SpansetExpression =
  | { type: 'spanset'; condition: Condition | null }
  | { type: 'and' | 'or'; left: SpansetExpression; right: SpansetExpression };

/** What one span must satisfy inside `{ … }`: comparisons joined by `&&` and `||`. */
export type Condition = Comparison | { type: 'and' | 'or'; left: Condition; right: Condition };

export type ComparisonOperator = '=' | '!=' | '>' | '>=' | '<' | '<=' | '=~' | '!~';

export interface Comparison {
  type: 'compare';
  field: Field;
  operator: ComparisonOperator;
  value: Literal;
  /** For `=~` and `!~`: the pattern, anchored at both ends as Tempo's are. */
  regex?: RegExp;
}

/** Span and trace intrinsics, by their unscoped names (`span:name` is `name`, `trace:rootService` is `rootServiceName`). */
export type IntrinsicName = 'name' | 'status' | 'duration' | 'kind' | 'rootServiceName' | 'rootName' | 'traceDuration';

/** `resource.x`, `span.x`, or `.x` (either scope). */
export type AttributeScope = 'resource' | 'span' | 'any';

export type Field = { type: 'intrinsic'; name: IntrinsicName } | { type: 'attribute'; scope: AttributeScope; name: string };

/** OTLP Status.code names, as TraceQL writes them. */
export type StatusName = 'unset' | 'ok' | 'error';
/** OTLP Span.kind names, as TraceQL writes them. */
export type KindName = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export type Literal =
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  | { type: 'duration'; nanos: number }
  | { type: 'bool'; value: boolean }
  | { type: 'status'; value: StatusName }
  | { type: 'kind'; value: KindName };

/** OTLP's numbers for the names above (StatusCode, SpanKind). */
export const STATUS_CODES: Readonly<Record<StatusName, number>> = { unset: 0, ok: 1, error: 2 };
export const KIND_CODES: Readonly<Record<KindName, number>> = { unspecified: 0, internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
