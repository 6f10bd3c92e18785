/**
 * Stored spans as OTLP protobuf (data-format.md §8.2): the body of Tempo's trace-by-ID replies and
 * of the bulk read's items. Every span field the store keeps is written (§7.1 is the mapping in the
 * other direction); proto3 defaults are left out, except a span's status, which is always written,
 * as the OpenTelemetry exporters do, and flags the store holds (0 included: a sender wrote them), so
 * that writing a stored span as OTLP and reading it back gives the same record.
 *
 * Two ways to the same bytes. The reader workers write each kept span as a Span field and each
 * batch's shared fields once (writeSharedFields); the main thread then puts a trace's pieces
 * together (writeResourceSpans), one ResourceSpans per stored batch, copying bytes, with no span
 * object crossing threads. writeTracesData writes decoded spans directly, grouping them by
 * resource and scope object (decoded spans of one batch share theirs): one ResourceSpans per batch
 * too, and the tests hold the two to the same bytes.
 */
import type { AttributeValue, Attributes, Resource, Scope, Span } from '../batch/types.js';
import {
  ANY_ARRAY,
  ANY_BOOL,
  ANY_BYTES,
  ANY_DOUBLE,
  ANY_INT,
  ANY_KVLIST,
  ANY_STRING,
  EVENT_ATTRIBUTES,
  EVENT_DROPPED_ATTRIBUTES_COUNT,
  EVENT_NAME,
  EVENT_TIME,
  KEY_VALUE_KEY,
  KEY_VALUE_VALUE,
  LINK_ATTRIBUTES,
  LINK_DROPPED_ATTRIBUTES_COUNT,
  LINK_FLAGS,
  LINK_SPAN_ID,
  LINK_TRACE_ID,
  LINK_TRACE_STATE,
  LIST_VALUES,
  RESOURCE_ATTRIBUTES,
  RESOURCE_DROPPED_ATTRIBUTES_COUNT,
  RESOURCE_SPANS_RESOURCE,
  RESOURCE_SPANS_SCHEMA_URL,
  RESOURCE_SPANS_SCOPE_SPANS,
  SCOPE_ATTRIBUTES,
  SCOPE_DROPPED_ATTRIBUTES_COUNT,
  SCOPE_NAME,
  SCOPE_SPANS_SCHEMA_URL,
  SCOPE_SPANS_SCOPE,
  SCOPE_SPANS_SPANS,
  SCOPE_VERSION,
  SPAN_ATTRIBUTES,
  SPAN_DROPPED_ATTRIBUTES_COUNT,
  SPAN_DROPPED_EVENTS_COUNT,
  SPAN_DROPPED_LINKS_COUNT,
  SPAN_END_TIME,
  SPAN_EVENTS,
  SPAN_FLAGS,
  SPAN_KIND,
  SPAN_LINKS,
  SPAN_NAME,
  SPAN_PARENT_SPAN_ID,
  SPAN_SPAN_ID,
  SPAN_START_TIME,
  SPAN_STATUS,
  SPAN_TRACE_ID,
  SPAN_TRACE_STATE,
  STATUS_CODE,
  STATUS_MESSAGE,
  TRACES_DATA_RESOURCE_SPANS,
} from './otlp-fields.js';
import type { ProtobufBuilder } from '../codec/protobuf-builder.js';

/** One resource's spans, by scope: what a ResourceSpans holds. */
export interface ResourceGroup {
  resource: Resource;
  scopes: { scope: Scope; spans: Span[] }[];
}

/** The spans grouped by resource, then scope, by object identity, in first-seen order. */
export function groupSpans(spans: readonly Span[]): ResourceGroup[] {
  const groups = new Map<Resource, { group: ResourceGroup; byScope: Map<Scope, Span[]> }>();
  for (const span of spans) {
    let entry = groups.get(span.resource);
    if (entry === undefined) {
      entry = { group: { resource: span.resource, scopes: [] }, byScope: new Map() };
      groups.set(span.resource, entry);
    }
    let scoped = entry.byScope.get(span.scope);
    if (scoped === undefined) {
      scoped = [];
      entry.byScope.set(span.scope, scoped);
      entry.group.scopes.push({ scope: span.scope, spans: scoped });
    }
    scoped.push(span);
  }
  return [...groups.values()].map((entry) => entry.group);
}

