/**
 * The peer benchmark (`npm run bench:peer`): tracekv against a local ClickHouse on the same spans,
 * in one run, side by side: ingest spans/s, bytes per span on disk, trace-by-ID p50 and p99, and
 * the 100-trace bulk read p50 (how: bench/peer/peer-run.ts). W1 (tracegen-shaped) by default.
 *
 *   npm run bench:peer                 # 10M W1 spans, builds first
 *   npm run bench:peer -- --quick      # 1M spans
 *   node --import tsx scripts/bench-peer.ts --smoke --results-dir DIR    # seconds
 *
 * ClickHouse is Debian's `clickhouse-server` (`apt-get install clickhouse-server`), found at
 * /usr/sbin/clickhouse-server or TRACEKV_CLICKHOUSE_SERVER. Without it the run measures tracekv
 * alone and says why ClickHouse was skipped. Never part of `npm test`, which runs the smoke mode
 * with ClickHouse pointed away.
 *
 * Writes bench-results/peer-<timestamp>.json and peer-latest.json (schema: bench/SCHEMA.md,
 * "Peer benchmark"), prints a Markdown table. Progress goes to stderr.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option } from 'commander';
import { integerFlag, parseCommandLine, scriptCommand } from './testkit/command-line.js';
import { BULK_TRACES, SCOPE } from './bench/constants.js';
import { log, machineSummary, secondsSince, withTempDir, writeResultsFile } from './bench/measure.js';
import { findClickHouseServer } from './bench/peer/clickhouse-server.js';
import { CLICKHOUSE_INSERT_ROWS, measureClickHouse, measureTracekv, type ClickHouseFigures, type TracekvFigures } from './bench/peer/peer-run.js';
import { RowSpool } from './bench/peer/row-spool.js';
import { SpanRowWriter } from './bench/peer/span-rows.js';
import { prepareWorkload, type BatchVersion, type WorkloadName } from './bench/workloads.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PEER_SCHEMA_VERSION = 2;

const MODES = {
  full: { spans: 10_000_000, lookups: 10_000, bulkRounds: 20 },
  quick: { spans: 1_000_000, lookups: 2_000, bulkRounds: 10 },
  smoke: { spans: 2_000, lookups: 20, bulkRounds: 2 },
} as const;
const SPANS_MIN = 1_000;
/** Both sides' inputs are held in memory: ~233 B of batches and ~260 B of rows per W1 span. */
const SPANS_MAX = 20_000_000;
const SEED_DEFAULT = 42;

interface PeerFlags {
  quick?: boolean;
  smoke?: boolean;
  spans?: number;
  lookups?: number;
  bulkRounds?: number;
  workload: WorkloadName;
  batchVersion: number;
  resultsDir: string;
  seed: number;
}

export interface PeerResults {
  schemaVersion: number;
  mode: keyof typeof MODES;
  startedAt: string;
  durationSeconds: number;
  machine: { cpus: number; cpuModel: string; memoryBytes: number; node: string };
  settings: { workload: WorkloadName; batchVersion: BatchVersion; spans: number; traces: number; lookups: number; bulkRounds: number; bulkTraces: number; clickHouseInsertRows: number; seed: number };
  tracekv: TracekvFigures;
  /** Or why ClickHouse was not measured. */
  clickHouse: ClickHouseFigures | { skipped: string };
  /** ClickHouse ÷ tracekv, each oriented so that above 1 means tracekv is ahead; null when skipped. */
  ratios: { ingest: number; bytes: number; traceByIdP50: number; traceByIdP99: number; bulkP50: number } | null;
}

interface PeerOptions {
  mode: keyof typeof MODES;
  spans: number;
  lookups: number;
  bulkRounds: number;
  workload: WorkloadName;
  batchVersion: BatchVersion;
  resultsDir: string;
  seed: number;
}

