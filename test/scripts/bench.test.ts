// Proves the end-to-end benchmark runs every stage in its smoke mode and writes results of the documented shape (never speed).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');
const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracekv-bench-test-'));

/** Every figure of one workload, as SCHEMA.md lists them. */
const WORKLOAD_NUMBERS = [
  'spans',
  'traces',
  'batches',
  'spansPerBatch',
  'rawBytesPerSpan',
  'encode.spansPerSecPerCore',
  'zstd.level1.ratio',
  'zstd.level1.mbPerSec',
  'zstd.level3.ratio',
  'zstd.level3.mbPerSec',
  'batchV2.sampleSpans',
  'batchV2.v1.rawBytesPerSpan',
  'batchV2.v1.level1',
  'batchV2.v1.level3',
  'batchV2.v1.level6',
  'batchV2.v1.encodeSpansPerSecPerCore',
  'batchV2.v2.rawBytesPerSpan',
  'batchV2.v2.level1',
  'batchV2.v2.level3',
  'batchV2.v2.level6',
  'batchV2.v2.encodeSpansPerSecPerCore',
  'index.spansPerSec',
  'index.entriesPerSec',
  'index.entriesPerSpan',
  'ingest.spansPerSec',
  'ingest.seconds',
  'ingest.appends',
  'ingest.groupCommits',
  'ingestUnderReadLoad.spansPerSec',
  'ingestUnderReadLoad.ratioToAlone',
  'ingestUnderReadLoad.getTraces100Calls',
  'daemonIngest.spansPerSec',
  'daemonIngest.ratioToEmbedded',
  'daemonIngest.queryFaces.tempoV2.p50Ms',
  'daemonIngest.queryFaces.tempoV2.p99Ms',
  'daemonIngest.queryFaces.tempoV2.count',
  'daemonIngest.queryFaces.tempoBatch.bulkP50Ms',
  'daemonIngest.queryFaces.tempoBatch.sequentialP50Ms',
  'daemonIngest.queryFaces.tempoBatch.ratio',
  'daemonIngest.queryFaces.metricsScrape.p50Ms',
  'daemonIngest.queryFaces.metricsScrape.p99Ms',
  'getTrace.p50Ms',
  'getTrace.p99Ms',
  'getTrace.count',
  'getTraceMiss.p50Ms',
  'getTraceMiss.p99Ms',
  'getTraceRaw.p50Ms',
  'getTraceInline.p50Ms',
  'getTraces100.bulkP50Ms',
  'getTraces100.sequentialP50Ms',
  'getTraces100.ratio',
  'getTraces100Inline.bulkP50Ms',
  'disk.dataBytesPerSpan',
  'disk.indexBytesPerSpan',
  'disk.totalBytesPerSpan',
  'residentIndex.bytes',
  'residentIndex.bytesPerSpan',
  'rss.peakBytes',
  'rss.beforeIngestBytes',
  'rss.prebuiltBatchBytes',
  'reopen.ms',
];
const OTLP_NUMBERS = ['spans', 'requests', 'bytes', 'bytesPerSpan', 'spansPerRequest', 'storedBytesRatio'];
/** OTLP ingest figures per face (otlpIngest.http, otlpIngest.grpc), as SCHEMA.md lists them; the /proc ones may be null elsewhere but not on Linux. */
const OTLP_FACE_NUMBERS = [
  'spansPerSec',
  'seconds',
  'spans',
  'requests',
  'retries',
  'retryWaitMs',
  'senderCpuMicrosPerSpan',
  'senderCpuCores',
  'daemonCpuMicrosPerSpan',
  'daemonCpuCores',
  'daemonRssSampledPeakBytes',
  'daemonPeakRssBytes',
  'rssSamples',
  'storedSpans',
  'appends',
  'groupCommits',
];
const OTLP_INGEST_NUMBERS = ['spans', 'requests', 'spansPerRequest', 'requestBytesPerSpan', 'requestsInFlight', 'senderPrepareSeconds', 'grpcVsHttp', 'daemonPeakRssBytes'];
const BASELINE_NUMBERS = [
  'lmdbIndex.spans',
  'lmdbIndex.keys',
  'lmdbIndex.writesPerSec',
  'lmdbIndex.lookup.p50Ms',
  'lmdbIndex.bytesPerSpan',
  'lmdbSpans.spans',
  'lmdbSpans.keys',
  'lmdbSpans.writesPerSec',
  'lmdbSpans.traceRead.p50Ms',
  'lmdbSpans.bytesPerSpan',
  'ratios.ingestVsLmdbIndex',
  'ratios.ingestVsLmdbSpans',
  'ratios.indexBytesVsLmdbIndex',
  'ratios.totalBytesVsLmdbSpans',
  'ratios.getTraceRawP50VsLmdbSpansRead',
];

