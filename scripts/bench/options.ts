/**
 * The benchmark's command line (commander, through scripts/testkit/command-line.ts): one table of
 * modes, every flag validated with a message that names it. A mode sets every size; the size flags
 * override single sizes.
 */
import { Option, type Command } from 'commander';
import { integerFlag, parseCommandLine, scriptCommand } from '../testkit/command-line.js';

export type BenchMode = 'full' | 'quick' | 'smoke';

export interface BenchOptions {
  mode: BenchMode;
  /** W1 (tracegen-shaped) spans to generate; whole traces, so the count may run over by < 10. */
  w1Spans: number;
  /** W2 (Zipkin replay) spans to generate; whole traces, so the count may run over by one trace. */
  w2Spans: number;
  /** Spans the LMDB baselines write, at most: LMDB's random-key writes are slow enough at 10M
   * spans (~35k/s) to dominate the run, and a prefix of the same spans is a fair sample. */
  baselineSpans: number;
  /** getTrace calls on random existing ids, per workload and per reader setup. */
  lookups: number;
  /** getTrace calls on random absent ids. */
  misses: number;
  /** getTraces(100) rounds (each also reads the same 100 ids one getTrace at a time). */
  bulkRounds: number;
  /** The client batches' format version (data-format.md §2 or §2.7); 2 by default. */
  batchVersion: 1 | 2;
  /** bench-results/ by default; the test points it at a temporary directory. */
  resultsDir: string;
  seed: number;
}

/** Sizes per mode. `full` is the benchmark issue's run; `quick` is 200k spans in all, for a
 * < 90 s check; `smoke` is a few thousand spans, for the test suite (shape, never speed). */
export const MODES: Record<BenchMode, Omit<BenchOptions, 'mode' | 'resultsDir' | 'seed' | 'batchVersion'>> = {
  full: { w1Spans: 10_000_000, w2Spans: 1_000_000, baselineSpans: 1_000_000, lookups: 10_000, misses: 1_000, bulkRounds: 20 },
  quick: { w1Spans: 100_000, w2Spans: 100_000, baselineSpans: 100_000, lookups: 2_000, misses: 200, bulkRounds: 10 },
  smoke: { w1Spans: 2_000, w2Spans: 2_000, baselineSpans: 2_000, lookups: 100, misses: 20, bulkRounds: 3 },
};

const SEED_DEFAULT = 1;
const SEED_MAX = 2 ** 32 - 1;
/** Fewer lookups give no p99; more than 10M take longer than the ingest they measure. */
const LOOKUPS_MIN = 10;
const LOOKUPS_MAX = 10_000_000;
const BULK_ROUNDS_MIN = 1;
const BULK_ROUNDS_MAX = 100_000;
/** Below this a workload has too few batches for rates or percentiles to mean anything. */
const SPANS_MIN = 1_000;
/** Above this the prebuilt batches (~233 B per W1 span) would not fit a 24 GB machine's memory. */
const SPANS_MAX = 50_000_000;

/** `--quick` and `--smoke` pick a mode; the size flags override single sizes of it, in any order. */
function benchCommand(defaultResultsDir: string): Command {
  return scriptCommand('node --import tsx scripts/bench.ts', 'the end-to-end benchmark (README.md, "Benchmarks"); npm run bench builds first')
    .addOption(new Option('--quick', `200k spans in all (W1 ${MODES.quick.w1Spans}, W2 ${MODES.quick.w2Spans}, baselines ${MODES.quick.baselineSpans}); under 90 s`).conflicts('smoke'))
    .option('--smoke', "a few thousand spans: checks that every stage runs (the test suite's mode)")
    .option('--w1-spans <N>', `tracegen-shaped spans (default ${MODES.full.w1Spans})`, integerFlag(SPANS_MIN, SPANS_MAX))
    .option('--w2-spans <N>', `Zipkin replay spans (default ${MODES.full.w2Spans})`, integerFlag(SPANS_MIN, SPANS_MAX))
    .option('--baseline-spans <N>', `spans the LMDB baselines write, at most (default ${MODES.full.baselineSpans})`, integerFlag(SPANS_MIN, SPANS_MAX))
    .option('--lookups <N>', `getTrace calls on existing ids (default ${MODES.full.lookups})`, integerFlag(LOOKUPS_MIN, LOOKUPS_MAX))
    .option('--misses <N>', `getTrace calls on absent ids (default ${MODES.full.misses})`, integerFlag(LOOKUPS_MIN, LOOKUPS_MAX))
    .option('--bulk-rounds <N>', `getTraces(100) rounds against 100 sequential getTrace (default ${MODES.full.bulkRounds})`, integerFlag(BULK_ROUNDS_MIN, BULK_ROUNDS_MAX))
    .option('--batch-version <N>', 'client batch format: 2 (columns, §2.7) or 1 (msgpack records, §2)', integerFlag(1, 2), 2)
    .option('--results-dir <DIR>', 'where <timestamp>.json and latest.json go', defaultResultsDir)
    .option('--seed <N>', 'seed of every id and variation', integerFlag(0, SEED_MAX), SEED_DEFAULT);
}

interface BenchFlags extends Partial<Omit<BenchOptions, 'mode' | 'resultsDir' | 'seed' | 'batchVersion'>> {
  quick?: boolean;
  smoke?: boolean;
  resultsDir: string;
  seed: number;
  batchVersion: number;
}

/** The options of `argv` (the arguments after the script); --help prints the flags and exits. */
export function parseBenchArgs(argv: string[], defaultResultsDir: string): BenchOptions {
  const { quick, smoke, resultsDir, seed, batchVersion, ...overrides } = parseCommandLine<BenchFlags>(benchCommand(defaultResultsDir), argv);
  const mode: BenchMode = quick === true ? 'quick' : smoke === true ? 'smoke' : 'full';
  return { mode, ...MODES[mode], ...overrides, resultsDir, seed, batchVersion: batchVersion === 1 ? 1 : 2 };
}
