/**
 * The decoded form of a span input, built independently of the codec: what decodeBatch must
 * return for it (ids as lowercase hex, defaults filled, byte arrays as plain Uint8Array).
 */
import { SPAN_ID_BYTES, TRACE_ID_BYTES } from '../../src/constants.js';
import type {
  Attributes,
  AttributeValue,
  Resource,
  ResourceInput,
  Scope,
  ScopeInput,
  Span,
  SpanIdInput,
  SpanInput,
  SpanLink,
  SpanStatus,
  TraceIdInput,
} from '../../src/batch/types.js';

export function idHex(id: TraceIdInput | SpanIdInput, bytes: number): string {
  if (typeof id === 'string') return id.toLowerCase();
  expectLength(id, bytes);
  return Buffer.from(id).toString('hex');
}

function expectLength(id: Uint8Array, bytes: number): void {
  if (id.length !== bytes) throw new Error(`test id has ${id.length} bytes; want ${bytes}`);
}

export function normalizeValue(value: AttributeValue): AttributeValue {
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : value;
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(normalizeValue);
  if (typeof value === 'object') return normalizeAttributes(value);
  return value;
}

export function normalizeAttributes(attributes: Attributes | undefined): Attributes {
  const out: Attributes = {};
  for (const key of Object.keys(attributes ?? {})) {
    Object.defineProperty(out, key, {
      value: normalizeValue(attributes![key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

export function expectedResource(input: ResourceInput): Resource {
  const resource: Resource = {
    attributes: normalizeAttributes(input.attributes),
    droppedAttributesCount: input.droppedAttributesCount ?? 0,
  };
  if (input.schemaUrl !== undefined) resource.schemaUrl = input.schemaUrl;
  return resource;
}

export function expectedScope(input: ScopeInput | undefined): Scope {
  const scope: Scope = {
    attributes: normalizeAttributes(input?.attributes),
    droppedAttributesCount: input?.droppedAttributesCount ?? 0,
  };
  if (input?.name !== undefined) scope.name = input.name;
  if (input?.version !== undefined) scope.version = input.version;
  if (input?.schemaUrl !== undefined) scope.schemaUrl = input.schemaUrl;
  return scope;
}

export function expectedSpan(input: SpanInput, resource: Resource, scope: Scope): Span {
  const status: SpanStatus = { code: input.status?.code ?? 0 };
  if (input.status?.message !== undefined && input.status.message !== '') status.message = input.status.message;
  const span: Span = {
    traceId: idHex(input.traceId, TRACE_ID_BYTES),
    spanId: idHex(input.spanId, SPAN_ID_BYTES),
    name: input.name,
    kind: input.kind ?? 0,
    startTimeUnixNano: input.startTimeUnixNano,
    endTimeUnixNano: input.endTimeUnixNano,
    attributes: normalizeAttributes(input.attributes),
    droppedAttributesCount: input.droppedAttributesCount ?? 0,
    events: (input.events ?? []).map((event) => ({
      timeUnixNano: event.timeUnixNano,
      name: event.name,
      attributes: normalizeAttributes(event.attributes),
      droppedAttributesCount: event.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: input.droppedEventsCount ?? 0,
    links: (input.links ?? []).map((link) => {
      const out: SpanLink = {
        traceId: idHex(link.traceId, TRACE_ID_BYTES),
        spanId: idHex(link.spanId, SPAN_ID_BYTES),
        attributes: normalizeAttributes(link.attributes),
        droppedAttributesCount: link.droppedAttributesCount ?? 0,
      };
      if (link.traceState !== undefined) out.traceState = link.traceState;
      if (link.flags !== undefined) out.flags = link.flags;
      return out;
    }),
    droppedLinksCount: input.droppedLinksCount ?? 0,
    status,
    resource,
    scope,
  };
  if (input.parentSpanId !== undefined) span.parentSpanId = idHex(input.parentSpanId, SPAN_ID_BYTES);
  if (input.traceState !== undefined) span.traceState = input.traceState;
  if (input.flags !== undefined) span.flags = input.flags;
  return span;
}
