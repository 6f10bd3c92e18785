/**
 * The benchmark's outputs: the results JSON (schema in SCHEMA.md), written to
 * <resultsDir>/<timestamp>.json and <resultsDir>/latest.json, and a Markdown report on stdout
 * whose first table checks every target of the benchmark issue, saying plainly where one is missed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExporterFigures } from './exporter.js';
import type { BenchOptions } from './options.js';
import type { OtlpIngestFigures } from './otlp-ingest.js';
import type { WorkloadBaselines, WorkloadFigures } from './run-workload.js';

export const SCHEMA_VERSION = 1;

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  node: string;
  platform: string;
  arch: string;
  date: string;
}

type WorkloadKey = 'w1' | 'w2';

export interface TargetCheck {
  id: string;
  figure: string;
  /** The target as text, e.g. "≥ 1.5M spans/s". */
  target: string;
  /** null where the target does not apply to that workload. */
  w1: { value: number; met: boolean } | null;
  w2: { value: number; met: boolean } | null;
}

export interface BenchResults {
  schemaVersion: number;
  mode: BenchOptions['mode'];
  command: string;
  startedAt: string;
  durationSeconds: number;
  machine: Machine;
  settings: Record<string, unknown>;
  w1: WorkloadFigures;
  w2: WorkloadFigures;
  baselines: { settings: string; w1: WorkloadBaselines; w2: WorkloadBaselines };
  /** Our OTel exporter against the OTLP proto exporter, on W1 spans (scripts/bench/exporter.ts). */
  exporter: ExporterFigures;
  /** OTLP/HTTP and OTLP/gRPC ingest from a separate sending process, W1 spans (scripts/bench/otlp-ingest.ts). */
  otlpIngest: OtlpIngestFigures;
  targets: TargetCheck[];
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryBytes: os.totalmem(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    date: new Date().toISOString(),
  };
}

interface TargetRule {
  id: string;
  figure: string;
  target: string;
  atLeast?: number;
  atMost?: number;
  value(figures: WorkloadFigures, baselines: WorkloadBaselines): number | null;
  format(value: number): string;
}

/** Decimal megabytes, as the targets are written. */
const MB = 1_000_000;

