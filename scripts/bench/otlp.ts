/**
 * The size of the same spans as OTLP protobuf, the wire format collectors receive: each span becomes
 * a minimal ReadableSpan (what an OTel SDK hands its exporter) and every OTLP_REQUEST_SPANS of them
 * are serialized by @opentelemetry/otlp-transformer into one ExportTraceServiceRequest, resources
 * and scopes grouped inside it as an exporter would. Uncompressed, as OTLP/HTTP sends by default.
 */
import type { Attributes as OtelAttributes, HrTime, Link, SpanContext, TraceState } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes, type Resource as OtelResource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { AttributeValue, Attributes, SpanIdInput, SpanInput } from '../../src/index.js';
import type { WorkloadTrace } from '../../src/workload/replay.js';
import { OTLP_REQUEST_SPANS, SCOPE } from './constants.js';

export interface OtlpSize {
  spans: number;
  requests: number;
  /** Bytes of every serialized ExportTraceServiceRequest. */
  bytes: number;
  bytesPerSpan: number;
  spansPerRequest: number;
}

const NANOS_PER_SECOND = 1_000_000_000n;
/** W3C trace flags "sampled": what an SDK sets on every span it exports. */
const TRACE_FLAGS_SAMPLED = 1;

export class OtlpSizer {
  private readonly resources = new Map<string, OtelResource>();
  private readonly scope = { name: SCOPE.name, version: SCOPE.version };
  private pending: ReadableSpan[] = [];
  private spans = 0;
  private requests = 0;
  private bytes = 0;

  add(trace: WorkloadTrace): void {
    for (const [service, spans] of trace.spansByService) {
      const resource = this.resourceOf(service);
      for (const span of spans) {
        this.pending.push(readableSpan(span, resource, this.scope));
        if (this.pending.length === OTLP_REQUEST_SPANS) this.serializePending();
      }
    }
  }

  finish(): OtlpSize {
    if (this.pending.length > 0) this.serializePending();
    return {
      spans: this.spans,
      requests: this.requests,
      bytes: this.bytes,
      bytesPerSpan: this.bytes / this.spans,
      spansPerRequest: this.spans / this.requests,
    };
  }

  private serializePending(): void {
    const request = ProtobufTraceSerializer.serializeRequest(this.pending);
    if (request === undefined) throw new Error(`OTLP serializer returned nothing for ${this.pending.length} spans`);
    this.bytes += request.length;
    this.spans += this.pending.length;
    this.requests++;
    this.pending = [];
  }

  private resourceOf(service: string): OtelResource {
    let resource = this.resources.get(service);
    // One object per service: the serializer groups spans by resource identity.
    if (resource === undefined) this.resources.set(service, (resource = resourceFromAttributes({ 'service.name': service })));
    return resource;
  }
}

export function readableSpan(span: SpanInput, resource: OtelResource, scope: ReadableSpan['instrumentationScope']): ReadableSpan {
  const traceId = idHex(span.traceId);
  const traceFlags = span.flags === undefined ? TRACE_FLAGS_SAMPLED : span.flags & 0xff;
  const context: SpanContext = { traceId, spanId: idHex(span.spanId), traceFlags };
  if (span.traceState !== undefined) context.traceState = traceStateOf(span.traceState);
  const startTime = hrTime(span.startTimeUnixNano);
  const endTime = hrTime(span.endTimeUnixNano);
  const readable: ReadableSpan = {
    name: span.name,
    // OTLP numbers SpanKind from 1 (INTERNAL); the API from 0; the serializer adds the 1 back.
    kind: Math.max(0, (span.kind ?? 1) - 1),
    spanContext: () => context,
    startTime,
    endTime,
    duration: hrTime(span.endTimeUnixNano - span.startTimeUnixNano),
    ended: true,
    status: { code: span.status?.code ?? 0, ...(span.status?.message ? { message: span.status.message } : {}) },
    attributes: otelAttributes(span.attributes),
    links: (span.links ?? []).map(
      (link): Link => ({
        context: { traceId: idHex(link.traceId), spanId: idHex(link.spanId), traceFlags: link.flags ?? 0 },
        attributes: otelAttributes(link.attributes),
        droppedAttributesCount: link.droppedAttributesCount ?? 0,
      }),
    ),
    events: (span.events ?? []).map(
      (event): TimedEvent => ({
        time: hrTime(event.timeUnixNano),
        name: event.name,
        attributes: otelAttributes(event.attributes),
        droppedAttributesCount: event.droppedAttributesCount ?? 0,
      }),
    ),
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: span.droppedAttributesCount ?? 0,
    droppedEventsCount: span.droppedEventsCount ?? 0,
    droppedLinksCount: span.droppedLinksCount ?? 0,
  };
  if (span.parentSpanId !== undefined) {
    return { ...readable, parentSpanContext: { traceId, spanId: idHex(span.parentSpanId), traceFlags } };
  }
  return readable;
}

function hrTime(unixNano: bigint): HrTime {
  return [Number(unixNano / NANOS_PER_SECOND), Number(unixNano % NANOS_PER_SECOND)];
}

function idHex(id: SpanIdInput): string {
  return typeof id === 'string' ? id.toLowerCase() : Buffer.from(id).toString('hex');
}

function traceStateOf(text: string): TraceState {
  // Only serialize() is read by the exporter.
  return { serialize: () => text } as TraceState;
}

/** OTel attribute values have no bigint; OTLP's int64 carries it as a number. Nested values pass as they are. */
function otelAttributes(attributes: Attributes | undefined): OtelAttributes {
  if (attributes === undefined) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attributes)) out[key] = otelValue(value);
  return out as OtelAttributes;
}

function otelValue(value: AttributeValue): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(otelValue);
  return value;
}
