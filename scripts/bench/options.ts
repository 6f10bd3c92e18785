/**
 * The benchmark's command line: one table of modes, every flag validated with a message that
 * names it. A mode sets every size; flags given after it override single sizes.
 */

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
  /** bench-results/ by default; the test points it at a temporary directory. */
  resultsDir: string;
  seed: number;
}

/** Sizes per mode. `full` is the benchmark issue's run; `quick` is 200k spans in all, for a
 * < 90 s check; `smoke` is a few thousand spans, for the test suite (shape, never speed). */
export const MODES: Record<BenchMode, Omit<BenchOptions, 'mode' | 'resultsDir' | 'seed'>> = {
  full: { w1Spans: 10_000_000, w2Spans: 1_000_000, baselineSpans: 1_000_000, lookups: 10_000, misses: 1_000, bulkRounds: 20 },
  quick: { w1Spans: 100_000, w2Spans: 100_000, baselineSpans: 100_000, lookups: 2_000, misses: 200, bulkRounds: 10 },
  smoke: { w1Spans: 2_000, w2Spans: 2_000, baselineSpans: 2_000, lookups: 100, misses: 20, bulkRounds: 3 },
};

const SEED_DEFAULT = 1;
/** Below this a workload has too few batches for rates or percentiles to mean anything. */
const SPANS_MIN = 1_000;
/** Above this the prebuilt batches (~233 B per W1 span) would not fit a 24 GB machine's memory. */
const SPANS_MAX = 50_000_000;

export const USAGE = `usage: node --import tsx scripts/bench.ts [--quick | --smoke] [--w1-spans N] [--w2-spans N]
       [--baseline-spans N] [--lookups N] [--misses N] [--bulk-rounds N] [--results-dir DIR] [--seed N]

  --quick             200k spans in all (W1 100k, W2 100k, baselines 100k); under 90 s
  --smoke             a few thousand spans: checks that every stage runs (the test suite's mode)
  --w1-spans N        tracegen-shaped spans (default ${MODES.full.w1Spans})
  --w2-spans N        Zipkin replay spans (default ${MODES.full.w2Spans})
  --baseline-spans N  spans the LMDB baselines write, at most (default ${MODES.full.baselineSpans})
  --lookups N         getTrace calls on existing ids (default ${MODES.full.lookups})
  --misses N          getTrace calls on absent ids (default ${MODES.full.misses})
  --bulk-rounds N     getTraces(100) rounds against 100 sequential getTrace (default ${MODES.full.bulkRounds})
  --results-dir DIR   where <timestamp>.json and latest.json go (default bench-results)
  --seed N            seed of every id and variation (default ${SEED_DEFAULT})`;

export function parseBenchArgs(argv: string[], defaultResultsDir: string): BenchOptions | 'help' {
  let mode: BenchMode = 'full';
  const overrides: Partial<BenchOptions> = {};
  let resultsDir = defaultResultsDir;
  let seed = SEED_DEFAULT;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag}: got no value; want one (see --help)`);
      return next;
    };
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--quick':
        mode = 'quick';
        break;
      case '--smoke':
        mode = 'smoke';
        break;
      case '--w1-spans':
        overrides.w1Spans = integerFlag(flag, value(), SPANS_MIN, SPANS_MAX);
        break;
      case '--w2-spans':
        overrides.w2Spans = integerFlag(flag, value(), SPANS_MIN, SPANS_MAX);
        break;
      case '--baseline-spans':
        overrides.baselineSpans = integerFlag(flag, value(), SPANS_MIN, SPANS_MAX);
        break;
      case '--lookups':
        overrides.lookups = integerFlag(flag, value(), 10, 10_000_000);
        break;
      case '--misses':
        overrides.misses = integerFlag(flag, value(), 10, 10_000_000);
        break;
      case '--bulk-rounds':
        overrides.bulkRounds = integerFlag(flag, value(), 1, 100_000);
        break;
      case '--results-dir':
        resultsDir = value();
        break;
      case '--seed':
        seed = integerFlag(flag, value(), 0, 2 ** 32 - 1);
        break;
      default:
        throw new Error(`unknown argument ${JSON.stringify(flag)}\n${USAGE}`);
    }
  }
  return { mode, ...MODES[mode], ...overrides, resultsDir, seed };
}

function integerFlag(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`${flag}: got ${JSON.stringify(text)}; want an integer from ${min} to ${max}`);
  }
  return value;
}