/** Writes the fields of a TracesData (or Tempo's wire-identical Trace) into `out`, at its current message level. */
export function writeTracesData(out: ProtobufBuilder, spans: readonly Span[]): void {
  for (const group of groupSpans(spans)) {
    out.begin(TRACES_DATA_RESOURCE_SPANS);
    writeResourceField(out, group.resource);
    for (const { scope, spans: scoped } of group.scopes) {
      out.begin(RESOURCE_SPANS_SCOPE_SPANS);
      writeScopeField(out, scope);
      for (const span of scoped) writeSpan(out, span);
      if (scope.schemaUrl) out.string(SCOPE_SPANS_SCHEMA_URL, scope.schemaUrl);
      out.end();
    }
    if (group.resource.schemaUrl) out.string(RESOURCE_SPANS_SCHEMA_URL, group.resource.schemaUrl);
    out.end();
  }
}

/**
 * What writeSharedFields records per batch: where its fields start in the buffer, then the lengths
 * of ResourceSpans.resource, ScopeSpans.scope, ScopeSpans.schema_url and ResourceSpans.schema_url
 * (0 when left out), which lie back to back in that order.
 */
export const SHARED_FIELDS_ENTRY = 5;

/**
 * Appends the fields a batch's spans share in their ResourceSpans to `out`, and records where they
 * are in `entries` at `at` (SHARED_FIELDS_ENTRY numbers).
 */
export function writeSharedFields(out: ProtobufBuilder, resource: Resource, scope: Scope, entries: Uint32Array, at: number): void {
  entries[at] = out.length;
  let mark = out.length;
  const lengthSince = () => {
    const length = out.length - mark;
    mark = out.length;
    return length;
  };
  writeResourceField(out, resource);
  entries[at + 1] = lengthSince();
  writeScopeField(out, scope);
  entries[at + 2] = lengthSince();
  if (scope.schemaUrl) out.string(SCOPE_SPANS_SCHEMA_URL, scope.schemaUrl);
  entries[at + 3] = lengthSince();
  if (resource.schemaUrl) out.string(RESOURCE_SPANS_SCHEMA_URL, resource.schemaUrl);
  entries[at + 4] = lengthSince();
}

/**
 * One ResourceSpans field of a TracesData, from pieces in `source`: the shared fields recorded in
 * `entries` at `at` (writeSharedFields), and Span fields (writeSpan) at [start, end) pairs of `spans`.
 */
export function writeResourceSpans(out: ProtobufBuilder, source: Uint8Array, entries: Uint32Array, at: number, spans: readonly number[]): void {
  const from = entries[at]!;
  const resourceEnd = from + entries[at + 1]!;
  const scopeEnd = resourceEnd + entries[at + 2]!;
  const scopeSchemaEnd = scopeEnd + entries[at + 3]!;
  const resourceSchemaEnd = scopeSchemaEnd + entries[at + 4]!;
  out.begin(TRACES_DATA_RESOURCE_SPANS);
  out.raw(source, from, resourceEnd);
  out.begin(RESOURCE_SPANS_SCOPE_SPANS);
  out.raw(source, resourceEnd, scopeEnd);
  for (let i = 0; i < spans.length; i += 2) out.raw(source, spans[i]!, spans[i + 1]!);
  out.raw(source, scopeEnd, scopeSchemaEnd);
  out.end();
  out.raw(source, scopeSchemaEnd, resourceSchemaEnd);
  out.end();
}

function writeResourceField(out: ProtobufBuilder, resource: Resource): void {
  out.begin(RESOURCE_SPANS_RESOURCE);
  writeAttributes(out, RESOURCE_ATTRIBUTES, resource.attributes);
  out.uint(RESOURCE_DROPPED_ATTRIBUTES_COUNT, resource.droppedAttributesCount);
  out.end();
}

