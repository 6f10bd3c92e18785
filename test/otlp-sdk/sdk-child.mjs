// The SDK side of test/otlp-sdk: a real OpenTelemetry JS SDK (sdk-trace-base 2.12) in a process of its
// own, as an application runs it, exporting through ONE sender chosen by argv[2] (JSON, a SenderSpec
// of sdk-run.ts): an OTLP exporter (proto, JSON or gRPC, configured by constructor options or only by
// the standard OTEL_EXPORTER_OTLP_* variables) or ours from the built package (`tracekv/otel`).
// It makes spans with every field a trace UI shows, flushes, shuts down, and prints ONE JSON line:
// every span it ended, described exactly (times as decimal nanoseconds from BigInt, attribute values
// tagged with their JS type, since JSON cannot tell 8 from 8.0 or carry Infinity), and what its
// exporter reported. Plain JS against the build, so it runs exactly the code users run.
import crypto from 'node:crypto';
import { DiagConsoleLogger, DiagLogLevel, ROOT_CONTEXT, SpanKind, SpanStatusCode, diag, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

/** Traces of the every-field shape; each has 7 spans, in two scopes. */
const FIELD_TRACES = 4;
/** Small spans under one more root, so that BatchSpanProcessor makes several exports. */
const VOLUME_SPANS = 120;
/** Smaller than the default 512, so a run's spans take several export calls (and requests). */
const EXPORT_BATCH_SPANS_MAX = 64;
/** Shorter than the default 5 s, so the first export does not wait for the timer. */
const EXPORT_DELAY_MS = 50;
/** Room for every span of a run (the default is 2,048): the test counts each one, none may be dropped. */
const QUEUE_SPANS_MAX = 4096;
/** Per-span limits, low enough that one span overflows each and carries dropped counts. */
const SPAN_LIMITS = { attributeCountLimit: 32, eventCountLimit: 8, linkCountLimit: 4, attributePerEventCountLimit: 4, attributePerLinkCountLimit: 4 };
/** Jan 2024, so every explicit time is far from now and exact to the nanosecond. */
const T0_SECONDS = 1_704_067_200;

// The exporters report failures through diag: let them reach stderr, which the test shows on failure
// (errors only: the SDK warns about every limit this file overflows on purpose).
diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.ERROR);

const spec = JSON.parse(process.argv[2]);