/** The benchmark issue's targets, in its order. */
const TARGETS: TargetRule[] = [
  { id: 'ingestSpansPerSec', figure: 'server-side ingest (prebuilt batches, zstd, fsync, group commit)', target: '≥ 1.5M spans/s', atLeast: 1.5e6, value: (f) => f.ingest.spansPerSec, format: spansPerSec },
  { id: 'indexSpansPerSecPerCore', figure: 'index alone: trailer entries (spans) added per second, one core', target: '≥ 5M/s', atLeast: 5e6, value: (f) => f.index.spansPerSec, format: perSec },
  { id: 'ingestVsLmdbIndex', figure: 'ingest ÷ LMDB-as-index writes', target: '≥ 20×', atLeast: 20, value: (_f, b) => b.ratios.ingestVsLmdbIndex, format: times },
  { id: 'getTraceP50Ms', figure: 'getTrace p50 (random existing ids, reader workers)', target: '≤ 0.5 ms', atMost: 0.5, value: (f) => f.getTrace.p50Ms, format: ms },
  { id: 'getTraceP99Ms', figure: 'getTrace p99', target: '≤ 5 ms', atMost: 5, value: (f) => f.getTrace.p99Ms, format: ms },
  { id: 'getTraces100P50Ms', figure: 'getTraces(100) p50', target: '≤ 20 ms', atMost: 20, value: (f) => f.getTraces100.bulkP50Ms, format: ms },
  { id: 'getTraces100VsSequential', figure: 'getTraces(100) ÷ 100 sequential getTrace (p50s)', target: '≤ 0.3×', atMost: 0.3, value: (f) => f.getTraces100.ratio, format: times },
  { id: 'totalBytesPerSpan', figure: 'bytes per span on disk, data + index', target: '≤ 40 B', atMost: 40, value: (f) => f.disk.totalBytesPerSpan, format: bytes },
  { id: 'storedVsOtlpProtobuf', figure: 'stored bytes per span ÷ OTLP protobuf bytes per span', target: '≤ 0.12× (W2)', atMost: 0.12, value: (f) => f.otlp?.storedBytesRatio ?? null, format: times },
  { id: 'ingestPeakRssBytes', figure: 'peak RSS during ingest, store process (tracekv serve child)', target: '≤ 400 MB', atMost: 400 * MB, value: (f) => f.daemonIngest.peakRssBytes, format: megabytes },
  { id: 'residentIndexBytesPerSpan', figure: 'resident index memory per span (after reopen)', target: '≤ 2 B', atMost: 2, value: (f) => f.residentIndex.bytesPerSpan, format: bytes },
  { id: 'reopenMs', figure: 'reopen (close, then open)', target: '≤ 2 s', atMost: 2000, value: (f) => f.reopen.ms, format: ms },
  { id: 'encodeSpansPerSecPerCore', figure: 'client encode (BatchEncoder), one core', target: '≥ 500k spans/s', atLeast: 5e5, value: (f) => f.encode.spansPerSecPerCore, format: spansPerSec },
  // Query faces issue (14): the daemon's HTTP APIs, from a separate process, on the whole workload.
  { id: 'tempoV2P50Ms', figure: 'Tempo /api/v2/traces/<id> protobuf p50, tracekv serve child, client in this process', target: '≤ 1.5 ms', atMost: 1.5, value: (f) => f.daemonIngest.queryFaces.tempoV2.p50Ms, format: ms },
  { id: 'tempoV2P99Ms', figure: 'Tempo /api/v2/traces/<id> protobuf p99', target: '≤ 10 ms', atMost: 10, value: (f) => f.daemonIngest.queryFaces.tempoV2.p99Ms, format: ms },
  { id: 'tempoBatchVsSequential', figure: 'POST /api/v2/traces:batch of 100 ids ÷ 100 sequential v2 calls (p50s)', target: '≤ 0.5×', atMost: 0.5, value: (f) => f.daemonIngest.queryFaces.tempoBatch.ratio, format: times },
  { id: 'metricsScrapeP99Ms', figure: 'GET /metrics scrape p99', target: '< 5 ms', atMost: 5, value: (f) => f.daemonIngest.queryFaces.metricsScrape.p99Ms, format: ms },
];

/** OTLP-in issue (13): ours against @opentelemetry/exporter-trace-otlp-proto, W1 spans only. */
const EXPORTER_TARGET = {
  id: 'exporterCpuVsOtlpProto',
  figure: 'OTel SDK exporter CPU µs per span: OTLP proto exporter ÷ TraceKvSpanExporter',
  target: '≥ 3×',
  atLeast: 3,
};

export function checkExporterTarget(exporter: ExporterFigures): TargetCheck {
  const value = exporter.cpuRatio;
  return { id: EXPORTER_TARGET.id, figure: EXPORTER_TARGET.figure, target: EXPORTER_TARGET.target, w1: { value, met: value >= EXPORTER_TARGET.atLeast }, w2: null };
}

/** OTLP-in issue (13): ingest through the receivers from a separate process, W1 spans only. */
const OTLP_INGEST_TARGETS: (Omit<TargetRule, 'value'> & { value(figures: OtlpIngestFigures): number | null; below?: number })[] = [
  { id: 'otlpHttpSpansPerSec', figure: 'OTLP/HTTP protobuf ingest, separate sending process, fsync (W1 only)', target: '≥ 500k spans/s', atLeast: 5e5, value: (o) => o.http.spansPerSec, format: spansPerSec },
  { id: 'otlpGrpcVsHttp', figure: 'OTLP/gRPC ingest ÷ OTLP/HTTP ingest', target: '≥ 0.8×', atLeast: 0.8, value: (o) => o.grpcVsHttp, format: times },
  { id: 'otlpDaemonPeakRssBytes', figure: 'peak RSS of the daemon under OTLP load (tracekv serve child)', target: '< 400 MB', below: 400 * MB, value: (o) => o.daemonPeakRssBytes, format: megabytes },
];

