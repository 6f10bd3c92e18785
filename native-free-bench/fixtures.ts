/**
 * Bench inputs, built once before any task runs: tracegen-shaped traces (1 server span + 9 client
 * children, src/workload/tracegen.ts) from a fixed seed, encoded into batches of 100 traces
 * (1000 spans, ~233 KB). Nothing here is measured.
 */
import { BATCH_HEADER_BYTES, INDEX_FLUSH_ENTRIES_DEFAULT, PARTITIONS_DEFAULT, TRACE_ID_BYTES, TRAILER_ENTRY_BYTES } from '../src/constants.js';
import { BatchEncoder } from '../src/batch/encoder.js';
import { type BatchHeader, readBatchHeader } from '../src/batch/header.js';
import type { SpanInput } from '../src/batch/types.js';
import { traceHash } from '../src/codec/trace-hash.js';
import { IndexTail } from '../src/index/index-tail.js';
import { makeRng, type Rng } from '../src/workload/rng.js';
import { tracegenTrace } from '../src/workload/tracegen.js';
import type { BenchBudget } from './bench-kit.js';

export const SEED = 20_240_601;
export const TRACES_PER_BATCH = 100;
export const SPANS_PER_TRACE = 10;
export const SPANS_PER_BATCH = TRACES_PER_BATCH * SPANS_PER_TRACE;
/** Same as the store's default, so tail and chunk figures are for the size the store seals at. */
export const PARTITIONS = PARTITIONS_DEFAULT;
/** Ids looked up or probed per task call: enough that one timer read is noise. */
export const LOOKUPS_PER_CALL = 1024;
const START_TIME_UNIX_NANO = 1_700_000_000_000_000_000n;

/** Index entries in a full-size tail or chunk: the store's default flush threshold, or 16k for --quick. */
export function indexEntriesFor(budget: BenchBudget): number {
  return budget.quick ? 16_384 : INDEX_FLUSH_ENTRIES_DEFAULT;
}

/** Traces numbered from `firstCounter`, each a tracegen trace one ms after the previous. */
export function tracegenTraces(rng: Rng, firstCounter: number, count: number): SpanInput[][] {
  const traces: SpanInput[][] = [];
  for (let counter = firstCounter; counter < firstCounter + count; counter++) {
    traces.push(tracegenTrace(rng, counter, START_TIME_UNIX_NANO + BigInt(counter) * 1_000_000n).spans);
  }
  return traces;
}

export function newEncoder(service: number): BatchEncoder {
  return new BatchEncoder({ resource: { attributes: { 'service.name': `tracegen-${service}` } } });
}

export interface TracegenBatch {
  readonly bytes: Uint8Array;
  readonly header: BatchHeader;
  /** Trace ids of the batch as 16-byte rows, in trace order. */
  readonly traceIds: Uint8Array;
}

/** `count` batches of TRACES_PER_BATCH tracegen traces each, from `rng`. */
export function tracegenBatches(rng: Rng, count: number): TracegenBatch[] {
  const batches: TracegenBatch[] = [];
  for (let b = 0; b < count; b++) {
    const encoder = newEncoder(b);
    for (const trace of tracegenTraces(rng, b * TRACES_PER_BATCH, TRACES_PER_BATCH)) {
      for (const span of trace) encoder.add(span);
    }
    const bytes = encoder.finish();
    const header = readBatchHeader(bytes);
    const traceIds = new Uint8Array(TRACES_PER_BATCH * TRACE_ID_BYTES);
    const trailerStart = trailerStartOf(header);
    // Spans are added trace by trace, so trace t's first span is trailer entry t × SPANS_PER_TRACE.
    for (let t = 0; t < TRACES_PER_BATCH; t++) {
      const at = trailerStart + t * SPANS_PER_TRACE * TRAILER_ENTRY_BYTES;
      traceIds.set(bytes.subarray(at, at + TRACE_ID_BYTES), t * TRACE_ID_BYTES);
    }
    batches.push({ bytes, header, traceIds });
  }
  return batches;
}

/** Absolute offset of trailer entry 0 (data-format.md §2.2). */
export function trailerStartOf(header: BatchHeader): number {
  return BATCH_HEADER_BYTES + header.commonLength + header.spansLength;
}

/** `count` random non-zero trace ids as 16-byte rows, drawn the way tracegen draws them. */
export function randomTraceIds(rng: Rng, count: number): Uint8Array {
  const ids = rng.bytes(count * TRACE_ID_BYTES);
  for (let i = 0; i < count; i++) ids[i * TRACE_ID_BYTES] = ids[i * TRACE_ID_BYTES]! | 1;
  return ids;
}

/** traceHash of each 16-byte row, as one Uint32Array(3) view per id (the lookups' `hashes`). */
export function hashesOf(ids: Uint8Array): Uint32Array[] {
  const count = ids.length / TRACE_ID_BYTES;
  const all = new Uint32Array(count * 3);
  const views: Uint32Array[] = [];
  for (let i = 0; i < count; i++) {
    const hashes = all.subarray(i * 3, i * 3 + 3);
    traceHash(ids, i * TRACE_ID_BYTES, hashes);
    views.push(hashes);
  }
  return views;
}

/**
 * An index tail holding `entryCount` entries, fed the way the store feeds it: records of
 * TRACES_PER_BATCH traces × SPANS_PER_TRACE spans, one entry per trace per record. Returns the
 * tail (not frozen) and every trace id in it, as 16-byte rows.
 */
export function filledTail(rng: Rng, entryCount: number): { tail: IndexTail; traceIds: Uint8Array } {
  const traceIds = randomTraceIds(rng, entryCount);
  const tail = new IndexTail(PARTITIONS, entryCount);
  const recordBytes = 400_000; // about a tracegen batch: the value only fills the entries' length word
  let fileOffset = 32;
  for (let first = 0; first < entryCount; first += TRACES_PER_BATCH) {
    const end = Math.min(entryCount, first + TRACES_PER_BATCH);
    const start = START_TIME_UNIX_NANO + BigInt(first) * 1_000_000n;
    tail.beginRecord(1, fileOffset, recordBytes, start, start + BigInt(end - first) * 1_000_000n);
    for (let t = first; t < end; t++) {
      for (let s = 0; s < SPANS_PER_TRACE; s++) tail.addSpans(traceIds, t * TRACE_ID_BYTES, 1);
    }
    tail.endRecord();
    fileOffset += recordBytes;
  }
  return { tail, traceIds };
}

/** `count` rows picked at random (with repeats) from `ids`, as a new 16-byte-row array. */
export function sampleIds(rng: Rng, ids: Uint8Array, count: number): Uint8Array {
  const total = ids.length / TRACE_ID_BYTES;
  const out = new Uint8Array(count * TRACE_ID_BYTES);
  for (let i = 0; i < count; i++) {
    const at = rng.int(total) * TRACE_ID_BYTES;
    out.set(ids.subarray(at, at + TRACE_ID_BYTES), i * TRACE_ID_BYTES);
  }
  return out;
}

export { makeRng };
