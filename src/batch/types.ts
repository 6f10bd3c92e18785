/**
 * The span model: every field of an OTLP Span, with its resource and scope, so an OTLP receiver
 * round-trips spans losslessly. Encoding: data-format.md §2.4–2.5.
 */

/** OTLP AnyValue. `number` is a double (OTLP doubleValue); `bigint` is a 64-bit integer (OTLP intValue). */
export type AttributeValue =
  | string
  | number
  | boolean
  | bigint
  | Uint8Array
  | AttributeValue[]
  | { [key: string]: AttributeValue };

export type Attributes = Record<string, AttributeValue>;

/** OTLP SpanKind wire numbers. */
export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;

/** OTLP StatusCode. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export interface ResourceInput {
  attributes?: Attributes;
  droppedAttributesCount?: number;
  schemaUrl?: string;
}

export interface ScopeInput {
  name?: string;
  version?: string;
  attributes?: Attributes;
  droppedAttributesCount?: number;
  schemaUrl?: string;
}

/** A 16-byte Uint8Array, or 32 hex characters (either case). */
export type TraceIdInput = Uint8Array | string;
/** An 8-byte Uint8Array, or 16 hex characters (either case). */
export type SpanIdInput = Uint8Array | string;

export interface SpanEventInput {
  timeUnixNano: bigint;
  name: string;
  attributes?: Attributes;
  droppedAttributesCount?: number;
}

export interface SpanLinkInput {
  traceId: TraceIdInput;
  spanId: SpanIdInput;
  traceState?: string;
  attributes?: Attributes;
  droppedAttributesCount?: number;
  flags?: number;
}

export interface SpanStatus {
  code: 0 | 1 | 2;
  message?: string;
}

export interface SpanInput {
  traceId: TraceIdInput;
  spanId: SpanIdInput;
  parentSpanId?: SpanIdInput;
  name: string;
  kind?: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes?: Attributes;
  droppedAttributesCount?: number;
  events?: SpanEventInput[];
  droppedEventsCount?: number;
  links?: SpanLinkInput[];
  droppedLinksCount?: number;
  status?: SpanStatus;
  traceState?: string;
  flags?: number;
}

export interface Resource {
  attributes: Attributes;
  droppedAttributesCount: number;
  schemaUrl?: string;
}

export interface Scope {
  name?: string;
  version?: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  schemaUrl?: string;
}

export interface SpanEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState?: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags?: number;
}

/** A decoded span: ids as lowercase hex, times as bigint, every default filled in. */
export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  status: SpanStatus;
  traceState?: string;
  flags?: number;
  resource: Resource;
  scope: Scope;
}

/** A version-1 span as stored: the exact record bytes, with the ids and start time from its trailer entry. */
export interface RawRecordSpan {
  traceId: string;
  spanId: string;
  startTimeUnixNano: bigint;
  bytes: Uint8Array;
}

/**
 * A version-2 row as stored (data-format.md §2.7): its columns are not cut out per span, so a raw
 * read returns the whole batch once, in the trace's `batches`, and each row names its batch (an
 * index into `batches`) and its row there. Ids and start time come from the trailer and the search
 * section; nothing of the row's columns is decoded.
 */
export interface RawRowSpan {
  traceId: string;
  spanId: string;
  startTimeUnixNano: bigint;
  batch: number;
  row: number;
}

/** A span as stored, in its batch's version: record bytes (version 1) or a row of a batch (version 2). */
export type RawSpan = RawRecordSpan | RawRowSpan;
