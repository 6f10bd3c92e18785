/**
 * OTLP protobuf field numbers for the messages a trace is written in, for the writers of the query
 * faces (src/query/). Facts from opentelemetry-proto: trace/v1 (TracesData, ResourceSpans,
 * ScopeSpans, Span, Span.Event, Span.Link, Status), common/v1 (InstrumentationScope, KeyValue,
 * AnyValue, ArrayValue, KeyValueList) and resource/v1 (Resource). The request reader
 * (protobuf-transcoder.ts) keeps the same numbers beside its hot loops as module-local constants.
 */
export const TRACES_DATA_RESOURCE_SPANS = 1;

export const RESOURCE_SPANS_RESOURCE = 1;
export const RESOURCE_SPANS_SCOPE_SPANS = 2;
export const RESOURCE_SPANS_SCHEMA_URL = 3;
export const RESOURCE_ATTRIBUTES = 1;
export const RESOURCE_DROPPED_ATTRIBUTES_COUNT = 2;

export const SCOPE_SPANS_SCOPE = 1;
export const SCOPE_SPANS_SPANS = 2;
export const SCOPE_SPANS_SCHEMA_URL = 3;
export const SCOPE_NAME = 1;
export const SCOPE_VERSION = 2;
export const SCOPE_ATTRIBUTES = 3;
export const SCOPE_DROPPED_ATTRIBUTES_COUNT = 4;

export const SPAN = {
  traceId: 1,
  spanId: 2,
  traceState: 3,
  parentSpanId: 4,
  name: 5,
  kind: 6,
  startTimeUnixNano: 7,
  endTimeUnixNano: 8,
  attributes: 9,
  droppedAttributesCount: 10,
  events: 11,
  droppedEventsCount: 12,
  links: 13,
  droppedLinksCount: 14,
  status: 15,
  flags: 16,
} as const;

export const EVENT = { timeUnixNano: 1, name: 2, attributes: 3, droppedAttributesCount: 4 } as const;
export const LINK = { traceId: 1, spanId: 2, traceState: 3, attributes: 4, droppedAttributesCount: 5, flags: 6 } as const;
export const STATUS = { message: 2, code: 3 } as const;

export const KEY_VALUE_KEY = 1;
export const KEY_VALUE_VALUE = 2;
export const ANY_VALUE = { string: 1, bool: 2, int: 3, double: 4, array: 5, kvlist: 6, bytes: 7 } as const;
/** ArrayValue.values and KeyValueList.values. */
export const LIST_VALUES = 1;

/** OTLP enum names, by wire number: proto JSON writes enums by name. */
export const SPAN_KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'] as const;
export const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'] as const;
