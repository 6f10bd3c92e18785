/**
 * OTLP protobuf field numbers, the one table for the request reader (protobuf-transcoder.ts) and
 * the writers of the query faces (src/query/). Facts from opentelemetry-proto: collector/trace/v1
 * (ExportTraceServiceRequest), trace/v1 (TracesData, ResourceSpans, ScopeSpans, Span, Span.Event,
 * Span.Link, Status), common/v1 (InstrumentationScope, KeyValue, AnyValue, ArrayValue,
 * KeyValueList) and resource/v1 (Resource).
 */
/** TracesData.resource_spans, and ExportTraceServiceRequest.resource_spans: the same field, so a reply and a request share their bytes. */
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

export const SPAN_TRACE_ID = 1;
export const SPAN_SPAN_ID = 2;
export const SPAN_TRACE_STATE = 3;
export const SPAN_PARENT_SPAN_ID = 4;
export const SPAN_NAME = 5;
export const SPAN_KIND = 6;
export const SPAN_START_TIME = 7;
export const SPAN_END_TIME = 8;
export const SPAN_ATTRIBUTES = 9;
export const SPAN_DROPPED_ATTRIBUTES_COUNT = 10;
export const SPAN_EVENTS = 11;
export const SPAN_DROPPED_EVENTS_COUNT = 12;
export const SPAN_LINKS = 13;
export const SPAN_DROPPED_LINKS_COUNT = 14;
export const SPAN_STATUS = 15;
export const SPAN_FLAGS = 16;

export const EVENT_TIME = 1;
export const EVENT_NAME = 2;
export const EVENT_ATTRIBUTES = 3;
export const EVENT_DROPPED_ATTRIBUTES_COUNT = 4;

export const LINK_TRACE_ID = 1;
export const LINK_SPAN_ID = 2;
export const LINK_TRACE_STATE = 3;
export const LINK_ATTRIBUTES = 4;
export const LINK_DROPPED_ATTRIBUTES_COUNT = 5;
export const LINK_FLAGS = 6;

export const STATUS_MESSAGE = 2;
export const STATUS_CODE = 3;

export const KEY_VALUE_KEY = 1;
export const KEY_VALUE_VALUE = 2;
export const ANY_STRING = 1;
export const ANY_BOOL = 2;
export const ANY_INT = 3;
export const ANY_DOUBLE = 4;
export const ANY_ARRAY = 5;
export const ANY_KVLIST = 6;
export const ANY_BYTES = 7;
/** ArrayValue.values and KeyValueList.values. */
export const LIST_VALUES = 1;

/** OTLP enum names, by wire number: proto JSON writes enums by name. */
export const SPAN_KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'] as const;
export const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'] as const;
