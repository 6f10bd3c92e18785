/**
 * The query faces of `tracekv serve` (issue 14's targets), measured right after the daemon ingest
 * step, on the same `tracekv serve` child holding the whole workload, from this process (a separate
 * client process), over one keep-alive HTTP connection:
 * - Tempo's `GET /api/v2/traces/<id>` with `Accept: application/protobuf`, as Grafana calls it,
 *   for random existing ids: p50 and p99 (each reply must be 200 and hold the trace's spans);
 * - `POST /api/v2/traces:batch` for BULK_TRACES random ids, in NDJSON, against the same ids as
 *   sequential v2 calls, p50 of each over the rounds (every line must hold its trace);
 * - `GET /metrics`: the scrape's p50 and p99.
 */
import { makeRng } from '../../src/workload/rng.js';
import { BULK_TRACES } from './constants.js';
import { latencyOf, median, type Latency } from './measure.js';
import { TempoQueryClient } from './query-client.js';
import type { BulkFigures } from './reads.js';
import type { PreparedWorkload } from './workloads.js';

export interface QueryFacesFigures {
  /** /api/v2/traces/<id>, protobuf. */
  tempoV2: Latency;
  /** POST /api/v2/traces:batch of BULK_TRACES ids (NDJSON) against as many sequential v2 calls. */
  tempoBatch: BulkFigures;
  metricsScrape: Latency;
}

/** Scrapes of /metrics measured. */
const SCRAPES = 200;
/** Untimed lookups first: the daemon's reader threads and JIT warm up. */
export const WARMUP_LOOKUPS = 50;

export async function measureQueryFaces(port: number, workload: PreparedWorkload, lookups: number, bulkRounds: number, seed: number): Promise<QueryFacesFigures> {
  const client = new TempoQueryClient(port, workload);
  try {
    const rng = makeRng(seed);
    for (let i = 0; i < WARMUP_LOOKUPS; i++) await client.v2(rng.int(workload.traces));
    const single: number[] = [];
    for (let i = 0; i < lookups; i++) {
      const trace = rng.int(workload.traces);
      const start = performance.now();
      await client.v2(trace);
      single.push(performance.now() - start);
    }
    const bulk: number[] = [];
    const sequential: number[] = [];
    for (let round = 0; round < bulkRounds; round++) {
      const traces = Array.from({ length: BULK_TRACES }, () => rng.int(workload.traces));
      let start = performance.now();
      await client.batch(traces, 'ndjson');
      bulk.push(performance.now() - start);
      start = performance.now();
      for (const trace of traces) await client.v2(trace);
      sequential.push(performance.now() - start);
    }
    const scrapes: number[] = [];
    for (let i = 0; i < SCRAPES; i++) {
      const start = performance.now();
      const reply = await client.request('GET', '/metrics', {});
      scrapes.push(performance.now() - start);
      if (reply.status !== 200) throw new Error(`query faces: /metrics got ${reply.status}; want 200`);
    }
    const bulkP50Ms = median(bulk);
    const sequentialP50Ms = median(sequential);
    return {
      tempoV2: latencyOf(single),
      tempoBatch: { bulkP50Ms, sequentialP50Ms, ratio: bulkP50Ms / sequentialP50Ms, rounds: bulkRounds },
      metricsScrape: latencyOf(scrapes),
    };
  } finally {
    client.close();
  }
}
