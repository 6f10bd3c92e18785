/**
 * The zstd level table (`npm run bench:levels`): bytes per span on disk (data + index) and
 * embedded ingest spans/s (fsync, group commit, 16 appends in flight) at zstd levels 1, 3 and 6, on
 * W1 (tracegen-shaped) and W2 (the Zipkin replay), in batch version 2 unless asked otherwise. The
 * README's default-level choice rests on this table.
 *
 *   npm run bench:levels                    # 1M spans of each workload, 3 rounds; builds first
 *   node --import tsx scripts/bench-levels.ts --smoke --results-dir DIR   # seconds
 *
 * Each round ingests every level into a fresh store, the level order rotated from round to round
 * so that a slow spell of this shared machine does not land on one level; spans/s is the median
 * over rounds. Bytes do not vary between rounds. Writes bench-results/levels-<timestamp>.json and
 * levels-latest.json (schema: bench/SCHEMA.md, "zstd levels"), prints a Markdown table.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option } from 'commander';
import { integerFlag, parseCommandLine, scriptCommand } from './testkit/command-line.js';
import { TraceStore } from './bench/engine.js';
import { appendAll } from './bench/ingest.js';
import { dirBytes, log, machineSummary, median, secondsSince, withTempDir, writeResultsFile } from './bench/measure.js';
import { prepareWorkload, type BatchVersion, type WorkloadName } from './bench/workloads.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const LEVELS_SCHEMA_VERSION = 1;
/** The levels the issue asks about: the store's default candidates. */
export const LEVELS = [1, 3, 6] as const;
const WORKLOADS: readonly WorkloadName[] = ['w1', 'w2'];

const MODES = {
  full: { spans: 1_000_000, rounds: 3 },
  smoke: { spans: 2_000, rounds: 1 },
} as const;
const SPANS_MIN = 1_000;
const SPANS_MAX = 20_000_000;
const ROUNDS_MAX = 20;
const SEED_DEFAULT = 7;

interface LevelsFlags {
  smoke?: boolean;
  spans?: number;
  rounds?: number;
  batchVersion: number;
  resultsDir: string;
  seed: number;
}

interface LevelsOptions {
  mode: keyof typeof MODES;
  spans: number;
  rounds: number;
  batchVersion: BatchVersion;
  resultsDir: string;
  seed: number;
}

export interface LevelFigures {
  level: number;
  dataBytesPerSpan: number;
  indexBytesPerSpan: number;
  totalBytesPerSpan: number;
  /** Median over rounds. */
  ingestSpansPerSec: number;
  ingestSpansPerSecRounds: number[];
}

export interface LevelsResults {
  schemaVersion: number;
  mode: keyof typeof MODES;
  startedAt: string;
  durationSeconds: number;
  machine: { cpus: number; cpuModel: string; memoryBytes: number; node: string };
  settings: { spans: number; rounds: number; batchVersion: BatchVersion; durability: 'fsync'; seed: number };
  workloads: Record<WorkloadName, { spans: number; batches: number; rawBytesPerSpan: number; levels: LevelFigures[] }>;
}

function parseArgs(argv: string[]): LevelsOptions {
  const command = scriptCommand('node --import tsx scripts/bench-levels.ts', 'bytes per span and ingest spans/s at zstd levels 1, 3 and 6 (README.md, "Choosing the zstd level"); npm run bench:levels builds first')
    .addOption(new Option('--smoke', `${MODES.smoke.spans} spans, one round: checks that every stage runs`))
    .option('--spans <N>', `spans of each workload (default ${MODES.full.spans})`, integerFlag(SPANS_MIN, SPANS_MAX))
    .option('--rounds <N>', `ingests of each level (default ${MODES.full.rounds})`, integerFlag(1, ROUNDS_MAX))
    .option('--batch-version <N>', 'client batch format: 2 (columns, §2.7) or 1 (msgpack records, §2)', integerFlag(1, 2), 2)
    .option('--results-dir <DIR>', 'where levels-<timestamp>.json and levels-latest.json go', path.join(REPO, 'bench-results'))
    .option('--seed <N>', 'seed of every id', integerFlag(0, 2 ** 32 - 1), SEED_DEFAULT);
  const { smoke, spans, rounds, batchVersion, resultsDir, seed } = parseCommandLine<LevelsFlags>(command, argv);
  const mode = smoke === true ? 'smoke' : 'full';
  return { mode, spans: spans ?? MODES[mode].spans, rounds: rounds ?? MODES[mode].rounds, batchVersion: batchVersion === 1 ? 1 : 2, resultsDir, seed };
}

