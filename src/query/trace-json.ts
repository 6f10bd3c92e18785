/**
 * A stored trace as proto JSON ResourceSpans (data-format.md §8.3), as Tempo writes them (gogo
 * jsonpb: lowerCamelCase names, enums by name, 64-bit integers as decimal strings, bytes in
 * base64, default values left out) and as OTLP JSON writes them (the same, but ids in hex and
 * enums as numbers: the OTLP JSON rules, for Jaeger's /api/v3). A oneof member is written even at its default (`"boolValue": false`), and
 * a span's status always (`{}` when unset), as both do.
 */
import type { AttributeValue, Attributes, Span } from '../batch/types.js';
import { SPAN_KIND_NAMES, STATUS_CODE_NAMES } from '../otlp/otlp-fields.js';
import { groupSpans } from '../otlp/span-protobuf.js';

/** Tempo's proto JSON: base64 ids, enums by name. OTLP JSON (Jaeger's /api/v3): hex ids, enums as numbers. */
export type JsonDialect = 'tempo' | 'otlp';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The ResourceSpans of `spans`, as plain objects ready for JSON.stringify. */
export function resourceSpansJson(spans: readonly Span[], dialect: JsonDialect): Json[] {
  const otlp = dialect === 'otlp';
  const id = otlp ? (hex: string) => hex : (hex: string) => Buffer.from(hex, 'hex').toString('base64');
  // Every span of a trace repeats its traceId: its base64 is kept, one conversion a trace, not a span.
  let lastTraceHex = '';
  let lastTraceId = '';
  const traceId = otlp
    ? id
    : (hex: string) => {
        if (hex !== lastTraceHex) {
          lastTraceHex = hex;
          lastTraceId = id(hex);
        }
        return lastTraceId;
      };
  return groupSpans(spans).map(({ resource, scopes }) => {
    const out: { [key: string]: Json } = { resource: withCount(optionalAttributes(resource.attributes), resource.droppedAttributesCount) };
    out.scopeSpans = scopes.map(({ scope, spans: scoped }) => {
      const scopeJson: { [key: string]: Json } = {};
      if (scope.name) scopeJson.name = scope.name;
      if (scope.version) scopeJson.version = scope.version;
      const scopeSpans: { [key: string]: Json } = { scope: withCount(Object.assign(scopeJson, optionalAttributes(scope.attributes)), scope.droppedAttributesCount) };
      scopeSpans.spans = scoped.map((span) => spanJson(span, traceId, id, otlp));
      if (scope.schemaUrl) scopeSpans.schemaUrl = scope.schemaUrl;
      return scopeSpans;
    });
    if (resource.schemaUrl) out.schemaUrl = resource.schemaUrl;
    return out;
  });
}

function spanJson(span: Span, traceId: (hex: string) => string, id: (hex: string) => string, enumNumbers: boolean): Json {
  const out: { [key: string]: Json } = { traceId: traceId(span.traceId), spanId: id(span.spanId) };
  if (span.traceState) out.traceState = span.traceState;
  if (span.parentSpanId !== undefined) out.parentSpanId = id(span.parentSpanId);
  if (span.flags !== undefined) out.flags = span.flags;
  out.name = span.name;
  if (span.kind !== 0) out.kind = enumNumbers ? span.kind : (SPAN_KIND_NAMES[span.kind] ?? span.kind);
  if (span.startTimeUnixNano !== 0n) out.startTimeUnixNano = String(span.startTimeUnixNano);
  if (span.endTimeUnixNano !== 0n) out.endTimeUnixNano = String(span.endTimeUnixNano);
  // Assigned, not Object.assign'ed from optionalAttributes: this runs for every span of a reply.
  if (hasAny(span.attributes)) out.attributes = attributesJson(span.attributes);
  if (span.droppedAttributesCount) out.droppedAttributesCount = span.droppedAttributesCount;
  if (span.events.length > 0) {
    out.events = span.events.map((event) => {
      const eventJson: { [key: string]: Json } = {};
      if (event.timeUnixNano !== 0n) eventJson.timeUnixNano = String(event.timeUnixNano);
      if (event.name) eventJson.name = event.name;
      return withCount(Object.assign(eventJson, optionalAttributes(event.attributes)), event.droppedAttributesCount);
    });
  }
  if (span.droppedEventsCount) out.droppedEventsCount = span.droppedEventsCount;
  if (span.links.length > 0) {
    out.links = span.links.map((link) => {
      const linkJson: { [key: string]: Json } = { traceId: id(link.traceId), spanId: id(link.spanId) };
      if (link.traceState) linkJson.traceState = link.traceState;
      Object.assign(linkJson, optionalAttributes(link.attributes));
      if (link.droppedAttributesCount) linkJson.droppedAttributesCount = link.droppedAttributesCount;
      if (link.flags !== undefined) linkJson.flags = link.flags;
      return linkJson;
    });
  }
  if (span.droppedLinksCount) out.droppedLinksCount = span.droppedLinksCount;
  const status: { [key: string]: Json } = {};
  if (span.status.message) status.message = span.status.message;
  if (span.status.code !== 0) status.code = enumNumbers ? span.status.code : (STATUS_CODE_NAMES[span.status.code] ?? span.status.code);
  out.status = status;
  return out;
}

function withCount(message: { [key: string]: Json }, droppedAttributesCount: number): { [key: string]: Json } {
  if (droppedAttributesCount) message.droppedAttributesCount = droppedAttributesCount;
  return message;
}

function hasAny(attributes: Attributes): boolean {
  for (const _key in attributes) return true;
  return false;
}

function optionalAttributes(attributes: Attributes): { [key: string]: Json } {
  return hasAny(attributes) ? { attributes: attributesJson(attributes) } : {};
}

function attributesJson(attributes: Attributes): Json[] {
  const out: Json[] = [];
  for (const key in attributes) out.push({ key, value: anyValueJson(attributes[key]!) });
  return out;
}

function anyValueJson(value: AttributeValue): Json {
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'bigint':
      return { intValue: String(value) };
    case 'number':
      // Proto JSON spells the non-finite doubles as strings.
      return { doubleValue: Number.isFinite(value) ? value : String(value) };
    default:
      if (value instanceof Uint8Array) return { bytesValue: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
      if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValueJson) } };
      return { kvlistValue: { values: attributesJson(value) } };
  }
}
