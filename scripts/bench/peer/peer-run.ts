/**
 * The two sides of the peer benchmark, each alone on the machine in turn, on the same spans built
 * before the clock starts (tracekv's client batches, ClickHouse's RowBinary rows), each queried
 * over HTTP from this process:
 * - tracekv: a `tracekv serve` child (fsync durability), ingest through the TCP client with
 *   APPENDS_IN_FLIGHT appends outstanding; trace-by-ID as Grafana asks it (Tempo v2 protobuf);
 *   bulk as `POST /api/v2/traces:batch` in protobuf, as trace-by-ID, and in NDJSON, rounds taking
 *   turns; bytes of segments plus index after a clean stop.
 * - ClickHouse: a local server (clickhouse-server.ts), INSERT … FORMAT RowBinary of
 *   CLICKHOUSE_INSERT_ROWS rows, CLICKHOUSE_INSERTS_IN_FLIGHT at once (its own default durability:
 *   no fsync); then OPTIMIZE TABLE … FINAL, so its lookups and bytes are those of merged parts, its
 *   best case; trace-by-ID as `WHERE trace_id = unhex(…)`, bulk as `WHERE trace_id IN (…)`, both
 *   in RowBinary; bytes of the active parts.
 * Every reply is checked to hold all of its trace's spans. While either side is read, this process
 * holds only the trace ids and span counts: tracekv's batches are let go once stored, and
 * ClickHouse's rows wait in a file (row-spool.ts).
 */
import { TraceClient } from '../../../src/index.js';
import { makeRng } from '../../../src/workload/rng.js';
import { DaemonChild } from '../../testkit/daemon-child.js';
import { BULK_TRACES } from '../constants.js';
import { appendAll } from '../ingest.js';
import { dirBytes, latencyOf, log, median, secondsSince, withTempDir, type Latency } from '../measure.js';
import { TempoQueryClient } from '../query-client.js';
import { WARMUP_LOOKUPS } from '../query-faces.js';
import { traceIdAt, type PreparedWorkload } from '../workloads.js';
import { ClickHouseServer } from './clickhouse-server.js';
import type { RowSpool } from './row-spool.js';
import { createSpansTable, readSpanRows, SPANS_TABLE } from './span-rows.js';

/** Rows per INSERT: ClickHouse wants large inserts (each makes a part), and 100k W1 rows are ~25 MB. */
export const CLICKHOUSE_INSERT_ROWS = 100_000;
/** Two inserts at once keep both cores busy, as APPENDS_IN_FLIGHT does for tracekv. */
const CLICKHOUSE_INSERTS_IN_FLIGHT = 2;

/** OPTIMIZE is refused while background merges hold the parts: wait for them, this often at most. */
const MERGE_WAIT_POLL_MS = 200;
const MERGE_ATTEMPTS_MAX = 50;

export interface PeerFigures {
  ingestSpansPerSec: number;
  /** Bytes on disk per span: tracekv's segments and index files, ClickHouse's active parts. */
  bytesPerSpan: number;
  traceById: Latency;
  /** BULK_TRACES random ids in one request, p50 over the rounds (tracekv: in protobuf). */
  bulkP50Ms: number;
}

export interface TracekvFigures extends PeerFigures {
  /** The same bulk reads answered in NDJSON, in rounds alternating with the protobuf ones. */
  bulkNdjsonP50Ms: number;
}

export interface ClickHouseFigures extends PeerFigures {
  version: string;
  /** Seconds OPTIMIZE TABLE … FINAL took (not part of ingest). */
  optimizeSeconds: number;
  activeParts: number;
}

export interface PeerSettings {
  lookups: number;
  bulkRounds: number;
  seed: number;
}

/** The ids each side looks up: the same random traces for both. */
function pickTraces(workload: PreparedWorkload, settings: PeerSettings): { single: number[]; bulk: number[][] } {
  const rng = makeRng(settings.seed);
  const single = Array.from({ length: WARMUP_LOOKUPS + settings.lookups }, () => rng.int(workload.traces));
  const bulk = Array.from({ length: settings.bulkRounds }, () => Array.from({ length: BULK_TRACES }, () => rng.int(workload.traces)));
  return { single, bulk };
}

/**
 * Times `lookup` over the picked traces (the first WARMUP_LOOKUPS untimed), then each of `bulks`
 * over the rounds, taking turns within a round (which goes first alternates), so that drift on
 * the shared machine falls on all of them alike. One p50 per bulk, in the order given.
 */
async function timeReads(picked: { single: number[]; bulk: number[][] }, lookup: (trace: number) => Promise<void>, bulks: ((traces: number[]) => Promise<void>)[]): Promise<{ traceById: Latency; bulkP50Ms: number[] }> {
  const samples: number[] = [];
  for (const [i, trace] of picked.single.entries()) {
    const start = performance.now();
    await lookup(trace);
    if (i >= WARMUP_LOOKUPS) samples.push(performance.now() - start);
  }
  const bulkSamples = bulks.map((): number[] => []);
  for (const [round, traces] of picked.bulk.entries()) {
    for (let turn = 0; turn < bulks.length; turn++) {
      const which = (round + turn) % bulks.length;
      const start = performance.now();
      await bulks[which]!(traces);
      bulkSamples[which]!.push(performance.now() - start);
    }
  }
  return { traceById: latencyOf(samples), bulkP50Ms: bulkSamples.map(median) };
}