/** One ingest of `batches` at `level` into a fresh store: spans/s, and bytes on disk after a clean close. */
async function ingestAt(batches: Uint8Array[], spans: number, level: number): Promise<{ spansPerSec: number; dataBytes: number; indexBytes: number }> {
  return withTempDir(`levels-${level}`, async (dir) => {
    const store = await TraceStore.open({ dir, compressionLevel: level, durability: 'fsync', readCacheBytesMax: 0 });
    let run;
    try {
      run = await appendAll(store, batches);
    } finally {
      await store.close();
    }
    if (store.stats().appendedSpans !== spans) throw new Error(`level ${level}: stored ${store.stats().appendedSpans} spans; want ${spans}`);
    return { spansPerSec: run.spansPerSec, dataBytes: dirBytes(dir, '.tkv'), indexBytes: dirBytes(dir, '.tki') };
  });
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const start = performance.now();
  const workloads = {} as LevelsResults['workloads'];
  for (const name of WORKLOADS) {
    log(`${name}: generating ${options.spans} spans as batch version ${options.batchVersion}`);
    const workload = prepareWorkload(name, options.spans, options.seed, { batchVersion: options.batchVersion, v1PrefixSpans: 0 });
    const rates = new Map<number, number[]>(LEVELS.map((level) => [level, []]));
    const bytes = new Map<number, { dataBytes: number; indexBytes: number }>();
    for (let round = 0; round < options.rounds; round++) {
      for (let k = 0; k < LEVELS.length; k++) {
        const level = LEVELS[(k + round) % LEVELS.length]!;
        const run = await ingestAt(workload.batches, workload.spans, level);
        log(`${name}: round ${round + 1}, level ${level}: ${Math.round(run.spansPerSec)} spans/s, ${((run.dataBytes + run.indexBytes) / workload.spans).toFixed(2)} B/span`);
        rates.get(level)!.push(run.spansPerSec);
        bytes.set(level, run);
      }
    }
    workloads[name] = {
      spans: workload.spans,
      batches: workload.batches.length,
      rawBytesPerSpan: workload.rawBytes / workload.spans,
      levels: LEVELS.map((level) => {
        const { dataBytes, indexBytes } = bytes.get(level)!;
        return {
          level,
          dataBytesPerSpan: dataBytes / workload.spans,
          indexBytesPerSpan: indexBytes / workload.spans,
          totalBytesPerSpan: (dataBytes + indexBytes) / workload.spans,
          ingestSpansPerSec: median(rates.get(level)!),
          ingestSpansPerSecRounds: rates.get(level)!,
        };
      }),
    };
  }
  const results: LevelsResults = {
    schemaVersion: LEVELS_SCHEMA_VERSION,
    mode: options.mode,
    startedAt,
    durationSeconds: secondsSince(start),
    machine: machineSummary(),
    settings: { spans: options.spans, rounds: options.rounds, batchVersion: options.batchVersion, durability: 'fsync', seed: options.seed },
    workloads,
  };
  const file = writeResultsFile(options.resultsDir, 'levels', startedAt, results);
  log(`results: ${file}`);
  process.stdout.write(markdown(results));
}

function markdown(results: LevelsResults): string {
  const { settings } = results;
  let text = `## zstd levels (${results.mode}), ${results.startedAt.slice(0, 10)}\n\n`;
  text += `Batch version ${settings.batchVersion}, durability fsync, ${settings.spans} spans of each workload, median of ${settings.rounds} round(s).\n\n`;
  text += '| level | W1 B/span (data + index) | W1 ingest | W2 B/span (data + index) | W2 ingest |\n| --- | --- | --- | --- | --- |\n';
  for (let k = 0; k < LEVELS.length; k++) {
    const cells = WORKLOADS.map((name) => {
      const figures = results.workloads[name].levels[k]!;
      return `${figures.totalBytesPerSpan.toFixed(1)} (${figures.dataBytesPerSpan.toFixed(1)} + ${figures.indexBytesPerSpan.toFixed(1)}) | ${(figures.ingestSpansPerSec / 1e6).toFixed(2)}M spans/s`;
    });
    text += `| ${LEVELS[k]} | ${cells.join(' | ')} |\n`;
  }
  return text;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:levels failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