export function checkOtlpIngestTargets(otlp: OtlpIngestFigures): TargetCheck[] {
  return OTLP_INGEST_TARGETS.map((rule) => {
    const value = rule.value(otlp);
    const met = value !== null && (rule.atLeast === undefined || value >= rule.atLeast) && (rule.below === undefined || value < rule.below);
    return { id: rule.id, figure: rule.figure, target: rule.target, w1: value === null ? null : { value, met }, w2: null };
  });
}

export function checkTargets(results: Pick<BenchResults, 'w1' | 'w2' | 'baselines'>): TargetCheck[] {
  return TARGETS.map((rule) => {
    const check = (key: WorkloadKey) => {
      const value = rule.value(results[key], results.baselines[key]);
      if (value === null) return null;
      const met = (rule.atLeast === undefined || value >= rule.atLeast) && (rule.atMost === undefined || value <= rule.atMost);
      return { value, met };
    };
    return { id: rule.id, figure: rule.figure, target: rule.target, w1: check('w1'), w2: check('w2') };
  });
}

export function writeResults(results: BenchResults, resultsDir: string): { file: string; latest: string } {
  fs.mkdirSync(resultsDir, { recursive: true });
  const text = `${JSON.stringify(results, null, 2)}\n`;
  const file = path.join(resultsDir, `${results.startedAt.replace(/[:.]/g, '-')}.json`);
  const latest = path.join(resultsDir, 'latest.json');
  fs.writeFileSync(file, text);
  fs.writeFileSync(latest, text);
  return { file, latest };
}

