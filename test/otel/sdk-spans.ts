/**
 * Real SDK spans for the otel tests: a BasicTracerProvider (sdk-trace-base 2.12) whose spans carry
 * every field an OTLP exporter sends: attributes of each type (arrays too, one with null elements), events, links with
 * trace state, an error status with a message, every kind, a remote parent with trace state.
 */
import { type Attributes, type Context, type HrTime, ROOT_CONTEXT, SpanKind, SpanStatusCode, type SpanContext, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

export const RESOURCE_ATTRIBUTES = { 'service.name': 'checkout', 'host.cores': 8, 'deployment.weight': 0.25, 'feature.on': true, tags: ['a', 'b'] };
export const REMOTE_PARENT: SpanContext = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: 1,
  isRemote: true,
  traceState: new TraceState('vendor=abc,other=x1'),
};
const LINKED: SpanContext = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 0, isRemote: false, traceState: new TraceState('k=v') };

/** The provider with `processors` plus an in-memory capture of every ReadableSpan, which it returns. */
export function providerWith(processors: SpanProcessor[]): { provider: BasicTracerProvider; captured: InMemorySpanExporter } {
  const captured = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(RESOURCE_ATTRIBUTES, { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }),
    spanProcessors: [...processors, new SimpleSpanProcessor(captured)],
  });
  return { provider, captured };
}

const T0: HrTime = [1_700_000_000, 123_456_789];

function at(offsetNanos: number): HrTime {
  const nanos = T0[1] + offsetNanos;
  return [T0[0] + Math.floor(nanos / 1e9), nanos % 1e9];
}

/** One trace under REMOTE_PARENT: a server span with every field, and one child of each other kind. */
export function emitTrace(provider: BasicTracerProvider, seq = 0): void {
  const tracer = provider.getTracer('shop.cart', '2.1.0', { schemaUrl: 'https://example.com/scope-schema' });
  const parent: Context = trace.setSpanContext(ROOT_CONTEXT, REMOTE_PARENT);
  const attributes: Attributes = {
    'http.method': 'POST',
    'http.status_code': 500,
    'big.int': 2 ** 53 + 2,
    'negative.int': -7,
    ratio: 0.75,
    'not.finite': Number.POSITIVE_INFINITY,
    ok: false,
    'strings': ['x', 'ü', '🙂'],
    'ints': [1, -2, 3_000_000_000],
    'doubles': [0.5, -1.25],
    'bools': [true, false],
    'empty': [],
    // The API allows null elements in an array; OTLP sends them as empty values, which are left out.
    'sparse': [1, null, 3, undefined] as (number | null | undefined)[],
    seq,
  };
  const root = tracer.startSpan('POST /cart', { kind: SpanKind.SERVER, attributes, startTime: at(0), links: [{ context: LINKED, attributes: { 'link.n': 1, why: 'retry' } }] }, parent);
  root.addEvent('exception', { 'exception.type': 'Error', 'exception.message': 'out of stock' }, at(1_500));
  root.addEvent('before start', {}, [T0[0] - 1, 0]);
  root.addLink({ context: { ...LINKED, spanId: '00f067aa0ba902b8', isRemote: true, traceFlags: 1 } });
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'cart failed' });
  const inside = trace.setSpan(parent, root);
  const kinds = [SpanKind.INTERNAL, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER];
  for (let i = 0; i < kinds.length; i++) {
    const child = tracer.startSpan(`child ${i}`, { kind: kinds[i], startTime: at(100 * (i + 1)) }, inside);
    if (i === 1) child.setStatus({ code: SpanStatusCode.OK });
    child.end(at(100 * (i + 1) + 50 + i));
  }
  root.end(at(5_000_000_000)); // 5 s: a duration past 2^32 ns
}

export type { ReadableSpan };
