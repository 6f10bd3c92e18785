/**
 * The query faces of `tracekv serve` (issue 14's targets), measured right after the daemon ingest
 * step, on the same `tracekv serve` child holding the whole workload, from this process (a separate
 * client process), over one keep-alive HTTP connection:
 * - Tempo's `GET /api/v2/traces/<id>` with `Accept: application/protobuf`, as Grafana calls it,
 *   for random existing ids: p50 and p99 (each reply must be 200 and hold the trace's spans);
 * - `POST /api/v2/traces:batch` for BULK_TRACES random ids against the same ids as sequential v2
 *   calls, p50 of each over the rounds (every line must hold its trace);
 * - `GET /metrics`: the scrape's p50 and p99.
 */
import http from 'node:http';
import { ProtobufReader, WIRE_LEN } from '../../src/otlp/protobuf-reader.js';
import { makeRng } from '../../src/workload/rng.js';
import { BULK_TRACES } from './constants.js';
import { latencyOf, median, type Latency } from './measure.js';
import type { BulkFigures } from './reads.js';
import { traceIdAt, type PreparedWorkload } from './workloads.js';

export interface QueryFacesFigures {
  /** /api/v2/traces/<id>, protobuf. */
  tempoV2: Latency;
  /** POST /api/v2/traces:batch of BULK_TRACES ids against as many sequential v2 calls. */
  tempoBatch: BulkFigures;
  metricsScrape: Latency;
}

/** Scrapes of /metrics measured. */
const SCRAPES = 200;
/** Untimed lookups first: the daemon's reader threads and JIT warm up. */
const WARMUP_LOOKUPS = 50;

interface Reply {
  status: number;
  body: Buffer;
}

export async function measureQueryFaces(port: number, workload: PreparedWorkload, lookups: number, bulkRounds: number, seed: number): Promise<QueryFacesFigures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const request = (method: string, path: string, headers: http.OutgoingHttpHeaders, body?: string) =>
    new Promise<Reply>((resolve, reject) => {
      const outgoing = http.request({ host: '127.0.0.1', port, method, path, agent, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body: Buffer.concat(chunks) }));
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  const hex = (trace: number) => Buffer.from(traceIdAt(workload, trace)).toString('hex');
  const v2 = async (trace: number) => {
    const reply = await request('GET', `/api/v2/traces/${hex(trace)}`, { accept: 'application/protobuf' });
    if (reply.status !== 200) throw new Error(`query faces: /api/v2/traces/${hex(trace)} got ${reply.status}; want 200`);
    checkSpans(workload, trace, countSpans(reply.body));
  };
  try {
    const rng = makeRng(seed);
    for (let i = 0; i < WARMUP_LOOKUPS; i++) await v2(rng.int(workload.traces));
    const single: number[] = [];
    for (let i = 0; i < lookups; i++) {
      const trace = rng.int(workload.traces);
      const start = performance.now();
      await v2(trace);
      single.push(performance.now() - start);
    }
    const bulk: number[] = [];
    const sequential: number[] = [];
    for (let round = 0; round < bulkRounds; round++) {
      const traces = Array.from({ length: BULK_TRACES }, () => rng.int(workload.traces));
      let start = performance.now();
      const reply = await request('POST', '/api/v2/traces:batch', { 'content-type': 'application/json' }, JSON.stringify({ ids: traces.map(hex) }));
      bulk.push(performance.now() - start);
      const lines = reply.body.toString('utf8').trimEnd().split('\n');
      if (reply.status !== 200 || lines.length !== traces.length) throw new Error(`query faces: traces:batch got ${reply.status} with ${lines.length} lines; want 200 with ${traces.length}`);
      traces.forEach((trace, i) => checkSpans(workload, trace, countJsonSpans(lines[i]!)));
      start = performance.now();
      for (const trace of traces) await v2(trace);
      sequential.push(performance.now() - start);
    }
    const scrapes: number[] = [];
    for (let i = 0; i < SCRAPES; i++) {
      const start = performance.now();
      const reply = await request('GET', '/metrics', {});
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
    agent.destroy();
  }
}

function checkSpans(workload: PreparedWorkload, trace: number, got: number): void {
  const want = workload.traceSpanCounts[trace]!;
  if (got !== want) throw new Error(`query faces: trace ${trace} came back with ${got} spans; want ${want}`);
}

/** Spans in a TraceByIDResponse: field 1 (Trace) → ResourceSpans (1) → ScopeSpans (2) → Span (2). */
function countSpans(body: Buffer): number {
  const count = (bytes: Uint8Array, path: readonly number[]): number => {
    if (path.length === 0) return 1;
    const reader = new ProtobufReader(bytes);
    let spans = 0;
    while (reader.nextField()) {
      if (reader.fieldNumber === path[0] && reader.wireType === WIRE_LEN) {
        const end = reader.lengthDelimited();
        spans += count(bytes.subarray(reader.pos, end), path.slice(1));
        reader.pos = end;
      } else reader.skipValue();
    }
    return spans;
  };
  return count(body, [1, 1, 2, 2]);
}

/** Spans in one NDJSON line of the bulk read (its v2 JSON reply), 0 for null. */
function countJsonSpans(line: string): number {
  const reply = JSON.parse(line) as { trace: { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] } } | null;
  return reply === null ? 0 : reply.trace.resourceSpans.reduce((sum, r) => sum + r.scopeSpans.reduce((n, s) => n + s.spans.length, 0), 0);
}
