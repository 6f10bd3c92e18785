/**
 * The two workloads of the benchmark issue, generated and encoded up front into client batches
 * (so ingest measures the store, not the generator):
 * - W1, tracegen-shaped: 1 server span + 9 client children per trace, children with 11 string
 *   attributes cycling over 97 keys / 1000 values, 10 services, fixed 123 µs child durations;
 * - W2, real replay: the Zipkin fixtures replayed with fresh ids, shifted times and varied numbers.
 * Both are batched per service (one resource per batch) by the load generator's ServiceBatcher,
 * TRACES_PER_BATCH traces per batch, in batch version 2 (ColumnarBatchEncoder) unless version 1 is
 * asked for. Encode time counts only the batcher's work (add and finish), never generating the
 * traces. The LMDB baselines store version-1 span records, so a version-2 run also encodes its
 * first spans as version 1 for them (untimed).
 */
import { fileURLToPath } from 'node:url';
import { ColumnarBatchEncoder } from '../../src/batch/columnar-encoder.js';
import { BatchEncoder, type BatchEncoderOptions } from '../../src/batch/encoder.js';
import { ServiceBatcher } from '../../src/workload/batcher.js';
import { loadReplayTemplates, tracegenWorkload, zipkinReplayWorkload, type Workload, type WorkloadTrace } from '../../src/workload/replay.js';
import { makeRng } from '../../src/workload/rng.js';
import { ZIPKIN_FIXTURES_DIR } from '../../src/workload/zipkin.js';
import { FIRST_TRACE_UNIX_NANO, PROGRESS_STEPS, SCOPE, TRACE_INTERVAL_NS, TRACES_PER_BATCH } from './constants.js';
import { log, progressEvery } from './measure.js';
import { OtlpSizer, type OtlpSize } from './otlp.js';

export type WorkloadName = 'w1' | 'w2';
/** data-format.md §2 (msgpack records) or §2.7 (columns). */
export type BatchVersion = 1 | 2;

export interface WorkloadEncoding {
  batchVersion: BatchVersion;
  /** Spans (whole batches) also encoded as version 1 when batchVersion is 2, for the baselines. */
  v1PrefixSpans: number;
}

const TRACE_ID_BYTES = 16;
const TRACES_INITIAL = 1024;

export interface PreparedWorkload {
  name: WorkloadName;
  description: string;
  batches: Uint8Array[];
  batchVersion: BatchVersion;
  /** The first ≥ v1PrefixSpans spans as version-1 batches (`batches` itself when that is version 1). */
  v1Batches: Uint8Array[];
  spans: number;
  traces: number;
  /** TRACE_ID_BYTES per trace, in generation order. */
  traceIds: Uint8Array;
  /** Spans of each trace, same order. */
  traceSpanCounts: Uint32Array;
  /** Bytes of all batches as the client built them. */
  rawBytes: number;
  /** Seconds inside the batcher (BatchEncoder.add and finish) on this thread. */
  encodeSeconds: number;
  /** W2 only: the same spans as OTLP protobuf requests. */
  otlp: OtlpSize | null;
}

export const WORKLOAD_DESCRIPTIONS: Record<WorkloadName, string> = {
  w1: 'tracegen-shaped: 1 server + 9 client spans per trace, 11 string attributes per child (97 keys, 1000 values), 10 services',
  w2: 'Zipkin fixtures replayed with fresh ids, shifted times and varied numeric values',
};

export function traceIdAt(workload: PreparedWorkload, trace: number): Uint8Array {
  return workload.traceIds.subarray(trace * TRACE_ID_BYTES, (trace + 1) * TRACE_ID_BYTES);
}

/**
 * Generates and encodes about `spansWanted` spans (whole traces) of workload `name`; `onTrace`, when
 * given, sees every trace too (the peer benchmark builds another engine's rows from the same spans).
 */
export function prepareWorkload(
  name: WorkloadName,
  spansWanted: number,
  seed: number,
  encoding: WorkloadEncoding,
  onTrace?: (trace: WorkloadTrace) => void,
): PreparedWorkload {
  const rng = makeRng(seed);
  const source: Workload =
    name === 'w1' ? tracegenWorkload(rng) : zipkinReplayWorkload(loadReplayTemplates(fileURLToPath(ZIPKIN_FIXTURES_DIR)), rng);
  const otlp = name === 'w2' ? new OtlpSizer() : null;
  const columnar = encoding.batchVersion === 2;
  const v1 = (options: BatchEncoderOptions) => new BatchEncoder(options);
  const batcher = new ServiceBatcher(TRACES_PER_BATCH, SCOPE, columnar ? (options) => new ColumnarBatchEncoder(options) : v1);
  let v1Batcher: ServiceBatcher | null = columnar && encoding.v1PrefixSpans > 0 ? new ServiceBatcher(TRACES_PER_BATCH, SCOPE, v1) : null;
  const v1Batches: Uint8Array[] = [];
  const batches: Uint8Array[] = [];
  let traceIds: Uint8Array = new Uint8Array(TRACES_INITIAL * TRACE_ID_BYTES);
  let traceSpanCounts: Uint32Array = new Uint32Array(TRACES_INITIAL);
  let traces = 0;
  let spans = 0;
  let encodeMs = 0;
  const progress = progressEvery(spansWanted, PROGRESS_STEPS, (done) => log(`${name}: generated and encoded ${done} spans`));

  while (spans < spansWanted) {
    const trace = source.nextTrace(FIRST_TRACE_UNIX_NANO + BigInt(traces) * TRACE_INTERVAL_NS);
    if (traces === traceSpanCounts.length) {
      traceIds = grownBytes(traceIds, traces * 2 * TRACE_ID_BYTES);
      traceSpanCounts = grownCounts(traceSpanCounts, traces * 2);
    }
    Buffer.from(traceIds.buffer, traceIds.byteOffset, traceIds.byteLength).write(trace.traceId, traces * TRACE_ID_BYTES, 'hex');
    traceSpanCounts[traces] = trace.spanCount;
    traces++;
    spans += trace.spanCount;
    otlp?.add(trace);
    onTrace?.(trace);
    if (v1Batcher !== null) {
      for (const batch of v1Batcher.add(trace)) v1Batches.push(batch);
      if (spans >= encoding.v1PrefixSpans) {
        for (const batch of v1Batcher.flush()) v1Batches.push(batch);
        v1Batcher = null;
      }
    }
    const start = performance.now();
    const finished = batcher.add(trace);
    encodeMs += performance.now() - start;
    for (const batch of finished) batches.push(batch);
    progress(spans);
  }
  const start = performance.now();
  for (const batch of batcher.flush()) batches.push(batch);
  encodeMs += performance.now() - start;
  if (v1Batcher !== null) for (const batch of v1Batcher.flush()) v1Batches.push(batch);

  return {
    name,
    description: WORKLOAD_DESCRIPTIONS[name],
    batches,
    batchVersion: encoding.batchVersion,
    v1Batches: columnar ? v1Batches : batches,
    spans,
    traces,
    traceIds: traceIds.subarray(0, traces * TRACE_ID_BYTES),
    traceSpanCounts: traceSpanCounts.subarray(0, traces),
    rawBytes: batches.reduce((sum, batch) => sum + batch.length, 0),
    encodeSeconds: encodeMs / 1000,
    otlp: otlp?.finish() ?? null,
  };
}

function grownBytes(array: Uint8Array, length: number): Uint8Array {
  const next = new Uint8Array(length);
  next.set(array);
  return next;
}

function grownCounts(array: Uint32Array, length: number): Uint32Array {
  const next = new Uint32Array(length);
  next.set(array);
  return next;
}