export function markdownReport(results: BenchResults): string {
  const { w1, w2, baselines, machine: m } = results;
  const lines: string[] = [];
  lines.push(`## tracekv benchmark (${results.mode}), ${m.date.slice(0, 10)}`);
  lines.push('');
  lines.push(
    `${m.cpus} × ${m.cpuModel}, ${(m.memoryBytes / 1024 ** 3).toFixed(0)} GiB, Node ${m.node}. ` +
      `W1: ${w1.spans.toLocaleString('en-US')} spans (${w1.traces.toLocaleString('en-US')} traces, ${w1.batches} batches); ` +
      `W2: ${w2.spans.toLocaleString('en-US')} spans (${w2.traces.toLocaleString('en-US')} traces, ${w2.batches} batches). ` +
      `LMDB baselines on the first ${baselines.w1.lmdbIndex.spans.toLocaleString('en-US')} (W1) / ${baselines.w2.lmdbIndex.spans.toLocaleString('en-US')} (W2) of the same spans. ` +
      `Run took ${results.durationSeconds.toFixed(0)} s.`,
  );
  lines.push('');
  lines.push('| figure | W1 | W2 | target | met? |');
  lines.push('| --- | --- | --- | --- | --- |');
  for (const check of results.targets) {
    const format = [...TARGETS, ...OTLP_INGEST_TARGETS].find((r) => r.id === check.id)?.format ?? times;
    const cell = (c: TargetCheck['w1']) => (c === null ? '—' : format(c.value));
    lines.push(`| ${check.figure} | ${cell(check.w1)} | ${cell(check.w2)} | ${check.target} | ${verdict(check)} |`);
  }
  lines.push('');
  lines.push('| other figures | W1 | W2 |');
  lines.push('| --- | --- | --- |');
  const row = (figure: string, value: (f: WorkloadFigures, b: WorkloadBaselines) => string) =>
    lines.push(`| ${figure} | ${value(w1, baselines.w1)} | ${value(w2, baselines.w2)} |`);
  row('ingest through the daemon, client in this process', (f) => `${rate(f.daemonIngest.spansPerSec)} spans/s (${times(f.daemonIngest.ratioToEmbedded)} of embedded)`);
  row('ingest while getTraces(100) loops on another store', (f) => `${rate(f.ingestUnderReadLoad.spansPerSec)} spans/s (${times(f.ingestUnderReadLoad.ratioToAlone)} of alone)`);
  row('group commits / appends', (f) => `${f.ingest.groupCommits} / ${f.ingest.appends}`);
  row('index entries created per second, one core', (f) => `${rate(f.index.entriesPerSec)}/s (${f.index.entriesPerSpan.toFixed(3)} per span)`);
  row('getTrace miss p50 / p99', (f) => `${ms(f.getTraceMiss.p50Ms)} / ${ms(f.getTraceMiss.p99Ms)}`);
  row('getTrace raw p50 / p99 (record bytes, no decode)', (f) => `${ms(f.getTraceRaw.p50Ms)} / ${ms(f.getTraceRaw.p99Ms)}`);
  row('getTrace p50 / p99, readerThreads 0', (f) => `${ms(f.getTraceInline.p50Ms)} / ${ms(f.getTraceInline.p99Ms)}`);
  row('getTraces(100) p50; 100 sequential getTrace p50', (f) => `${ms(f.getTraces100.bulkP50Ms)}; ${ms(f.getTraces100.sequentialP50Ms)}`);
  row('the same, readerThreads 0', (f) => `${ms(f.getTraces100Inline.bulkP50Ms)}; ${ms(f.getTraces100Inline.sequentialP50Ms)} (${times(f.getTraces100Inline.ratio)})`);
  row('bytes per span: data + index', (f) => `${bytes(f.disk.dataBytesPerSpan)} + ${bytes(f.disk.indexBytesPerSpan)}`);
  row('bytes per span as the client built them (uncompressed batch)', (f) => bytes(f.rawBytesPerSpan));
  row('OTLP protobuf bytes per span, same spans', (f) => (f.otlp === null ? '—' : `${bytes(f.otlp.bytesPerSpan)} (${f.otlp.requests} requests of ~${f.otlp.spansPerRequest.toFixed(0)} spans)`));
  row('peak RSS of this process during embedded ingest', (f) => `${megabytes(f.rss.peakBytes)} (${megabytes(f.rss.beforeIngestBytes)} before; holds ${megabytes(f.rss.prebuiltBatchBytes)} of batches)`);
  row('zstd level 1 / level 3: ratio, MB/s', (f) => `${f.zstd.level1.ratio.toFixed(2)}×, ${f.zstd.level1.mbPerSec.toFixed(0)} / ${f.zstd.level3.ratio.toFixed(2)}×, ${f.zstd.level3.mbPerSec.toFixed(0)}`);
  row('batch v2 vs v1 (first spans): B/span at zstd 1 / 3 / 6', (f) => {
    const { v1, v2, sampleSpans } = f.batchV2;
    return `v2 ${bytes(v2.level1)} / ${bytes(v2.level3)} / ${bytes(v2.level6)}; v1 ${bytes(v1.level1)} / ${bytes(v1.level3)} / ${bytes(v1.level6)} (${sampleSpans} spans)`;
  });
  row('batch v2 vs v1: encode spans/s, 1 core', (f) => `v2 ${rate(f.batchV2.v2.encodeSpansPerSecPerCore)}/s; v1 ${rate(f.batchV2.v1.encodeSpansPerSecPerCore)}/s`);
  row('LMDB as index: writes/s, lookup p50, bytes/span', (_f, b) => `${rate(b.lmdbIndex.writesPerSec)}/s, ${ms(b.lmdbIndex.lookup.p50Ms)}, ${bytes(b.lmdbIndex.bytesPerSpan)}`);
  row('LMDB whole spans: writes/s, trace read p50, bytes/span', (_f, b) => `${rate(b.lmdbSpans.writesPerSec)}/s, ${ms(b.lmdbSpans.traceRead.p50Ms)}, ${bytes(b.lmdbSpans.bytesPerSpan)}`);
  row('ours ÷ LMDB whole spans: ingest; bytes/span; raw getTrace p50', (_f, b) => `${times(b.ratios.ingestVsLmdbSpans)}; ${times(b.ratios.totalBytesVsLmdbSpans)}; ${times(b.ratios.getTraceRawP50VsLmdbSpansRead)}`);
  row('ours ÷ LMDB as index: index bytes/span', (_f, b) => times(b.ratios.indexBytesVsLmdbIndex));
  const ex = results.exporter;
  lines.push(
    `| OTel exporter, CPU µs and bytes per span (W1 only; ${ex.spans.toLocaleString('en-US')} spans, exports of ${ex.spansPerExport}) | ` +
      `ours ${ex.ours.cpuMicrosPerSpan.toFixed(2)} µs, ${bytes(ex.ours.bytesPerSpan)} (as a processor: ${ex.processor.cpuMicrosPerSpan.toFixed(2)} µs); ` +
      `OTLP proto ${ex.otlpProto.cpuMicrosPerSpan.toFixed(2)} µs, ${bytes(ex.otlpProto.bytesPerSpan)} | — |`,
  );
  const otlp = results.otlpIngest;
  const face = (f: OtlpIngestFigures['http']) =>
    `${rate(f.spansPerSec)} spans/s, ${f.retries} retries; daemon ${f.daemonCpuMicrosPerSpan === null ? '—' : f.daemonCpuMicrosPerSpan.toFixed(2)} µs CPU/span, ` +
    `sender ${f.senderCpuCores.toFixed(2)} cores; daemon RSS ${f.daemonPeakRssBytes === null ? '—' : megabytes(f.daemonPeakRssBytes)}`;
  lines.push(
    `| OTLP ingest from a separate process (W1 only; ${otlp.spans.toLocaleString('en-US')} spans, ${otlp.requests} requests of ~${otlp.spansPerRequest.toFixed(0)} spans, ` +
      `${bytes(otlp.requestBytesPerSpan)}/span, ${otlp.requestsInFlight} in flight) | HTTP: ${face(otlp.http)}. gRPC: ${face(otlp.grpc)} | — |`,
  );
  lines.push('');
  lines.push(`LMDB: ${baselines.settings}.`);
  lines.push(
    'RSS target row: the `tracekv serve` child\'s VmHWM, a process holding only the store; this process also holds every prebuilt batch. ' +
      'Reads: read cache off, files in the OS page cache. "Per core" figures run on one thread.',
  );
  const missed = results.targets.filter((t) => t.w1?.met === false || t.w2?.met === false);
  lines.push('');
  lines.push(missed.length === 0 ? 'Every target met.' : `Targets missed: ${missed.length} of ${results.targets.length} (${missed.map((t) => t.id).join(', ')}).`);
  return `${lines.join('\n')}\n`;
}

function verdict(check: TargetCheck): string {
  const missed = (['w1', 'w2'] as const).filter((key) => check[key]?.met === false).map((key) => key.toUpperCase());
  return missed.length === 0 ? 'yes' : `**NO** (missed on ${missed.join(' and ')})`;
}

function rate(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(0)}k`;
  return value.toFixed(0);
}

function spansPerSec(value: number): string {
  return `${rate(value)} spans/s`;
}

function perSec(value: number): string {
  return `${rate(value)}/s`;
}

function ms(value: number): string {
  if (value < 0.1) return `${(value * 1000).toFixed(1)} µs`;
  if (value < 10) return `${value.toFixed(2)} ms`;
  return `${value.toFixed(1)} ms`;
}

function bytes(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 1)} B`;
}

function megabytes(value: number): string {
  return `${(value / MB).toFixed(0)} MB`;
}

/** Three significant digits below 1, so a ratio just past a target (0.304 against 0.3) shows it. */
function times(value: number): string {
  return `${value.toFixed(value < 1 ? 3 : value < 10 ? 2 : 1)}×`;
}
