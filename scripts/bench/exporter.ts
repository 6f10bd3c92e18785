/**
 * Our OpenTelemetry exporter against @opentelemetry/exporter-trace-otlp-proto on the same spans
 * (W1 spans, started and ended through the SDK itself, so both exporters read real SpanImpl
 * objects: see w1SdkSpans): CPU per span in this process (the SDK's) and bytes on the wire per
 * span. Both send to a separate process, so this one's CPU is the exporter's alone:
 * - ours, TraceKvSpanExporter, to a `tracekv serve` child (durable: each batch fsynced before the
 *   export reports); and TraceKvSpanProcessor, fed span by span as onEnd() is, then flushed;
 * - OTLPTraceExporter (protobuf over HTTP, no compression: its default) to a sink child that reads
 *   each request body, counts it and answers an empty ExportTraceServiceResponse.
 * Spans go in exports of EXPORT_SPANS, one at a time (BatchSpanProcessor's way); CPU is
 * process.cpuUsage() (user + system) around a whole round, median of ROUNDS rounds after a
 * warm-up round. Bytes: request bodies for OTLP; batch bytes for ours (the frame adds 17 bytes
 * per batch).
 */
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ROOT_CONTEXT, TraceFlags, trace as traceApi, type Attributes as OtelAttributes, type HrTime, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type IdGenerator, type ReadableSpan, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { TraceClient, type Attributes, type SpanIdInput } from '../../src/index.js';
import { TraceKvSpanExporter, TraceKvSpanProcessor } from '../../src/otel/index.js';
import { tracegenWorkload } from '../../src/workload/replay.js';
import { makeRng } from '../../src/workload/rng.js';
import { DaemonChild } from '../testkit/daemon-child.js';
import { FIRST_TRACE_UNIX_NANO, SCOPE, TRACE_INTERVAL_NS } from './constants.js';
import { log, median, withTempDir } from './measure.js';
import type { BenchOptions } from './options.js';

/** Spans measured, at most: enough for a stable per-span figure; the W1 count of the mode caps it. */
export const EXPORTER_SPANS_MAX = 200_000;
/** Spans per export() call: BatchSpanProcessor's default maxExportBatchSize. */
export const EXPORT_SPANS = 512;
/** Measured rounds per exporter (after one warm-up round); the median is reported. */
export const EXPORTER_ROUNDS = 5;

export interface ExporterSide {
  /** Median CPU (user + system) of this process per span, in microseconds. */
  cpuMicrosPerSpan: number;
  /** Bytes sent per span (request bodies, or batches). */
  bytesPerSpan: number;
}

export interface ExporterFigures {
  spans: number;
  rounds: number;
  spansPerExport: number;
  /** TraceKvSpanExporter, exports of spansPerExport spans. */
  ours: ExporterSide;
  /** TraceKvSpanProcessor, onEnd per span, then forceFlush. */
  processor: ExporterSide;
  /** OTLPTraceExporter from @opentelemetry/exporter-trace-otlp-proto, same exports. */
  otlpProto: ExporterSide;
  /** otlpProto.cpuMicrosPerSpan ÷ ours.cpuMicrosPerSpan (target ≥ 3). */
  cpuRatio: number;
  /** otlpProto.bytesPerSpan ÷ ours.bytesPerSpan. */
  bytesRatio: number;
}