function at(object: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], object);
}

function expectFinite(object: unknown, keys: string[], where: string): void {
  for (const key of keys) expect(Number.isFinite(at(object, key)), `${where}.${key} = ${String(at(object, key))}`).toBe(true);
}

afterAll(() => fs.rmSync(resultsDir, { recursive: true, force: true }));

describe('scripts/bench.ts --smoke', () => {
  it('exits 0, prints the targets table and writes latest.json with every figure finite', () => {
    const report = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--smoke', '--results-dir', resultsDir], {
      cwd: repo,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(report).toContain('| figure | W1 | W2 | target | met? |');

    const files = fs.readdirSync(resultsDir).sort();
    expect(files).toContain('latest.json');
    expect(files.filter((name) => /^\d{4}-\d\d-\d\dT.*\.json$/.test(name))).toHaveLength(1);
    const results = JSON.parse(fs.readFileSync(path.join(resultsDir, 'latest.json'), 'utf8'));

    expect(results.schemaVersion).toBe(1);
    expect(results.mode).toBe('smoke');
    expect(Number.isFinite(results.durationSeconds)).toBe(true);
    expectFinite(results.machine, ['cpus', 'memoryBytes'], 'machine');
    for (const key of ['cpuModel', 'node', 'date']) expect(typeof results.machine[key]).toBe('string');
    for (const workload of ['w1', 'w2']) {
      expectFinite(results[workload], WORKLOAD_NUMBERS, workload);
      expectFinite(results.baselines[workload], BASELINE_NUMBERS, `baselines.${workload}`);
      // Every hit was checked whole inside the run; here only that the run read something.
      expect(results[workload].getTrace.count).toBeGreaterThan(0);
    }
    expect(results.w1.otlp).toBeNull();
    expectFinite(results.w2.otlp, OTLP_NUMBERS, 'w2.otlp');
    expect(typeof results.baselines.settings).toBe('string');
    expectFinite(results.otlpIngest, OTLP_INGEST_NUMBERS, 'otlpIngest');
    for (const face of ['http', 'grpc']) {
      expectFinite(results.otlpIngest[face], OTLP_FACE_NUMBERS, `otlpIngest.${face}`);
      // The run itself fails unless STATS showed exactly the spans sent; the figure must say the same.
      expect(results.otlpIngest[face].storedSpans).toBe(results.otlpIngest.spans);
    }
    expect(report).toContain('OTLP ingest from a separate process');

    expect(results.targets.length).toBeGreaterThanOrEqual(13);
    const ids = results.targets.map((target: { id: string }) => target.id);
    for (const id of ['otlpHttpSpansPerSec', 'otlpGrpcVsHttp', 'otlpDaemonPeakRssBytes', 'tempoV2P50Ms', 'tempoV2P99Ms', 'tempoBatchVsSequential', 'metricsScrapeP99Ms']) expect(ids).toContain(id);
    for (const target of results.targets) {
      expect(typeof target.id).toBe('string');
      expect(typeof target.target).toBe('string');
      for (const check of [target.w1, target.w2]) {
        if (check === null) continue;
        expect(Number.isFinite(check.value), `${target.id}`).toBe(true);
        expect(typeof check.met).toBe('boolean');
      }
    }
  });
});
