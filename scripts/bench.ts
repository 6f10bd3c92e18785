/**
 * The end-to-end benchmark (`npm run bench`): two workloads, W1 tracegen-shaped (10M spans) and W2
 * Zipkin replay (~1M spans), each measured on the write path (client encode, ingest, index alone,
 * ingest under read load, through the daemon), the read path (getTrace, getTraces(100)), sizes on
 * disk and in memory, and reopen; with same-run LMDB baselines on the same spans, and for W2 the
 * OTLP protobuf size of the same spans; then the OTel exporter comparison and OTLP/HTTP and OTLP/gRPC
 * ingest from a separate sending process (W1 spans). Writes bench-results/<timestamp>.json and latest.json
 * (schema: scripts/bench/SCHEMA.md) and prints a Markdown report with every target checked.
 *
 *   npm run bench                    # full run, builds first (the store, its reader workers and the daemon run from dist/)
 *   npm run bench:quick              # 200k spans in all, under 90 s
 *   node --import tsx scripts/bench.ts --smoke --results-dir DIR   # seconds; the test suite's run
 *
 * Started with `--import tsx`, it runs itself again under `--import tsx/esm`, so the reader workers
 * load dist/ as ES modules, as in production (why: bench/esm-only.ts).
 *
 * Progress goes to stderr, the report to stdout. Figures come from one run on a possibly shared
 * machine: compare them as ratios, and the baselines only within the same run.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RAW_LOOKUPS_MAX, APPENDS_IN_FLIGHT, BULK_TRACES, OTLP_REQUEST_SPANS, TRACES_PER_BATCH } from './bench/constants.js';
import { COMPRESSION_LEVEL_DEFAULT } from '../src/constants.js';
import { commonJsHookActive, restartEsmOnly, restarted } from './bench/esm-only.js';
import { measureExporter } from './bench/exporter.js';
import { log, secondsSince } from './bench/measure.js';
import { parseBenchArgs } from './bench/options.js';
import { measureOtlpIngest } from './bench/otlp-ingest.js';
import { SCHEMA_VERSION, checkExporterTarget, checkOtlpIngestTargets, checkTargets, machine, markdownReport, writeResults, type BenchResults } from './bench/report.js';
import { LMDB_SETTINGS, runWorkload } from './bench/run-workload.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  if (commonJsHookActive()) {
    if (!restarted()) {
      process.exitCode = await restartEsmOnly(fileURLToPath(import.meta.url));
      return;
    }
    log('warning: tsx CommonJS hook still active (NODE_OPTIONS?): reader workers run transpiled code, reads measure slow');
  }
  const options = parseBenchArgs(process.argv.slice(2), path.join(REPO, 'bench-results'));
  const startedAt = new Date().toISOString();
  const start = performance.now();
  log(`mode ${options.mode}: W1 ${options.w1Spans} spans, W2 ${options.w2Spans} spans, baselines ≤ ${options.baselineSpans} spans`);
  const w1 = await runWorkload('w1', options);
  const w2 = await runWorkload('w2', options);
  const exporter = await measureExporter(options);
  const otlpIngest = await measureOtlpIngest(options);
  const measured = { w1: w1.figures, w2: w2.figures, baselines: { settings: LMDB_SETTINGS, w1: w1.baselines, w2: w2.baselines } };
  const results: BenchResults = {
    schemaVersion: SCHEMA_VERSION,
    mode: options.mode,
    command: process.argv.slice(2).join(' '),
    startedAt,
    durationSeconds: secondsSince(start),
    machine: machine(),
    settings: {
      w1SpansWanted: options.w1Spans,
      w2SpansWanted: options.w2Spans,
      baselineSpansMax: options.baselineSpans,
      lookups: options.lookups,
      misses: options.misses,
      rawLookups: Math.min(options.lookups, RAW_LOOKUPS_MAX),
      bulkRounds: options.bulkRounds,
      bulkTraces: BULK_TRACES,
      tracesPerBatch: TRACES_PER_BATCH,
      batchVersion: options.batchVersion,
      appendsInFlight: APPENDS_IN_FLIGHT,
      otlpRequestSpans: OTLP_REQUEST_SPANS,
      durability: 'fsync',
      compressionLevel: COMPRESSION_LEVEL_DEFAULT,
      readCacheBytesMax: 0,
      seed: options.seed,
    },
    ...measured,
    exporter,
    otlpIngest,
    targets: [...checkTargets(measured), checkExporterTarget(exporter), ...checkOtlpIngestTargets(otlpIngest)],
  };
  const { file, latest } = writeResults(results, options.resultsDir);
  log(`results: ${file} (and ${latest})`);
  process.stdout.write(markdownReport(results));
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
