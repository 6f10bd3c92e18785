/**
 * Engine-core measurements on tracegen-shaped data (1 server span + 9 client children per trace):
 * zstd level choice, server-side ingest, bytes per span, index entries/s, getTrace latency.
 * The full benchmark suite (baselines, W2, reports) belongs to scripts/bench.ts; this script gives
 * the figures the engine-core design was checked against.
 *
 *   node --import tsx scripts/measure-core.ts [--spans N] [--quick] [--json]
 *
 * Figures are medians or rates from one run on a shared machine: compare them as ratios.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { BatchEncoder, TraceClient, TraceStore } from '../src/index.js';
import { zstdCompress } from '../src/codec/zstd.js';
import { IndexTail } from '../src/index/index-tail.js';
import { makeRng } from '../src/workload/rng.js';
import { tracegenTrace } from '../src/workload/tracegen.js';

const TRACES_PER_BATCH = 100;
const APPENDS_IN_FLIGHT = 16;
const LOOKUPS = 2000;
const BULK_TRACES = 100;
const BULK_ROUNDS = 20;
const ZSTD_SAMPLE_BATCHES = 20;
const ZSTD_ROUNDS = 5;
const MISSES = 200;

function parseArgs(argv: string[]): { spans: number; json: boolean } {
  let spans = 1_000_000;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') spans = 20_000;
    else if (argv[i] === '--spans') spans = Number(argv[++i]);
    else if (argv[i] === '--json') json = true;
    else throw new Error(`unknown argument ${argv[i]}; usage: measure-core [--spans N] [--quick] [--json]`);
  }
  if (!Number.isInteger(spans) || spans < 1000) throw new Error('--spans wants an integer >= 1000');
  return { spans, json };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function dirBytes(dir: string, suffix: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(suffix)) total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

async function main(): Promise<void> {
  const { spans: spansWanted, json } = parseArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const rng = makeRng(1);
  const traceIds: string[] = [];

  log(`encoding ${spansWanted} tracegen spans...`);
  const batches: Uint8Array[] = [];
  let spans = 0;
  const encodeStart = performance.now();
  for (let counter = 0; spans < spansWanted; ) {
    const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': `tracegen-${counter % 10}` } } });
    for (let t = 0; t < TRACES_PER_BATCH; t++, counter++) {
      const trace = tracegenTrace(rng, counter, 1_700_000_000_000_000_000n + BigInt(counter) * 1_000_000n);
      traceIds.push(trace.spans[0]!.traceId as string);
      for (const span of trace.spans) encoder.add(span);
    }
    spans += encoder.spanCount;
    batches.push(encoder.finish());
  }
  const encodeSpansPerSec = spans / ((performance.now() - encodeStart) / 1000);
  const rawBytes = batches.reduce((n, b) => n + b.length, 0);

  log('comparing zstd levels...');
  const levels: Record<string, { ratio: number; mbPerSec: number }> = {};
  const sample = batches.slice(0, Math.min(batches.length, ZSTD_SAMPLE_BATCHES));
  const sampleBytes = sample.reduce((n, b) => n + b.length, 0);
  const seconds: Record<number, number[]> = { 1: [], 3: [] };
  const compressedBytes: Record<number, number> = {};
  // Interleaved rounds after a warm-up, so neither level pays the cold start; the median round counts.
  for (let round = -1; round < ZSTD_ROUNDS; round++) {
    for (const level of [1, 3]) {
      let compressed = 0;
      const start = performance.now();
      for (const batch of sample) compressed += (await zstdCompress(batch, level)).length;
      if (round >= 0) seconds[level]!.push((performance.now() - start) / 1000);
      compressedBytes[level] = compressed;
    }
  }
  for (const level of [1, 3]) {
    const median = seconds[level]!.sort((a, b) => a - b)[Math.floor(ZSTD_ROUNDS / 2)]!;
    levels[`level${level}`] = { ratio: sampleBytes / compressedBytes[level]!, mbPerSec: sampleBytes / 1e6 / median };
  }

  log('indexing (IndexTail only)...');
  const tail = new IndexTail(256, spans);
  const indexStart = performance.now();
  let fileOffset = 32;
  for (const batch of batches) {
    const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    const spanCount = view.getUint32(8, true);
    const trailerStart = 48 + view.getUint32(12, true) + view.getUint32(16, true);
    tail.beginRecord(1, fileOffset, 100, 0n, 0n);
    fileOffset += 100;
    for (let i = 0; i < spanCount; i++) tail.addSpan(batch, trailerStart + i * 40);
    tail.endRecord();
  }
  const indexSpansPerSec = spans / ((performance.now() - indexStart) / 1000);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracekv-measure-'));
  try {
    log(`ingesting into ${dir} (durability fsync, ${APPENDS_IN_FLIGHT} appends in flight)...`);
    // No read cache: a bulk call would warm it for the sequential calls that follow it.
    const store = await TraceStore.open({ dir, readCacheBytesMax: 0 });
    const ingestSeconds = await ingest(store, batches);
    const stats = store.stats();

    log('getTrace latency...');
    const latencies = await measureLookups(store, traceIds, rng);
    const bulk = await measureBulk(store, traceIds, rng);
    log('ingest into a second store while getTraces(100) runs in a loop on the first...');
    const loadedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracekv-measure-load-'));
    let underLoadSeconds: number;
    let readCalls = 0;
    try {
      const second = await TraceStore.open({ dir: loadedDir });
      let reading = true;
      const readLoop = (async () => {
        while (reading) {
          await store.getTraces(Array.from({ length: BULK_TRACES }, () => traceIds[rng.int(traceIds.length)]!));
          readCalls++;
        }
      })();
      underLoadSeconds = await ingest(second, batches);
      reading = false;
      await readLoop;
      await second.close();
    } finally {
      fs.rmSync(loadedDir, { recursive: true, force: true });
    }
    await store.close();
    log('inline reads (readerThreads 0)...');
    const inlineStore = await TraceStore.open({ dir, readerThreads: 0, readCacheBytesMax: 0 });
    const inlineLatencies = await measureLookups(inlineStore, traceIds, rng);
    const inlineBulk = await measureBulk(inlineStore, traceIds, rng);
    await inlineStore.close();
    const hits = latencies.slice(0, LOOKUPS).sort((a, b) => a - b);
    const misses = latencies.slice(LOOKUPS).sort((a, b) => a - b);
    const inlineHits = inlineLatencies.slice(0, LOOKUPS).sort((a, b) => a - b);
    const reopenStart = performance.now();
    const reopened = await TraceStore.open({ dir });
    const reopenMs = performance.now() - reopenStart;
    // After a clean close every entry is sealed: this is the steady-state resident index memory.
    const indexResidentBytes = reopened.stats().indexResidentBytes;
    await reopened.close();

    log('ingest through the daemon (separate process) from this process...');
    const daemonSpansPerSec = await daemonIngest(batches, spans);

    const dataBytes = dirBytes(dir, '.tkv');
    const indexBytes = dirBytes(dir, '.tki');
    const result = {
      spans,
      batches: batches.length,
      rawBytesPerSpan: rawBytes / spans,
      clientEncodeSpansPerSec: Math.round(encodeSpansPerSec),
      zstd: levels,
      ingestSpansPerSec: Math.round(spans / ingestSeconds),
      ingestUnderReadLoad: { spansPerSec: Math.round(spans / underLoadSeconds), ratioToAlone: ingestSeconds / underLoadSeconds, getTraces100Calls: readCalls },
      daemonIngest: { spansPerSec: Math.round(daemonSpansPerSec), ratioToEmbedded: daemonSpansPerSec / (spans / ingestSeconds) },
      groupCommits: stats.groupCommits,
      indexSpansPerSecOneCore: Math.round(indexSpansPerSec),
      indexEntriesPerSpan: stats.indexTailEntries / spans + stats.indexSealedEntries / spans,
      dataBytesPerSpan: dataBytes / spans,
      indexBytesPerSpan: indexBytes / spans,
      totalBytesPerSpan: (dataBytes + indexBytes) / spans,
      indexResidentBytesPerSpan: indexResidentBytes / spans,
      getTraceMs: { p50: percentile(hits, 0.5), p99: percentile(hits, 0.99) },
      getTraceMissMs: { p50: percentile(misses, 0.5), p99: percentile(misses, 0.99) },
      inlineGetTraceMs: { p50: percentile(inlineHits, 0.5), p99: percentile(inlineHits, 0.99) },
      getTraces100Ms: bulk,
      inlineGetTraces100Ms: inlineBulk,
      reopenMs,
    };
    if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Spans/s appended through a `tracekv serve` child process, with APPENDS_IN_FLIGHT requests pipelined. */