export async function measureExporter(options: BenchOptions): Promise<ExporterFigures> {
  const spans = w1SdkSpans(Math.min(options.w1Spans, EXPORTER_SPANS_MAX), options.seed);
  log(`exporter: ${spans.length} W1 spans as SDK spans; ours to a tracekv serve child, OTLP proto to an HTTP sink child`);
  const { ours, processor } = await withTempDir('exporter', async (dir) => {
    const daemon = await DaemonChild.start({ launch: { serve: { dir } } });
    try {
      const client = await TraceClient.connect({ port: daemon.port });
      const counting = countingClient(client);
      try {
        const exporter = new TraceKvSpanExporter({ client: counting.client });
        const oursSide = await measureRounds(spans, () => runExports(exporter, spans), counting.bytes);
        const kvProcessor = new TraceKvSpanProcessor({ client: counting.client, queueSpansMax: Math.max(spans.length, 65_536) });
        const processorSide = await measureRounds(spans, () => runProcessor(kvProcessor, spans), counting.bytes);
        await exporter.shutdown();
        await kvProcessor.shutdown();
        return { ours: oursSide, processor: processorSide };
      } finally {
        await client.close();
      }
    } finally {
      await daemon.stop();
    }
  });
  const sink = await HttpSink.start();
  let otlpProto: ExporterSide;
  try {
    const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${sink.port}/v1/traces` });
    otlpProto = await measureRounds(spans, () => runExports(exporter, spans), () => sink.bytes());
    await exporter.shutdown();
  } finally {
    await sink.stop();
  }
  const figures: ExporterFigures = {
    spans: spans.length,
    rounds: EXPORTER_ROUNDS,
    spansPerExport: EXPORT_SPANS,
    ours,
    processor,
    otlpProto,
    cpuRatio: otlpProto.cpuMicrosPerSpan / ours.cpuMicrosPerSpan,
    bytesRatio: otlpProto.bytesPerSpan / ours.bytesPerSpan,
  };
  log(`exporter: ours ${ours.cpuMicrosPerSpan.toFixed(2)} µs/span (processor ${processor.cpuMicrosPerSpan.toFixed(2)}), OTLP proto ${otlpProto.cpuMicrosPerSpan.toFixed(2)} µs/span: ${figures.cpuRatio.toFixed(2)}×`);
  return figures;
}

/** One warm-up round, then EXPORTER_ROUNDS measured; bytes counted over the measured rounds. */
async function measureRounds(spans: ReadableSpan[], round: () => Promise<void>, bytesSoFar: () => number | Promise<number>): Promise<ExporterSide> {
  await round();
  const bytesBefore = await bytesSoFar();
  const cpuMicros: number[] = [];
  for (let i = 0; i < EXPORTER_ROUNDS; i++) {
    const before = process.cpuUsage();
    await round();
    const used = process.cpuUsage(before);
    cpuMicros.push((used.user + used.system) / spans.length);
  }
  const bytes = (await bytesSoFar()) - bytesBefore;
  return { cpuMicrosPerSpan: median(cpuMicros), bytesPerSpan: bytes / (spans.length * EXPORTER_ROUNDS) };
}

async function runExports(exporter: SpanExporter, spans: ReadableSpan[]): Promise<void> {
  for (let at = 0; at < spans.length; at += EXPORT_SPANS) {
    const chunk = spans.slice(at, at + EXPORT_SPANS);
    const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(chunk, resolve));
    if (result.code !== 0) throw new Error(`export of ${chunk.length} spans failed: ${result.error?.message ?? 'no error given'}`);
  }
}

async function runProcessor(processor: TraceKvSpanProcessor, spans: ReadableSpan[]): Promise<void> {
  const before = processor.stats;
  for (let at = 0; at < spans.length; at += EXPORT_SPANS) {
    const end = Math.min(spans.length, at + EXPORT_SPANS);
    for (let i = at; i < end; i++) processor.onEnd(spans[i]!);
    // Spans end over time in an application; yielding lets sealed batches go out meanwhile.
    await yieldToLoop();
  }
  await processor.forceFlush();
  const after = processor.stats;
  const stored = after.exportedSpans - before.exportedSpans;
  if (stored !== spans.length) throw new Error(`processor stored ${stored} of ${spans.length} spans (${JSON.stringify({ ...after, lastError: after.lastError?.message })})`);
}

/** The caller's client with every appended batch's bytes counted. */
function countingClient(client: TraceClient): { client: TraceClient; bytes: () => number } {
  let bytes = 0;
  const counting = Object.create(client) as TraceClient;
  counting.append = (batch) => {
    bytes += batch.length;
    return client.append(batch);
  };
  return { client: counting, bytes: () => bytes };
}

/**
 * About `spansWanted` W1 spans (whole traces) as the SDK hands them to an exporter: real SpanImpl
 * objects, started and ended through a BasicTracerProvider per service (one resource object each)
 * with the W1 ids, names, kinds, times and attributes. Real spans matter to the measurement: they
 * share one class shape, and the spans of a trace share one trace id string, as in an application;
 * hand-built span objects of many shapes would make every property read in either exporter slow.
 */
export function w1SdkSpans(spansWanted: number, seed: number): ReadableSpan[] {
  const source = tracegenWorkload(makeRng(seed));
  const ids = new ScriptedIds();
  const tracers = new Map<string, Tracer>();
  const out: ReadableSpan[] = [];
  const collect: SpanProcessor = {
    onStart: () => {},
    onEnd: (span) => void out.push(span),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  for (let trace = 0; out.length < spansWanted; trace++) {
    const generated = source.nextTrace(FIRST_TRACE_UNIX_NANO + BigInt(trace) * TRACE_INTERVAL_NS);
    let traceId: string | undefined;
    for (const [service, spans] of generated.spansByService) {
      let tracer = tracers.get(service);
      if (tracer === undefined) {
        const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), idGenerator: ids, spanProcessors: [collect] });
        tracers.set(service, (tracer = provider.getTracer(SCOPE.name, SCOPE.version)));
      }
      for (const span of spans) {
        traceId ??= hexOf(span.traceId);
        ids.next(traceId, hexOf(span.spanId));
        const parent = span.parentSpanId === undefined ? ROOT_CONTEXT : traceApi.setSpanContext(ROOT_CONTEXT, { traceId, spanId: hexOf(span.parentSpanId), traceFlags: TraceFlags.SAMPLED });
        const links = (span.links ?? []).map((link) => ({ context: { traceId: hexOf(link.traceId), spanId: hexOf(link.spanId), traceFlags: (link.flags ?? 0) & 0xff }, attributes: otelAttributes(link.attributes) }));
        const options = { kind: Math.max(0, (span.kind ?? 1) - 1), attributes: otelAttributes(span.attributes), startTime: hrTimeOf(span.startTimeUnixNano), links };
        const started = tracer.startSpan(span.name, options, parent);
        if (span.status !== undefined) started.setStatus({ code: span.status.code, ...(span.status.message ? { message: span.status.message } : {}) });
        for (const event of span.events ?? []) started.addEvent(event.name, otelAttributes(event.attributes), hrTimeOf(event.timeUnixNano));
        started.end(hrTimeOf(span.endTimeUnixNano));
      }
    }
  }
  return out;
}

/** The SDK's id generator, told each span's W1 ids just before the span starts. */
class ScriptedIds implements IdGenerator {
  private traceId = '';
  private spanId = '';

  next(traceId: string, spanId: string): void {
    this.traceId = traceId;
    this.spanId = spanId;
  }

  generateTraceId(): string {
    return this.traceId;
  }

  generateSpanId(): string {
    return this.spanId;
  }
}

function hexOf(id: SpanIdInput): string {
  return typeof id === 'string' ? id.toLowerCase() : Buffer.from(id).toString('hex');
}

function hrTimeOf(unixNano: bigint): HrTime {
  return [Number(unixNano / 1_000_000_000n), Number(unixNano % 1_000_000_000n)];
}

/** W1 int64 attributes are bigints; OTel attribute numbers are JS numbers. */
function otelAttributes(attributes: Attributes | undefined): OtelAttributes {
  const out: OtelAttributes = {};
  for (const [key, value] of Object.entries(attributes ?? {})) out[key] = (typeof value === 'bigint' ? Number(value) : value) as OtelAttributes[string];
  return out;
}

/**
 * The OTLP/HTTP sink: a child process that reads each POST body, counts its bytes and answers 200
 * with an empty ExportTraceServiceResponse; GET /bytes returns the count.
 */
const SINK_SOURCE = `
const http = require('node:http');
let bytes = 0;
const server = http.createServer((request, response) => {
  if (request.method === 'GET') { response.end(String(bytes)); return; }
  request.on('data', (chunk) => { bytes += chunk.length; });
  request.on('end', () => { response.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }); response.end(); });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

class HttpSink {
  private constructor(
    private readonly child: ReturnType<typeof spawn>,
    readonly port: number,
  ) {}

  static async start(): Promise<HttpSink> {
    const child = spawn(process.execPath, ['-e', SINK_SOURCE], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: child.stdout! });
    const port = await new Promise<number>((resolve, reject) => {
      lines.once('line', (line) => resolve(Number(line)));
      child.once('exit', (code) => reject(new Error(`OTLP sink exited with ${code} before listening`)));
    });
    return new HttpSink(child, port);
  }

  async bytes(): Promise<number> {
    const response = await fetch(`http://127.0.0.1:${this.port}/bytes`);
    return Number(await response.text());
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin!.end();
    await exited;
  }
}
