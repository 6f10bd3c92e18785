/**
 * Every measurement of one workload, in order: encode (while generating), zstd levels, the index
 * alone, embedded ingest (sampling RSS), reads with reader workers, ingest under read load, reads
 * inline, reopen, sizes on disk, daemon ingest, then the LMDB baselines on a prefix of the same
 * batches. Stores live in temporary directories removed at the end.
 *
 * Reads run with the read cache off: a bulk call would otherwise warm it for the sequential calls
 * that follow it. The store's files are in the OS page cache throughout (they were just written).
 */
import { TraceStore } from './engine.js';
import { COMPRESSION_LEVEL_DEFAULT } from '../../src/constants.js';
import {
  LMDB_SETTINGS,
  baselineBatches,
  lmdbIndexBaseline,
  lmdbSpansBaseline,
  type LmdbIndexFigures,
  type LmdbSpansFigures,
} from './baselines.js';
import { BATCH_V2_SAMPLE_SPANS_MAX, BatchVersionSampler, type BatchV2Figures } from './batch-v2.js';
import { RSS_SAMPLE_MS } from './constants.js';
import { daemonIngest, type DaemonRun } from './daemon.js';
import { appendAll, ingestUnderReadLoad, measureIndexOnly, type IndexOnlyRun, type UnderLoadRun } from './ingest.js';
import { dirBytes, log, withRssSampling, withTempDir, type Latency } from './measure.js';
import type { BenchOptions } from './options.js';
import type { OtlpSize } from './otlp.js';
import { measureBulk, measureLookups, measureRawLookups, type BulkFigures } from './reads.js';
import { prepareWorkload, type PreparedWorkload, type WorkloadName } from './workloads.js';
import { compareZstdLevels, type ZstdLevel } from './zstd-levels.js';

export interface WorkloadFigures {
  description: string;
  spans: number;
  traces: number;
  batches: number;
  spansPerBatch: number;
  rawBytesPerSpan: number;
  encode: { spansPerSecPerCore: number };
  zstd: { level1: ZstdLevel; level3: ZstdLevel };
  /** Batch version 2 against version 1 on the workload's first spans (batch-v2.ts). */
  batchV2: BatchV2Figures;
  index: IndexOnlyRun;
  ingest: { spansPerSec: number; seconds: number; appends: number; groupCommits: number };
  ingestUnderReadLoad: UnderLoadRun;
  daemonIngest: DaemonRun;
  getTrace: Latency;
  getTraceMiss: Latency;
  getTraceRaw: Latency;
  getTraceInline: Latency;
  getTraces100: BulkFigures;
  getTraces100Inline: BulkFigures;
  disk: { dataBytesPerSpan: number; indexBytesPerSpan: number; totalBytesPerSpan: number };
  residentIndex: { bytes: number; bytesPerSpan: number };
  rss: { peakBytes: number; beforeIngestBytes: number; prebuiltBatchBytes: number; samples: number; samplePeriodMs: number };
  reopen: { ms: number };
  /** W2 only. */
  otlp: (OtlpSize & { storedBytesRatio: number }) | null;
}

export interface WorkloadBaselines {
  lmdbIndex: LmdbIndexFigures;
  lmdbSpans: LmdbSpansFigures;
  ratios: {
    /** Our ingest spans/s ÷ LMDB-index writes/s. */
    ingestVsLmdbIndex: number;
    /** Our ingest spans/s ÷ LMDB-spans writes/s. */
    ingestVsLmdbSpans: number;
    /** Our index bytes/span ÷ LMDB-index bytes/span. */
    indexBytesVsLmdbIndex: number;
    /** Our data+index bytes/span ÷ LMDB-spans bytes/span. */
    totalBytesVsLmdbSpans: number;
    /** Our raw getTrace p50 ÷ LMDB-spans trace read p50 (below 1: we are faster). */
    getTraceRawP50VsLmdbSpansRead: number;
  };
}

export { LMDB_SETTINGS };

export async function runWorkload(name: WorkloadName, options: BenchOptions): Promise<{ figures: WorkloadFigures; baselines: WorkloadBaselines }> {
  const spansWanted = name === 'w1' ? options.w1Spans : options.w2Spans;
  log(`${name}: generating and encoding ${spansWanted} spans`);
  const sampler = new BatchVersionSampler();
  const workload = prepareWorkload(name, spansWanted, options.seed, { batchVersion: options.batchVersion, v1PrefixSpans: options.baselineSpans }, (trace) => sampler.add(trace));
  log(`${name}: batch version 2 against version 1 on the first ${BATCH_V2_SAMPLE_SPANS_MAX} spans`);
  const batchV2 = await sampler.finish();
  log(`${name}: ${workload.spans} spans, ${workload.traces} traces, ${workload.batches.length} batches; comparing zstd levels`);
  const zstd = await compareZstdLevels(workload.batches);
  log(`${name}: index alone (IndexTail over the trailers, one core)`);
  const index = measureIndexOnly(workload.batches);

  const store = await withTempDir(`${name}-store`, (dir) => measureStore(dir, workload, options));
  log(`${name}: ingest through a tracekv serve child process`);
  const daemon = await daemonIngest(workload, store.ingest.spansPerSec, { lookups: options.lookups, bulkRounds: options.bulkRounds, seed: options.seed + 17 });
  const baselines = await runBaselines(workload, options, store);

  const otlp = workload.otlp === null ? null : { ...workload.otlp, storedBytesRatio: store.disk.totalBytesPerSpan / workload.otlp.bytesPerSpan };
  const figures: WorkloadFigures = {
    description: workload.description,
    spans: workload.spans,
    traces: workload.traces,
    batches: workload.batches.length,
    spansPerBatch: workload.spans / workload.batches.length,
    rawBytesPerSpan: workload.rawBytes / workload.spans,
    encode: { spansPerSecPerCore: workload.spans / workload.encodeSeconds },
    zstd,
    batchV2,
    index,
    ...store.figures,
    ingest: store.ingest,
    disk: store.disk,
    daemonIngest: daemon,
    otlp,
  };
  return { figures, baselines };
}