function writeScopeField(out: ProtobufBuilder, scope: Scope): void {
  out.begin(SCOPE_SPANS_SCOPE);
  if (scope.name) out.string(SCOPE_NAME, scope.name);
  if (scope.version) out.string(SCOPE_VERSION, scope.version);
  writeAttributes(out, SCOPE_ATTRIBUTES, scope.attributes);
  out.uint(SCOPE_DROPPED_ATTRIBUTES_COUNT, scope.droppedAttributesCount);
  out.end();
}

/** One span as a ScopeSpans.spans field. */
export function writeSpan(out: ProtobufBuilder, span: Span): void {
  out.begin(SCOPE_SPANS_SPANS);
  out.hexBytes(SPAN_TRACE_ID, span.traceId);
  out.hexBytes(SPAN_SPAN_ID, span.spanId);
  if (span.traceState) out.string(SPAN_TRACE_STATE, span.traceState);
  if (span.parentSpanId !== undefined) out.hexBytes(SPAN_PARENT_SPAN_ID, span.parentSpanId);
  out.string(SPAN_NAME, span.name);
  out.uint(SPAN_KIND, span.kind);
  out.fixed64(SPAN_START_TIME, span.startTimeUnixNano);
  out.fixed64(SPAN_END_TIME, span.endTimeUnixNano);
  writeAttributes(out, SPAN_ATTRIBUTES, span.attributes);
  out.uint(SPAN_DROPPED_ATTRIBUTES_COUNT, span.droppedAttributesCount);
  for (const event of span.events) {
    out.begin(SPAN_EVENTS);
    out.fixed64(EVENT_TIME, event.timeUnixNano);
    out.string(EVENT_NAME, event.name);
    writeAttributes(out, EVENT_ATTRIBUTES, event.attributes);
    out.uint(EVENT_DROPPED_ATTRIBUTES_COUNT, event.droppedAttributesCount);
    out.end();
  }
  out.uint(SPAN_DROPPED_EVENTS_COUNT, span.droppedEventsCount);
  for (const link of span.links) {
    out.begin(SPAN_LINKS);
    out.hexBytes(LINK_TRACE_ID, link.traceId);
    out.hexBytes(LINK_SPAN_ID, link.spanId);
    if (link.traceState) out.string(LINK_TRACE_STATE, link.traceState);
    writeAttributes(out, LINK_ATTRIBUTES, link.attributes);
    out.uint(LINK_DROPPED_ATTRIBUTES_COUNT, link.droppedAttributesCount);
    if (link.flags !== undefined) out.fixed32(LINK_FLAGS, link.flags, true);
    out.end();
  }
  out.uint(SPAN_DROPPED_LINKS_COUNT, span.droppedLinksCount);
  out.begin(SPAN_STATUS);
  if (span.status.message) out.string(STATUS_MESSAGE, span.status.message);
  out.uint(STATUS_CODE, span.status.code);
  out.end();
  if (span.flags !== undefined) out.fixed32(SPAN_FLAGS, span.flags, true);
  out.end();
}

/** Repeated KeyValue `field`, one per attribute, in the map's order. */
function writeAttributes(out: ProtobufBuilder, field: number, attributes: Attributes): void {
  for (const key in attributes) {
    out.begin(field);
    out.string(KEY_VALUE_KEY, key);
    writeAnyValue(out, KEY_VALUE_VALUE, attributes[key]!);
    out.end();
  }
}

function writeAnyValue(out: ProtobufBuilder, field: number, value: AttributeValue): void {
  out.begin(field);
  switch (typeof value) {
    case 'string':
      out.string(ANY_STRING, value);
      break;
    // A oneof member is written even at its default: it says which value is set.
    case 'boolean':
      out.uint(ANY_BOOL, value ? 1 : 0, true);
      break;
    case 'bigint':
      out.int64(ANY_INT, value, true);
      break;
    case 'number':
      out.double(ANY_DOUBLE, value);
      break;
    default:
      if (value instanceof Uint8Array) out.bytesField(ANY_BYTES, value);
      else if (Array.isArray(value)) {
        out.begin(ANY_ARRAY);
        for (const item of value) writeAnyValue(out, LIST_VALUES, item);
        out.end();
      } else {
        out.begin(ANY_KVLIST);
        writeAttributes(out, LIST_VALUES, value);
        out.end();
      }
  }
  out.end();
}