async function daemonIngest(batches: Uint8Array[], spans: number): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracekv-measure-daemon-'));
  const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        const event = JSON.parse(line) as { event: string; port?: number };
        if (event.event === 'listening') resolve(event.port!);
      });
      child.once('exit', (code) => reject(new Error(`daemon exited with ${code}`)));
    });
    const client = await TraceClient.connect({ port });
    const start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: APPENDS_IN_FLIGHT }, async () => {
        while (next < batches.length) await client.append(batches[next++]!);
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    await client.close();
    return spans / seconds;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Seconds to append every batch with APPENDS_IN_FLIGHT appends outstanding. */
async function ingest(store: TraceStore, batches: Uint8Array[]): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: APPENDS_IN_FLIGHT }, async () => {
      while (next < batches.length) await store.append(batches[next++]!);
    }),
  );
  return (performance.now() - start) / 1000;
}

/** getTrace latencies in ms: LOOKUPS random existing ids, then MISSES random misses. */
async function measureLookups(store: TraceStore, traceIds: string[], rng: ReturnType<typeof makeRng>): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < LOOKUPS + MISSES; i++) {
    const id = i < LOOKUPS ? traceIds[rng.int(traceIds.length)]! : Buffer.from(rng.bytes(16)).toString('hex');
    const start = performance.now();
    const trace = await store.getTrace(id);
    latencies.push(performance.now() - start);
    if (i < LOOKUPS && trace?.spans.length !== 10) throw new Error(`trace ${id} came back with ${trace?.spans.length} spans`);
  }
  return latencies;
}

/** Median ms of getTraces(100 random ids), and of the same 100 ids read one getTrace at a time. */
async function measureBulk(store: TraceStore, traceIds: string[], rng: ReturnType<typeof makeRng>): Promise<{ bulkP50: number; sequentialP50: number; ratio: number }> {
  const bulk: number[] = [];
  const sequential: number[] = [];
  for (let round = 0; round < BULK_ROUNDS; round++) {
    const ids = Array.from({ length: BULK_TRACES }, () => traceIds[rng.int(traceIds.length)]!);
    let start = performance.now();
    const traces = await store.getTraces(ids);
    bulk.push(performance.now() - start);
    if (traces.some((t) => t?.spans.length !== 10)) throw new Error('a bulk trace came back incomplete');
    start = performance.now();
    for (const id of ids) await store.getTrace(id);
    sequential.push(performance.now() - start);
  }
  const bulkP50 = percentile(bulk.sort((a, b) => a - b), 0.5);
  const sequentialP50 = percentile(sequential.sort((a, b) => a - b), 0.5);
  return { bulkP50, sequentialP50, ratio: bulkP50 / sequentialP50 };
}

main().catch((error: unknown) => {
  process.stderr.write(`measure-core: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
