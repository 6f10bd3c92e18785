/**
 * A stored trace in Jaeger's internal JSON, the shape the Jaeger UI reads from `/api/traces/<id>`
 * (data-format.md §8.5), translated from OTLP as OpenTelemetry's Jaeger mapping says:
 * - the resource is the span's process: `service.name` its serviceName, the other attributes its
 *   tags; one process per resource, keyed p1, p2, … in first-seen order;
 * - the parent is a CHILD_OF reference, first; each link a FOLLOWS_FROM reference after it;
 * - kind is the `span.kind` tag (none for INTERNAL or UNSPECIFIED); status is `otel.status_code`
 *   (OK or ERROR) and `otel.status_description`, with `error: true` for ERROR; the scope is
 *   `otel.scope.name` / `otel.scope.version`; a trace state `w3c.tracestate`; dropped counts
 *   `otel.dropped_attributes_count`, `otel.dropped_events_count`, `otel.dropped_links_count`;
 * - each event is a log: its time, an `event` field holding its name (an `event` attribute wins),
 *   then its attributes;
 * - times and durations are microseconds, truncated; attribute values are typed tags (`string`,
 *   `bool`, `int64`, `float64`, `binary` as base64), arrays and maps a JSON string.
 */
import type { Span, Trace } from '../api/index.js';
import type { AttributeValue, Attributes } from '../batch/types.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

type Tag = {
  key: string;
  type: 'string' | 'bool' | 'int64' | 'float64' | 'binary';
  value: string | number | boolean;
};

/** OTLP SpanKind number → Jaeger's `span.kind` value; INTERNAL and UNSPECIFIED get no tag. */
const SPAN_KIND_TAG_VALUES: Record<number, string> = { 2: 'server', 3: 'client', 4: 'producer', 5: 'consumer' };
const STATUS_CODE_TAG_VALUES: Record<number, string> = { 1: 'OK', 2: 'ERROR' };
const STATUS_ERROR = 2;
const SERVICE_NAME_KEY = 'service.name';
/** Jaeger's serviceName for a resource without service.name (the Collector's translator uses the same). */
const NO_SERVICE_NAME = 'OTLPResourceNoServiceName';
const NANOS_PER_MICRO = 1000n;
/** OTLP span flags hold the W3C trace flags in bits 0–7; Jaeger's `flags` is those alone. */
const TRACE_FLAGS_MASK = 0xff;
/** A 64-bit-wide half of an id: Jaeger writes a trace id whose high half is zero as its low half alone. */
const HALF_ID_HEX_CHARS = 16;

/** Jaeger's spelling of a trace id: 32 hex digits, or 16 when the high half is zero. */
export function jaegerTraceId(hex: string): string {
  return hex.startsWith('0'.repeat(HALF_ID_HEX_CHARS)) ? hex.slice(HALF_ID_HEX_CHARS) : hex;
}

/** The `data` element of `/api/traces/<id>`: traceID, spans, processes. */
export function jaegerTraceJson(trace: Trace<Span>): Json {
  const processIds = new Map<Span['resource'], string>();
  const processes: { [key: string]: Json } = {};
  const spans = trace.spans.map((span) => {
    let processId = processIds.get(span.resource);
    if (processId === undefined) {
      processId = `p${processIds.size + 1}`;
      processIds.set(span.resource, processId);
      processes[processId] = processJson(span.resource.attributes);
    }
    return spanJson(span, processId);
  });
  return { traceID: jaegerTraceId(trace.traceId), spans, processes, warnings: null };
}

function processJson(attributes: Attributes): Json {
  const name = attributes[SERVICE_NAME_KEY];
  const tags: Json[] = [];
  for (const key in attributes) if (key !== SERVICE_NAME_KEY) tags.push(tagJson(key, attributes[key]!));
  return { serviceName: typeof name === 'string' ? name : NO_SERVICE_NAME, tags };
}

function spanJson(span: Span, processID: string): Json {
  const traceID = jaegerTraceId(span.traceId);
  const references: Json[] = [];
  if (span.parentSpanId !== undefined) references.push({ refType: 'CHILD_OF', traceID, spanID: span.parentSpanId });
  for (const link of span.links) references.push({ refType: 'FOLLOWS_FROM', traceID: jaegerTraceId(link.traceId), spanID: link.spanId });
  const tags: Json[] = [];
  for (const key in span.attributes) tags.push(tagJson(key, span.attributes[key]!));
  const kind = SPAN_KIND_TAG_VALUES[span.kind];
  if (kind !== undefined) tags.push({ key: 'span.kind', type: 'string', value: kind });
  const status = STATUS_CODE_TAG_VALUES[span.status.code];
  if (status !== undefined) tags.push({ key: 'otel.status_code', type: 'string', value: status });
  if (span.status.message) tags.push({ key: 'otel.status_description', type: 'string', value: span.status.message });
  if (span.status.code === STATUS_ERROR) tags.push({ key: 'error', type: 'bool', value: true });
  if (span.scope.name) tags.push({ key: 'otel.scope.name', type: 'string', value: span.scope.name });
  if (span.scope.version) tags.push({ key: 'otel.scope.version', type: 'string', value: span.scope.version });
  if (span.traceState) tags.push({ key: 'w3c.tracestate', type: 'string', value: span.traceState });
  if (span.droppedAttributesCount) tags.push({ key: 'otel.dropped_attributes_count', type: 'int64', value: span.droppedAttributesCount });
  if (span.droppedEventsCount) tags.push({ key: 'otel.dropped_events_count', type: 'int64', value: span.droppedEventsCount });
  if (span.droppedLinksCount) tags.push({ key: 'otel.dropped_links_count', type: 'int64', value: span.droppedLinksCount });
  const logs = span.events.map((event) => {
    const fields: Json[] = [];
    if (!('event' in event.attributes)) fields.push({ key: 'event', type: 'string', value: event.name });
    for (const key in event.attributes) fields.push(tagJson(key, event.attributes[key]!));
    return { timestamp: micros(event.timeUnixNano), fields };
  });
  return {
    traceID,
    spanID: span.spanId,
    flags: (span.flags ?? 0) & TRACE_FLAGS_MASK,
    operationName: span.name,
    references,
    startTime: micros(span.startTimeUnixNano),
    duration: micros(span.endTimeUnixNano - span.startTimeUnixNano),
    tags,
    logs,
    processID,
    warnings: null,
  };
}

function micros(nanos: bigint): number {
  return Number(nanos / NANOS_PER_MICRO);
}

function tagJson(key: string, value: AttributeValue): Tag {
  switch (typeof value) {
    case 'string':
      return { key, type: 'string', value };
    case 'boolean':
      return { key, type: 'bool', value };
    case 'bigint':
      // A JSON number, as Jaeger writes int64 tags; past 2^53 it is the nearest double.
      return { key, type: 'int64', value: Number(value) };
    case 'number':
      return { key, type: 'float64', value };
    default:
      if (value instanceof Uint8Array) return { key, type: 'binary', value: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
      return { key, type: 'string', value: JSON.stringify(plainOf(value)) };
  }
}

/** An array or map attribute as plain JSON: bigints as numbers, bytes as base64. */
function plainOf(value: AttributeValue): Json {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(plainOf);
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const key in value) out[key] = plainOf(value[key]!);
    return out;
  }
  return value;
}
