/** Test-only: traces made by a real OpenTelemetry JS SDK, with every kind of attribute, events, a link, status and trace state. */
import { SpanKind, SpanStatusCode, TraceFlags, context, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

export const SERVICE = { 'service.name': 'checkout', 'service.version': '1.2.3', 'host.cores': 8 };

/** Three traces from a real SDK: a root with every kind of attribute, events and a link, and children. */
export function sdkSpans(prefix: string): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes(SERVICE), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('round-trip-lib', '0.9.1');
  const linked = { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceFlags: TraceFlags.SAMPLED, traceState: new TraceState('vendor=1') };
  for (let t = 0; t < 3; t++) {
    const root = tracer.startSpan(`${prefix}-root-${t}`, {
      kind: SpanKind.SERVER,
      startTime: [1_700_000_000 + t, 123_456_789],
      attributes: { 'http.method': 'GET', 'http.status_code': 200, ratio: 0.25, ok: true, tags: ['a', 'b'], counts: [1, 2, 3] },
      links: [{ context: linked, attributes: { why: 'batch' } }],
    });
    root.addEvent('cache miss', { key: 'k1' }, [1_700_000_000 + t, 500]);
    const child = tracer.startSpan(`${prefix}-child-${t}`, { kind: SpanKind.CLIENT, startTime: [1_700_000_000 + t, 200_000_000] }, trace.setSpan(context.active(), root));
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream 503' });
    child.end([1_700_000_000 + t, 300_000_000]);
    root.setStatus({ code: SpanStatusCode.OK });
    root.end([1_700_000_001 + t, 0]);
  }
  return exporter.getFinishedSpans();
}

