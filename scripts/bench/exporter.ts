/**
 * Our OpenTelemetry exporter against @opentelemetry/exporter-trace-otlp-proto on the same spans
 * (W1 spans, started and ended through the SDK itself, so both exporters read real SpanImpl
 * objects: see w1SdkSpans): CPU per span in this process (the SDK's) and bytes on the wire per
 * span. Both send to one `tracekv serve` child, so this process's CPU is the exporters' alone, and
 * both wait for the same thing, an fsynced store:
 * - ours, TraceKvSpanExporter, over our TCP protocol; and TraceKvSpanProcessor, fed span by span
 *   as onEnd() is, then flushed;
 * - OTLPTraceExporter (protobuf over HTTP, no compression: its default) to the daemon's OTLP/HTTP
 *   receiver, which also answers only once the spans are on disk.
 * The same backend matters: on this shared VM a burst of work after an idle wait costs more CPU
 * than the same work done back to back (measured: serializing 512 spans, then sleeping 1 ms, costs
 * 1.6× the CPU per span of doing it without the sleeps), so a sink that answers at once would
 * flatter the exporter waiting on it.
 * Spans go in exports of EXPORT_SPANS, one at a time (BatchSpanProcessor's way); CPU is
 * process.cpuUsage() (user + system) around a whole round. After one warm-up round of each, the
 * three take turns for EXPORTER_ROUNDS rounds, so drift in the machine's speed reaches all three
 * alike; the median round of each is reported. Bytes: request bodies for OTLP (the daemon's
 * otlpHttp byte counter); batch bytes for ours (the frame adds 17 bytes per batch).
 */
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
  /** otlpProto.cpuMicrosPerSpan ÷ processor.cpuMicrosPerSpan. */
  processorCpuRatio: number;
  /** otlpProto.bytesPerSpan ÷ ours.bytesPerSpan. */
  bytesRatio: number;
}

export async function measureExporter(options: BenchOptions): Promise<ExporterFigures> {
  const spans = w1SdkSpans(Math.min(options.w1Spans, EXPORTER_SPANS_MAX), options.seed);
  log(`exporter: ${spans.length} W1 spans as SDK spans, to a tracekv serve child: ours over TCP, OTLP proto to its OTLP/HTTP receiver`);
  return withTempDir('exporter', async (dir) => {
    const daemon = await DaemonChild.start({ launch: { serve: { dir } } });
    try {
      if (daemon.otlpHttpPort === null) throw new Error('the daemon serves no OTLP/HTTP receiver (listening event without its port)');
      const client = await TraceClient.connect({ port: daemon.port });
      const counting = countingClient(client);
      const exporter = new TraceKvSpanExporter({ client: counting.client });
      const kvProcessor = new TraceKvSpanProcessor({ client: counting.client, queueSpansMax: Math.max(spans.length, 65_536) });
      const otlpExporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${daemon.otlpHttpPort}/v1/traces` });
      try {
        const sides = await measureInTurns(spans, [
          { round: () => runExports(exporter, spans), bytesSoFar: counting.bytes },
          { round: () => runProcessor(kvProcessor, spans), bytesSoFar: counting.bytes },
          { round: () => runExports(otlpExporter, spans), bytesSoFar: () => otlpHttpBytes(client) },
        ]);
        const [ours, processor, otlpProto] = sides as [ExporterSide, ExporterSide, ExporterSide];
        const figures: ExporterFigures = {
          spans: spans.length,
          rounds: EXPORTER_ROUNDS,
          spansPerExport: EXPORT_SPANS,
          ours,
          processor,
          otlpProto,
          cpuRatio: otlpProto.cpuMicrosPerSpan / ours.cpuMicrosPerSpan,
          processorCpuRatio: otlpProto.cpuMicrosPerSpan / processor.cpuMicrosPerSpan,
          bytesRatio: otlpProto.bytesPerSpan / ours.bytesPerSpan,
        };
        log(
          `exporter: ours ${ours.cpuMicrosPerSpan.toFixed(2)} µs/span (${figures.cpuRatio.toFixed(2)}×), processor ${processor.cpuMicrosPerSpan.toFixed(2)} ` +
            `(${figures.processorCpuRatio.toFixed(2)}×), OTLP proto ${otlpProto.cpuMicrosPerSpan.toFixed(2)} µs/span`,
        );
        return figures;
      } finally {
        await exporter.shutdown();
        await kvProcessor.shutdown();
        await otlpExporter.shutdown();
        await client.close();
      }
    } finally {
      await daemon.stop();
    }
  });
}

interface Contender {
  round: () => Promise<void>;
  bytesSoFar: () => number | Promise<number>;
}

/**
 * One warm-up round of each contender, then EXPORTER_ROUNDS turns in which each runs one round;
 * CPU per span is the median of a contender's rounds, bytes are counted over its measured rounds.
 */
async function measureInTurns(spans: ReadableSpan[], contenders: Contender[]): Promise<ExporterSide[]> {
  for (const contender of contenders) await contender.round();
  const cpuMicros = contenders.map((): number[] => []);
  const bytes = contenders.map(() => 0);
  for (let turn = 0; turn < EXPORTER_ROUNDS; turn++) {
    for (const [index, contender] of contenders.entries()) {
      const bytesBefore = await contender.bytesSoFar();
      const before = process.cpuUsage();
      await contender.round();
      const used = process.cpuUsage(before);
      cpuMicros[index]!.push((used.user + used.system) / spans.length);
      bytes[index]! += (await contender.bytesSoFar()) - bytesBefore;
    }
  }
  return contenders.map((_contender, index) => ({ cpuMicrosPerSpan: median(cpuMicros[index]!), bytesPerSpan: bytes[index]! / (spans.length * EXPORTER_ROUNDS) }));
}

/** The request body bytes the daemon's OTLP/HTTP receiver has read so far (its STATS counter). */
async function otlpHttpBytes(client: TraceClient): Promise<number> {
  const { server } = await client.stats();
  const bytes = (server.otlpHttp as { bytes?: unknown } | undefined)?.bytes;
  if (typeof bytes !== 'number') throw new Error(`STATS server.otlpHttp.bytes got ${String(bytes)}; want a number`);
  return bytes;
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