function parseArgs(argv: string[]): PeerOptions {
  const command = scriptCommand('node --import tsx scripts/bench-peer.ts', 'tracekv against a local ClickHouse on the same spans (README.md, "Peer benchmark"); npm run bench:peer builds first')
    .addOption(new Option('--quick', `${MODES.quick.spans} spans`).conflicts('smoke'))
    .option('--smoke', `${MODES.smoke.spans} spans: checks that every stage runs`)
    .option('--spans <N>', `spans to load (default ${MODES.full.spans})`, integerFlag(SPANS_MIN, SPANS_MAX))
    .option('--lookups <N>', `trace-by-ID calls on each side (default ${MODES.full.lookups})`, integerFlag(10))
    .option('--bulk-rounds <N>', `${BULK_TRACES}-trace bulk reads on each side (default ${MODES.full.bulkRounds})`, integerFlag(1))
    .addOption(new Option('--workload <NAME>', 'w1 (tracegen-shaped) or w2 (Zipkin replay)').choices(['w1', 'w2']).default('w1'))
    .option('--batch-version <N>', "tracekv's client batch format: 2 (columns, §2.7) or 1 (msgpack records, §2)", integerFlag(1, 2), 2)
    .option('--results-dir <DIR>', 'where peer-<timestamp>.json and peer-latest.json go', path.join(REPO, 'bench-results'))
    .option('--seed <N>', 'seed of every id and every lookup', integerFlag(0, 2 ** 32 - 1), SEED_DEFAULT);
  const { quick, smoke, spans, lookups, bulkRounds, workload, batchVersion, resultsDir, seed } = parseCommandLine<PeerFlags>(command, argv);
  const mode = quick === true ? 'quick' : smoke === true ? 'smoke' : 'full';
  return {
    mode,
    spans: spans ?? MODES[mode].spans,
    lookups: lookups ?? MODES[mode].lookups,
    bulkRounds: bulkRounds ?? MODES[mode].bulkRounds,
    workload,
    batchVersion: batchVersion === 1 ? 1 : 2,
    resultsDir,
    seed,
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const start = performance.now();
  const found = findClickHouseServer();
  if ('missing' in found) log(`ClickHouse skipped: ${found.missing}`);

  log(`${options.workload}: generating ${options.spans} spans, as tracekv batches${'binary' in found ? ' and ClickHouse rows' : ''}`);
  const { tracekv, clickHouse, workload } = await withTempDir('peer-rows', async (dir) => {
    const rows = RowSpool.inDir(dir);
    try {
      const writer = new SpanRowWriter();
      // No LMDB baselines here: no version-1 copy is needed.
      const encoding = { batchVersion: options.batchVersion, v1PrefixSpans: 0 };
      const workload = prepareWorkload(options.workload, options.spans, options.seed, encoding, 'missing' in found ? undefined : (trace) => {
        for (const [service, spans] of trace.spansByService) for (const span of spans) writer.add(span, service, SCOPE);
        if (writer.rows >= CLICKHOUSE_INSERT_ROWS) rows.append(writer.take());
      });
      if (writer.rows > 0) rows.append(writer.take());
      const settings = { lookups: options.lookups, bulkRounds: options.bulkRounds, seed: options.seed + 1 };
      const tracekv = await measureTracekv(workload, settings);
      const clickHouse = 'missing' in found ? { skipped: found.missing } : await measureClickHouse(found.binary, workload, rows, settings);
      return { tracekv, clickHouse, workload };
    } finally {
      rows.close();
    }
  });
  const ratios = 'skipped' in clickHouse ? null : {
    ingest: tracekv.ingestSpansPerSec / clickHouse.ingestSpansPerSec,
    bytes: clickHouse.bytesPerSpan / tracekv.bytesPerSpan,
    traceByIdP50: clickHouse.traceById.p50Ms / tracekv.traceById.p50Ms,
    traceByIdP99: clickHouse.traceById.p99Ms / tracekv.traceById.p99Ms,
    bulkP50: clickHouse.bulkP50Ms / tracekv.bulkP50Ms,
  };
  const results: PeerResults = {
    schemaVersion: PEER_SCHEMA_VERSION,
    mode: options.mode,
    startedAt,
    durationSeconds: secondsSince(start),
    machine: machineSummary(),
    settings: { workload: options.workload, batchVersion: options.batchVersion, spans: workload.spans, traces: workload.traces, lookups: options.lookups, bulkRounds: options.bulkRounds, bulkTraces: BULK_TRACES, clickHouseInsertRows: CLICKHOUSE_INSERT_ROWS, seed: options.seed },
    tracekv,
    clickHouse,
    ratios,
  };
  const file = writeResultsFile(options.resultsDir, 'peer', startedAt, results);
  log(`results: ${file}`);
  process.stdout.write(markdown(results));
}

function markdown(results: PeerResults): string {
  const { tracekv, clickHouse, ratios, settings } = results;
  const ch = 'skipped' in clickHouse ? null : clickHouse;
  const rate = (n: number) => `${(n / 1e6).toFixed(2)}M/s`;
  const ms = (n: number) => `${n.toFixed(2)} ms`;
  const times = (n: number | undefined) => (n === undefined ? '—' : `${n.toFixed(2)}×`);
  const row = (figure: string, ours: string, theirs: string, ratio: string) => `| ${figure} | ${ours} | ${theirs} | ${ratio} |\n`;
  return (
    `\n## Peer benchmark: ${settings.workload.toUpperCase()}, ${settings.spans} spans, ${settings.traces} traces (${results.mode})\n\n` +
    `ClickHouse: ${ch === null ? `skipped (${(clickHouse as { skipped: string }).skipped})` : `${ch.version}; OPTIMIZE FINAL took ${ch.optimizeSeconds.toFixed(1)} s, ${ch.activeParts} active part(s)`}\n\n` +
    '| figure | tracekv | ClickHouse | tracekv ahead by |\n| --- | --- | --- | --- |\n' +
    row('ingest (tracekv with fsync, ClickHouse without)', rate(tracekv.ingestSpansPerSec), ch === null ? '—' : rate(ch.ingestSpansPerSec), times(ratios?.ingest)) +
    row('bytes per span on disk', tracekv.bytesPerSpan.toFixed(1), ch === null ? '—' : ch.bytesPerSpan.toFixed(1), times(ratios?.bytes)) +
    row('trace-by-ID p50 (HTTP)', ms(tracekv.traceById.p50Ms), ch === null ? '—' : ms(ch.traceById.p50Ms), times(ratios?.traceByIdP50)) +
    row('trace-by-ID p99 (HTTP)', ms(tracekv.traceById.p99Ms), ch === null ? '—' : ms(ch.traceById.p99Ms), times(ratios?.traceByIdP99)) +
    row(`${settings.bulkTraces}-trace bulk p50 (HTTP; tracekv protobuf, ClickHouse RowBinary)`, ms(tracekv.bulkP50Ms), ch === null ? '—' : ms(ch.bulkP50Ms), times(ratios?.bulkP50)) +
    row(`${settings.bulkTraces}-trace bulk p50 (HTTP; tracekv NDJSON)`, ms(tracekv.bulkNdjsonP50Ms), '—', '—')
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:peer failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