/** The OTLP exporter class for a protocol name, as @opentelemetry/sdk-node picks it from OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL. */
async function otlpExporterClass(protocol) {
  if (protocol === 'http/protobuf') return (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter;
  if (protocol === 'http/json') return (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter;
  if (protocol === 'grpc') return (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter;
  throw new Error(`protocol got ${protocol}; want http/protobuf, http/json or grpc`);
}

/** Counts what the exporter acknowledged: BatchSpanProcessor swallows failures, the test must not. */
class CountingExporter {
  constructor(inner) {
    this.inner = inner;
    this.report = { exportedSpans: 0, failedSpans: 0, exports: 0, errors: [] };
  }

  export(spans, done) {
    this.report.exports++;
    this.inner.export(spans, (result) => {
      if (result.code === 0) this.report.exportedSpans += spans.length;
      else {
        this.report.failedSpans += spans.length;
        this.report.errors.push(String(result.error?.message ?? result.error));
      }
      done(result);
    });
  }

  forceFlush() {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  shutdown() {
    return this.inner.shutdown();
  }
}

/** The span processor that sends, and a function that reports what it sent once the provider is shut down. */
async function senderOf() {
  const bearer = spec.token === undefined ? {} : { Authorization: `Bearer ${spec.token}` };
  const compression = spec.gzip ? 'gzip' : 'none';
  let exporter;
  if (spec.sender === 'tracekv-processor' || spec.sender === 'tracekv-exporter') {
    const { TraceKvSpanExporter, TraceKvSpanProcessor } = await import('tracekv/otel');
    const options = { host: '127.0.0.1', port: spec.port, ...(spec.token === undefined ? {} : { token: spec.token }) };
    if (spec.sender === 'tracekv-processor') {
      const processor = new TraceKvSpanProcessor(options);
      return { processor, report: () => ({ ...processor.stats, exports: processor.stats.exportedBatches, errors: processor.stats.lastError ? [String(processor.stats.lastError)] : [] }) };
    }
    exporter = new TraceKvSpanExporter(options);
  } else if (spec.sender === 'otlp-env') {
    // Only the standard variables: the README's recipe for pointing an SDK at tracekv.
    const protocol = process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || process.env.OTEL_EXPORTER_OTLP_PROTOCOL;
    exporter = new (await otlpExporterClass(protocol))();
  } else if (spec.sender === 'otlp-grpc') {
    const { Metadata } = await import('@grpc/grpc-js');
    const metadata = new Metadata();
    if (spec.token !== undefined) metadata.set('authorization', `Bearer ${spec.token}`);
    exporter = new (await otlpExporterClass('grpc'))({ url: spec.endpoint, compression, metadata });
  } else {
    const protocol = spec.sender === 'otlp-proto' ? 'http/protobuf' : spec.sender === 'otlp-json' ? 'http/json' : spec.sender;
    exporter = new (await otlpExporterClass(protocol))({ url: spec.endpoint, compression, headers: bearer });
  }
  const counting = new CountingExporter(exporter);
  const processor = new BatchSpanProcessor(counting, { maxExportBatchSize: EXPORT_BATCH_SPANS_MAX, scheduledDelayMillis: EXPORT_DELAY_MS, maxQueueSize: QUEUE_SPANS_MAX });
  return { processor, report: () => counting.report };
}

/** Every ended span, kept as the SDK made it. */
class Recorder {
  spans = [];
  onStart() {}
  onEnd(span) {
    this.spans.push(span);
  }
  forceFlush() {
    return Promise.resolve();
  }
  shutdown() {
    return Promise.resolve();
  }
}

function at(seconds, nanos) {
  return [T0_SECONDS + seconds, nanos];
}

function randomHex(bytes) {
  return crypto.randomBytes(bytes).toString('hex');
}

/** Attributes of every type the API allows, arrays of each included. */
function everyTypeAttributes(t) {
  return {
    'http.request.method': 'POST',
    'http.response.status_code': 500,
    'url.path': `/cart/${t}`,
    'big.int': 2 ** 53 + 2,
    'negative.int': -7,
    'large.int': 3_000_000_000,
    ratio: 0.75,
    'tiny.double': 5e-324,
    'not.finite': Number.POSITIVE_INFINITY,
    ok: false,
    'unicode.text': 'ü 🙂 日本',
    strings: ['x', 'ü', '🙂'],
    ints: [1, -2, 3_000_000_000],
    doubles: [0.5, -1.25],
    bools: [true, false],
    empty: [],
    trace: t,
  };
}

function emitFieldTrace(tracerA, tracerB, t, links) {
  // Even traces continue a remote caller's trace (with trace state); odd ones start their own.
  const remote = t % 2 === 0;
  const parent = remote
    ? trace.setSpanContext(ROOT_CONTEXT, { traceId: randomHex(16), spanId: randomHex(8), traceFlags: 1, isRemote: true, traceState: new TraceState(`vendor=abc${t},other=x1`) })
    : ROOT_CONTEXT;
  const root = tracerA.startSpan(
    `POST /cart ${t}`,
    {
      kind: SpanKind.SERVER,
      attributes: everyTypeAttributes(t),
      startTime: at(t, 123_456_789),
      links: [{ context: links.sampled, attributes: { 'link.n': 1, why: 'retry', ratio: 0.5 } }, { context: links.unsampled }],
    },
    parent,
  );
  root.addEvent('exception', { 'exception.type': 'Error', 'exception.message': 'out of stock', 'exception.escaped': true, attempt: 3 }, at(t, 123_458_289));
  root.addEvent('before start', {}, at(t - 1, 0));
  root.addEvent('now'); // the real clock: an offset of about two years from the start
  root.addLink({ context: { ...links.sampled, spanId: randomHex(8), isRemote: true }, attributes: { late: true } });
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'cart failed: ü' });
  const inside = trace.setSpan(parent, root);

  const internal = tracerA.startSpan('internal step', { kind: SpanKind.INTERNAL }, inside); // real clock
  const grandchild = tracerA.startSpan('validate', { attributes: { 'items.count': 2 } }, trace.setSpan(inside, internal));
  grandchild.end();
  internal.end();

  const client = tracerA.startSpan('GET /stock', { kind: SpanKind.CLIENT, startTime: at(t, 200_000_000), attributes: { 'server.port': 8080 } }, inside);
  client.setStatus({ code: SpanStatusCode.OK });
  client.end(at(t, 300_000_001));

  const producer = tracerA.startSpan('publish order', { kind: SpanKind.PRODUCER, startTime: at(t, 400_000_000) }, inside);
  producer.setStatus({ code: SpanStatusCode.ERROR });
  producer.end(at(t, 400_000_000)); // zero duration

  // The second scope: a tracer with no version and no schema.
  const consumer = tracerB.startSpan('SELECT orders', { kind: SpanKind.CONSUMER, startTime: at(t, 500_000_000), attributes: { 'db.system': 'postgresql' } }, inside);
  consumer.end(at(t, 600_000_000));

  // Over every limit: dropped attribute, event and link counts, on the span and on an event.
  const crowded = tracerB.startSpan('crowded', { startTime: at(t, 700_000_000) }, inside);
  for (let i = 0; i < SPAN_LIMITS.attributeCountLimit + 3; i++) crowded.setAttribute(`a${i}`, i);
  for (let i = 0; i < SPAN_LIMITS.eventCountLimit + 2; i++) crowded.addEvent(`e${i}`, { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 }, at(t, 700_000_000 + i));
  for (let i = 0; i < SPAN_LIMITS.linkCountLimit + 1; i++) crowded.addLink({ context: { ...links.unsampled, spanId: randomHex(8) } });
  crowded.end(at(t, 800_000_000));

  root.end(at(t + 5, 123_456_789)); // 5 s: a duration past 2^32 ns
}

function emitVolume(tracer) {
  const root = tracer.startSpan('batch job', { kind: SpanKind.INTERNAL });
  const inside = trace.setSpan(ROOT_CONTEXT, root);
  for (let i = 0; i < VOLUME_SPANS; i++) {
    const span = tracer.startSpan(`item ${i}`, { attributes: { index: i, 'item.id': `id-${i}` } }, inside);
    span.end();
  }
  root.end();
}

function nanos(time) {
  return (BigInt(time[0]) * 1_000_000_000n + BigInt(time[1])).toString();
}

/** A tagged attribute value: { s }, { b }, { n: String(number) } (keeps Infinity and -0 apart from JSON's rules), { a: [...] }. */
function tagged(value) {
  if (typeof value === 'string') return { s: value };
  if (typeof value === 'boolean') return { b: value };
  if (typeof value === 'number') return { n: Object.is(value, -0) ? '-0' : String(value) };
  if (Array.isArray(value)) return { a: value.map(tagged) };
  throw new Error(`attribute value got ${typeof value}; want what the API allows`);
}

function taggedAttributes(attributes) {
  return Object.entries(attributes ?? {}).map(([key, value]) => [key, tagged(value)]);
}

function contextOf(spanContext) {
  return {
    traceId: spanContext.traceId,
    spanId: spanContext.spanId,
    traceFlags: spanContext.traceFlags,
    isRemote: spanContext.isRemote === true,
    traceState: spanContext.traceState?.serialize() ?? '',
  };
}

function describe(span) {
  const scope = span.instrumentationScope;
  return {
    ...contextOf(span.spanContext()),
    parent: span.parentSpanContext === undefined ? null : contextOf(span.parentSpanContext),
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: taggedAttributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((event) => ({ name: event.name, timeUnixNano: nanos(event.time), attributes: taggedAttributes(event.attributes), droppedAttributesCount: event.droppedAttributesCount ?? 0 })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((link) => ({ ...contextOf(link.context), attributes: taggedAttributes(link.attributes), droppedAttributesCount: link.droppedAttributesCount ?? 0 })),
    droppedLinksCount: span.droppedLinksCount,
    status: { code: span.status.code, message: span.status.message ?? '' },
    resource: { attributes: taggedAttributes(span.resource.attributes), schemaUrl: span.resource.schemaUrl ?? '' },
    scope: { name: scope.name, version: scope.version ?? '', schemaUrl: scope.schemaUrl ?? '' },
  };
}

const sender = await senderOf();
const recorder = new Recorder();
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes(
    { 'service.name': `otlp-sdk-${spec.run}`, 'service.version': '1.2.3', 'host.cores': 8, 'deployment.weight': 0.25, 'feature.on': true, tags: ['a', 'b'], 'run.label': spec.run },
    { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' },
  ),
  spanLimits: SPAN_LIMITS,
  spanProcessors: [recorder, sender.processor],
});
const tracerA = provider.getTracer('shop.cart', '2.1.0', { schemaUrl: 'https://example.com/scope-schema' });
const tracerB = provider.getTracer('db.client');
const links = {
  sampled: { traceId: randomHex(16), spanId: randomHex(8), traceFlags: 1, isRemote: false, traceState: new TraceState('k=v') },
  unsampled: { traceId: randomHex(16), spanId: randomHex(8), traceFlags: 0, isRemote: false },
};
for (let t = 0; t < FIELD_TRACES; t++) emitFieldTrace(tracerA, tracerB, t, links);
emitVolume(tracerB);
// BatchSpanProcessor's flush rejects when an export failed: that is reported, not thrown, so the test sees which spans.
const flushErrors = [];
await provider.forceFlush().catch((error) => flushErrors.push(`forceFlush: ${error?.message ?? error}`));
await provider.shutdown().catch((error) => flushErrors.push(`shutdown: ${error?.message ?? error}`));
const sent = sender.report();
process.stdout.write(`${JSON.stringify({ spans: recorder.spans.map(describe), sent: { ...sent, errors: [...sent.errors, ...flushErrors] } })}\n`);
