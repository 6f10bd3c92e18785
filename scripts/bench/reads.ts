/**
 * Read-path measurements: getTrace on random existing ids and on misses, raw getTrace (for the
 * LMDB comparison), and getTraces(100) against the same 100 ids read one getTrace at a time.
 * Every hit is checked to come back whole, so a fast wrong answer cannot pass for a fast one.
 */
import type { TraceStore } from '../../src/index.js';
import { makeRng, type Rng } from '../../src/workload/rng.js';
import { BULK_TRACES, RAW_LOOKUPS_MAX } from './constants.js';
import { latencyOf, median, type Latency } from './measure.js';
import { traceIdAt, type PreparedWorkload } from './workloads.js';

/** getTrace calls before the timed ones: worker start-up (~150 ms) is not a read's latency. */
const WARMUP_LOOKUPS = 10;

export interface LookupFigures {
  hit: Latency;
  miss: Latency;
}

export interface BulkFigures {
  bulkP50Ms: number;
  sequentialP50Ms: number;
  /** bulk ÷ sequential: below 1, one call beats 100. */
  ratio: number;
  rounds: number;
}

/** `lookups` getTrace calls on random existing traces, then `misses` on random absent ids. */
export async function measureLookups(store: TraceStore, workload: PreparedWorkload, lookups: number, misses: number, seed: number): Promise<LookupFigures> {
  const rng = makeRng(seed);
  // Untimed: the reader pool starts its threads on the first read.
  for (let i = 0; i < WARMUP_LOOKUPS; i++) await store.getTrace(traceIdAt(workload, rng.int(workload.traces)));
  const hits: number[] = [];
  for (let i = 0; i < lookups; i++) {
    const trace = rng.int(workload.traces);
    const start = performance.now();
    const found = await store.getTrace(traceIdAt(workload, trace));
    hits.push(performance.now() - start);
    checkWhole(workload, trace, found?.spans.length);
  }
  const missed: number[] = [];
  for (let i = 0; i < misses; i++) {
    const id = absentId(rng);
    const start = performance.now();
    const found = await store.getTrace(id);
    missed.push(performance.now() - start);
    if (found !== null) throw new Error(`a random id ${Buffer.from(id).toString('hex')} was found: a collision or a bug`);
  }
  return { hit: latencyOf(hits), miss: latencyOf(missed) };
}

/** getTrace({ raw: true }): record bytes, nothing decoded, as LMDB hands them back. */
export async function measureRawLookups(store: TraceStore, workload: PreparedWorkload, lookups: number, seed: number): Promise<Latency> {
  const rng = makeRng(seed);
  const samples: number[] = [];
  for (let i = 0; i < Math.min(lookups, RAW_LOOKUPS_MAX); i++) {
    const trace = rng.int(workload.traces);
    const start = performance.now();
    const found = await store.getTrace(traceIdAt(workload, trace), { raw: true });
    samples.push(performance.now() - start);
    checkWhole(workload, trace, found?.spans.length);
  }
  return latencyOf(samples);
}

/** Medians over `rounds` of getTraces(BULK_TRACES random ids) and of the same ids one getTrace at a time. */
export async function measureBulk(store: TraceStore, workload: PreparedWorkload, rounds: number, seed: number): Promise<BulkFigures> {
  const rng = makeRng(seed);
  const bulk: number[] = [];
  const sequential: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const traces = Array.from({ length: BULK_TRACES }, () => rng.int(workload.traces));
    const ids = traces.map((trace) => traceIdAt(workload, trace));
    let start = performance.now();
    const found = await store.getTraces(ids);
    bulk.push(performance.now() - start);
    traces.forEach((trace, i) => checkWhole(workload, trace, found[i]?.spans.length));
    start = performance.now();
    for (const id of ids) await store.getTrace(id);
    sequential.push(performance.now() - start);
  }
  const bulkP50Ms = median(bulk);
  const sequentialP50Ms = median(sequential);
  return { bulkP50Ms, sequentialP50Ms, ratio: bulkP50Ms / sequentialP50Ms, rounds };
}

function checkWhole(workload: PreparedWorkload, trace: number, got: number | undefined): void {
  const want = workload.traceSpanCounts[trace]!;
  if (got !== want) {
    const id = Buffer.from(traceIdAt(workload, trace)).toString('hex');
    throw new Error(`${workload.name} trace ${id}: got ${got ?? 'no trace'} spans; want ${want}`);
  }
}

/** A random 16-byte id: absent with probability 1 − traces / 2^128. */
function absentId(rng: Rng): Uint8Array {
  const id = rng.bytes(16);
  id[0] = id[0]! | 1;
  return id;
}
