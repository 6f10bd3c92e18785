/**
 * Write-path measurements on prebuilt batches: server-side ingest (zstd, fsync, group commit),
 * ingest while bulk reads run, and the index alone (IndexTail over the batches' trailers).
 */
import type { AppendResult, TraceStore } from '../../src/index.js';
import { DEFAULT_OPTIONS } from '../../src/index.js';
import { IndexTail } from '../../src/index/index-tail.js';
import { makeRng } from '../../src/workload/rng.js';
import { openStoredBatch } from '../../src/batch/batch-versions.js';
import { APPENDS_IN_FLIGHT, BULK_TRACES } from './constants.js';
import { secondsSince } from './measure.js';
import { traceIdAt, type PreparedWorkload } from './workloads.js';

/** Where each batch landed, for the LMDB index baseline's values. */
export interface BatchLocations {
  segmentIds: Uint32Array;
  fileOffsets: Uint32Array;
}

export interface IngestRun {
  seconds: number;
  spansPerSec: number;
  locations: BatchLocations;
}

/** Appends every batch with APPENDS_IN_FLIGHT appends outstanding, as a busy collector would. */
export async function appendAll(target: { append(batch: Uint8Array): Promise<AppendResult> }, batches: Uint8Array[]): Promise<IngestRun> {
  const segmentIds = new Uint32Array(batches.length);
  const fileOffsets = new Uint32Array(batches.length);
  let spans = 0;
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: APPENDS_IN_FLIGHT }, async () => {
      while (next < batches.length) {
        const at = next++;
        const result = await target.append(batches[at]!);
        segmentIds[at] = result.segmentId;
        fileOffsets[at] = result.fileOffset;
        spans += result.spans;
      }
    }),
  );
  const seconds = secondsSince(start);
  return { seconds, spansPerSec: spans / seconds, locations: { segmentIds, fileOffsets } };
}

export interface UnderLoadRun {
  spansPerSec: number;
  ratioToAlone: number;
  getTraces100Calls: number;
}

/** Ingests into `second` while getTraces(BULK_TRACES random ids) runs back to back on `loaded`. */
export async function ingestUnderReadLoad(
  loaded: TraceStore,
  second: TraceStore,
  workload: PreparedWorkload,
  aloneSpansPerSec: number,
  seed: number,
): Promise<UnderLoadRun> {
  const rng = makeRng(seed);
  let reading = true;
  let calls = 0;
  const readLoop = (async () => {
    while (reading) {
      await loaded.getTraces(Array.from({ length: BULK_TRACES }, () => traceIdAt(workload, rng.int(workload.traces))));
      calls++;
    }
  })();
  try {
    const run = await appendAll(second, workload.batches);
    return { spansPerSec: run.spansPerSec, ratioToAlone: run.spansPerSec / aloneSpansPerSec, getTraces100Calls: calls };
  } finally {
    reading = false;
    await readLoop;
  }
}

/** Batches indexed once, unmeasured, before the measured pass: ~100k W1 spans, enough for V8 to optimize addSpan. */
const INDEX_WARMUP_BATCHES = 100;

export interface IndexOnlyRun {
  /** Trailer entries (spans) added per second on one core. */
  spansPerSec: number;
  /** Index entries (one per trace per record) created per second. */
  entriesPerSec: number;
  entriesPerSpan: number;
}

/**
 * IndexTail alone, on this thread, over every batch's trailer: indexRecord (beginRecord, one staged
 * id per version-1 trailer entry or per version-2 trace run, endRecord), as the append pipeline
 * does after each record's sync. Only indexRecord is timed: opening the batch is the append path's
 * validation, not the index's work. Tails are sized as the store sizes them
 * (DEFAULT_OPTIONS.indexFlushEntries, partitions) and a full one is replaced by a new one, as the
 * store seals it; sealing itself (chunk files) is not counted. A first pass over a few batches
 * warms the JIT, so a small run measures the steady state too.
 */
export function measureIndexOnly(batches: Uint8Array[]): IndexOnlyRun {
  indexBatches(batches.slice(0, INDEX_WARMUP_BATCHES));
  const { spans, entries, seconds } = indexBatches(batches);
  return { spansPerSec: spans / seconds, entriesPerSec: entries / seconds, entriesPerSpan: entries / spans };
}

function indexBatches(batches: Uint8Array[]): { spans: number; entries: number; seconds: number } {
  const newTail = () => new IndexTail(DEFAULT_OPTIONS.partitions, DEFAULT_OPTIONS.indexFlushEntries);
  let tail = newTail();
  let entries = 0;
  let spans = 0;
  let segmentId = 1;
  let fileOffset = 0;
  let ms = 0;
  for (const batch of batches) {
    // Records positions as a store would: segments roll at segmentBytesMax (uncompressed here).
    if (fileOffset + batch.length > DEFAULT_OPTIONS.segmentBytesMax) {
      segmentId++;
      fileOffset = 0;
    }
    const view = openStoredBatch(batch, false);
    const start = performance.now();
    tail.indexRecord(segmentId, fileOffset, batch.length, view);
    ms += performance.now() - start;
    fileOffset += batch.length;
    spans += view.spanCount;
    if (tail.isFull) {
      entries += tail.entryCount;
      tail = newTail();
    }
  }
  return { spans, entries: entries + tail.entryCount, seconds: ms / 1000 };
}