type StoreFigures = Pick<
  WorkloadFigures,
  'ingestUnderReadLoad' | 'getTrace' | 'getTraceMiss' | 'getTraceRaw' | 'getTraceInline' | 'getTraces100' | 'getTraces100Inline' | 'residentIndex' | 'rss' | 'reopen'
>;

interface StoreRun {
  ingest: WorkloadFigures['ingest'];
  disk: WorkloadFigures['disk'];
  figures: StoreFigures;
  locations: Awaited<ReturnType<typeof appendAll>>['locations'];
}

async function measureStore(dir: string, workload: PreparedWorkload, options: BenchOptions): Promise<StoreRun> {
  const { name, spans } = workload;
  const seed = options.seed;
  log(`${name}: embedded ingest (durability fsync, zstd level ${COMPRESSION_LEVEL_DEFAULT}, the store's default, group commit)`);
  const store = await TraceStore.open({ dir, readCacheBytesMax: 0 });
  const beforeIngestBytes = process.memoryUsage.rss();
  const sampled = await withRssSampling(RSS_SAMPLE_MS, () => appendAll(store, workload.batches));
  const run = sampled.result;
  const stats = store.stats();

  log(`${name}: getTrace × ${options.lookups} + ${options.misses} misses, raw getTrace, getTraces(100) × ${options.bulkRounds} (reader workers)`);
  const lookups = await measureLookups(store, workload, options.lookups, options.misses, seed + 11);
  const raw = await measureRawLookups(store, workload, options.lookups, seed + 12);
  const bulk = await measureBulk(store, workload, options.bulkRounds, seed + 13);

  log(`${name}: ingest into a second store while getTraces(100) loops on the first`);
  const underLoad = await withTempDir(`${name}-under-load`, async (secondDir) => {
    const second = await TraceStore.open({ dir: secondDir });
    try {
      return await ingestUnderReadLoad(store, second, workload, run.spansPerSec, seed + 14);
    } finally {
      await second.close();
    }
  });
  await store.close();

  log(`${name}: reads inline (readerThreads 0)`);
  const inline = await TraceStore.open({ dir, readerThreads: 0, readCacheBytesMax: 0 });
  const inlineLookups = await measureLookups(inline, workload, options.lookups, 0, seed + 15);
  const inlineBulk = await measureBulk(inline, workload, options.bulkRounds, seed + 16);
  await inline.close();

  log(`${name}: reopen`);
  const reopenStart = performance.now();
  const reopened = await TraceStore.open({ dir });
  const reopenMs = performance.now() - reopenStart;
  // After a clean close every entry is sealed: the steady-state resident index memory.
  const residentBytes = reopened.stats().indexResidentBytes;
  await reopened.close();

  const dataBytes = dirBytes(dir, '.tkv');
  const indexBytes = dirBytes(dir, '.tki');
  return {
    ingest: { spansPerSec: run.spansPerSec, seconds: run.seconds, appends: stats.appends, groupCommits: stats.groupCommits },
    disk: { dataBytesPerSpan: dataBytes / spans, indexBytesPerSpan: indexBytes / spans, totalBytesPerSpan: (dataBytes + indexBytes) / spans },
    locations: run.locations,
    figures: {
      ingestUnderReadLoad: underLoad,
      getTrace: lookups.hit,
      getTraceMiss: lookups.miss,
      getTraceRaw: raw,
      getTraceInline: inlineLookups.hit,
      getTraces100: bulk,
      getTraces100Inline: inlineBulk,
      residentIndex: { bytes: residentBytes, bytesPerSpan: residentBytes / spans },
      rss: {
        peakBytes: sampled.peakRssBytes,
        beforeIngestBytes,
        prebuiltBatchBytes: workload.rawBytes,
        samples: sampled.samples,
        samplePeriodMs: RSS_SAMPLE_MS,
      },
      reopen: { ms: reopenMs },
    },
  };
}

async function runBaselines(workload: PreparedWorkload, options: BenchOptions, store: StoreRun): Promise<WorkloadBaselines> {
  // The baselines store version-1 span records: the same first spans, encoded as version 1.
  const chosen = baselineBatches(workload.v1Batches, options.baselineSpans);
  log(`${workload.name}: LMDB as the span index, ${chosen.spans} spans`);
  const lmdbIndex = await lmdbIndexBaseline(chosen.batches, store.locations, options.lookups, options.seed + 21);
  log(`${workload.name}: LMDB storing whole spans, ${chosen.spans} spans`);
  const lmdbSpans = await lmdbSpansBaseline(chosen.batches, options.lookups, options.seed + 22);
  return {
    lmdbIndex,
    lmdbSpans,
    ratios: {
      ingestVsLmdbIndex: store.ingest.spansPerSec / lmdbIndex.writesPerSec,
      ingestVsLmdbSpans: store.ingest.spansPerSec / lmdbSpans.writesPerSec,
      indexBytesVsLmdbIndex: store.disk.indexBytesPerSpan / lmdbIndex.bytesPerSpan,
      totalBytesVsLmdbSpans: store.disk.totalBytesPerSpan / lmdbSpans.bytesPerSpan,
      getTraceRawP50VsLmdbSpansRead: store.figures.getTraceRaw.p50Ms / lmdbSpans.traceRead.p50Ms,
    },
  };
}