/** tracekv's figures. Empties `workload.batches` once they are stored. */
export async function measureTracekv(workload: PreparedWorkload, settings: PeerSettings): Promise<TracekvFigures> {
  return withTempDir('peer-tracekv', async (dir) => {
    const daemon = await DaemonChild.start({ launch: { serve: { dir } } });
    let figures: Omit<TracekvFigures, 'bytesPerSpan'>;
    try {
      log(`tracekv: ingest of ${workload.spans} spans through the daemon`);
      const client = await TraceClient.connect({ port: daemon.port });
      let ingestSpansPerSec: number;
      try {
        ingestSpansPerSec = (await appendAll(client, workload.batches)).spansPerSec;
      } finally {
        await client.close();
      }
      // Stored now: let them go, so that this process holds only ids and counts while it reads
      // (holding gigabytes slowed its own HTTP client; row-spool.ts has the figures).
      workload.batches.length = 0;
      log('tracekv: trace-by-ID (Tempo v2 protobuf) and bulk (traces:batch, protobuf and NDJSON)');
      const query = new TempoQueryClient(daemon.queryPort!, workload);
      try {
        const reads = await timeReads(pickTraces(workload, settings), (trace) => query.v2(trace), [(traces) => query.batch(traces, 'protobuf'), (traces) => query.batch(traces, 'ndjson')]);
        figures = { ingestSpansPerSec, traceById: reads.traceById, bulkP50Ms: reads.bulkP50Ms[0]!, bulkNdjsonP50Ms: reads.bulkP50Ms[1]! };
      } finally {
        query.close();
      }
    } finally {
      await daemon.stop();
    }
    return { ...figures, bytesPerSpan: (dirBytes(dir, '.tkv') + dirBytes(dir, '.tki')) / workload.spans };
  });
}

export async function measureClickHouse(binary: string, workload: PreparedWorkload, rows: RowSpool, settings: PeerSettings): Promise<ClickHouseFigures> {
  const server = await ClickHouseServer.start(binary);
  try {
    const version = (await server.query('SELECT version()')).toString('utf8').trim();
    await server.query(createSpansTable());
    log(`ClickHouse: ingest of ${workload.spans} spans as ${rows.count} RowBinary inserts`);
    const insert = `INSERT INTO ${SPANS_TABLE} FORMAT RowBinary`;
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CLICKHOUSE_INSERTS_IN_FLIGHT }, async () => {
        while (next < rows.count) await server.query(insert, rows.read(next++));
      }),
    );
    const ingestSpansPerSec = workload.spans / secondsSince(start);
    log('ClickHouse: OPTIMIZE TABLE … FINAL (merges every part; not timed as ingest)');
    const optimizeStart = performance.now();
    await mergeIntoOnePart(server);
    const optimizeSeconds = secondsSince(optimizeStart);
    const [storedRows, bytes, parts] = (await server.query(`SELECT sum(rows), sum(bytes_on_disk), count() FROM system.parts WHERE active AND database = currentDatabase() AND table = '${SPANS_TABLE}' FORMAT TSV`))
      .toString('utf8')
      .trim()
      .split('\t')
      .map(Number);
    if (storedRows !== workload.spans) throw new Error(`ClickHouse: active parts hold ${storedRows} rows; want ${workload.spans}`);

    log('ClickHouse: trace-by-ID and bulk (RowBinary)');
    const hex = (trace: number) => Buffer.from(traceIdAt(workload, trace)).toString('hex');
    const select = (where: string) => `SELECT * FROM ${SPANS_TABLE} WHERE ${where} FORMAT RowBinary`;
    const checkRows = (reply: Buffer, traces: number[]) => {
      const want = new Map<string, number>();
      for (const trace of traces) want.set(hex(trace), workload.traceSpanCounts[trace]!);
      const got = new Map<string, number>();
      readSpanRows(reply, (values) => got.set(values[0] as string, (got.get(values[0] as string) ?? 0) + 1));
      for (const [id, spans] of want) if (got.get(id) !== spans) throw new Error(`ClickHouse: trace ${id} came back with ${got.get(id) ?? 0} spans; want ${spans}`);
    };
    const reads = await timeReads(
      pickTraces(workload, settings),
      async (trace) => checkRows(await server.query(select(`trace_id = unhex('${hex(trace)}')`)), [trace]),
      [async (traces) => checkRows(await server.query(select(`trace_id IN (${traces.map((trace) => `unhex('${hex(trace)}')`).join(', ')})`)), traces)],
    );
    return { version, ingestSpansPerSec, bytesPerSpan: bytes! / workload.spans, traceById: reads.traceById, bulkP50Ms: reads.bulkP50Ms[0]!, optimizeSeconds, activeParts: parts! };
  } finally {
    await server.stop();
  }
}

/**
 * Merges the table into one part: waits out the background merges (OPTIMIZE does nothing to parts
 * they hold), then OPTIMIZE … FINAL, told to throw rather than silently do nothing; again until
 * one active part is left.
 */
async function mergeIntoOnePart(server: ClickHouseServer): Promise<void> {
  const scalar = async (sql: string) => Number((await server.query(`${sql} FORMAT TSV`)).toString('utf8').trim());
  for (let attempt = 1; ; attempt++) {
    while ((await scalar(`SELECT count() FROM system.merges WHERE database = currentDatabase() AND table = '${SPANS_TABLE}'`)) > 0) {
      await new Promise((resolve) => setTimeout(resolve, MERGE_WAIT_POLL_MS));
    }
    if ((await scalar(`SELECT count() FROM system.parts WHERE active AND database = currentDatabase() AND table = '${SPANS_TABLE}'`)) <= 1) return;
    try {
      await server.query(`OPTIMIZE TABLE ${SPANS_TABLE} FINAL`, undefined, { optimize_throw_if_noop: '1' });
    } catch (error) {
      // A merge that started between the poll and the OPTIMIZE: wait for it and try again.
      if (attempt >= MERGE_ATTEMPTS_MAX) throw error;
    }
  }
}
