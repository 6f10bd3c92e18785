/**
 * Runs the native-free micro-benchmarks: tracekv's own hot paths with no native addon loaded, so
 * the figures measure our TypeScript alone (CRCs in pure JS, msgpackr without its accelerator, no
 * zstd call at all).
 *
 *   node --import tsx native-free-bench/run.ts [--quick] [--only TEXT] [--out PATH]
 *
 * Prints a Markdown table on stdout, progress on stderr, and writes the results as JSON to
 * bench-results/micro-latest.json (or PATH). Exits 1 if any native module was loaded.
 * `--only TEXT` runs the tasks whose name ("suite: task") contains TEXT, and sets up only the
 * suites TEXT can match (all of them, unless it contains a suite name), e.g. to profile one task;
 * it writes JSON only with an explicit --out, so a partial run never replaces the latest full one.
 *
 * Order matters: the environment switches and the dlopen hook are set up here, before the first
 * project module is imported; every bench file is imported dynamically after that. This file's
 * static imports are node builtins and the guard (itself builtins only), and types, which erase.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertNoNativeModules, dlopenGuardInstalled, installDlopenGuard, nativeModulesLoaded } from './native-guard.js';
import type { BenchBudget, MicroSuite } from './bench-kit.js';

process.env.TRACEKV_NATIVE_FREE = '1';
process.env.MSGPACKR_NATIVE_ACCELERATION_DISABLED = 'true';
installDlopenGuard();

const REPO = path.resolve(import.meta.dirname, '..');
const DEFAULT_OUT = path.join(REPO, 'bench-results', 'micro-latest.json');

/** One bench file each, in the order of the data flow: write path, then read path. */
const SUITES: readonly { name: string; load: (budget: BenchBudget) => Promise<MicroSuite> }[] = [
  { name: 'batch-encode', load: async (budget) => (await import('./batch-encode.bench.js')).batchEncodeBench(budget) },
  { name: 'trailer-parse', load: async (budget) => (await import('./trailer-parse.bench.js')).trailerParseBench(budget) },
  { name: 'index-append', load: async (budget) => (await import('./index-append.bench.js')).indexAppendBench(budget) },
  { name: 'index-lookup', load: async (budget) => (await import('./index-lookup.bench.js')).indexLookupBench(budget) },
  { name: 'chunk-probe', load: async (budget) => (await import('./chunk-probe.bench.js')).chunkProbeBench(budget) },
  { name: 'trace-assembly', load: async (budget) => (await import('./trace-assembly.bench.js')).traceAssemblyBench(budget) },
];

export interface MicroResult {
  name: string;
  /** Calls per second, from the median call latency (robust to GC pauses on a shared box). */
  opsPerSec: number;
  meanNs: number;
  p50Ns?: number;
  p99Ns?: number;
  /** Items (spans, lookups, bytes) per second: opsPerSec × items one call covers. */
  perItem?: { unit: string; perSec: number };
}

export interface MicroReport {
  machine: { cpus: number; cpuModel: string; memoryBytes: number; node: string };
  mode: 'full' | 'quick';
  nativeModulesLoaded: string[];
  results: MicroResult[];
}

interface Args {
  quick: boolean;
  /** Null: write no JSON (an --only run without --out). */
  out: string | null;
  only: string | null;
}

/** The command line, through commander (imported after the guard, like every non-builtin). */
async function parseArgs(argv: string[]): Promise<Args> {
  const { parseCommandLine, scriptCommand } = await import('../scripts/testkit/command-line.js');
  const command = scriptCommand('node --import tsx native-free-bench/run.ts', 'the native-free micro-benchmarks')
    .option('--quick', '50 ms per task, small data: a smoke test, figures meaningless')
    .option('--only <TEXT>', 'the tasks whose name ("suite: task") contains TEXT; no JSON unless --out')
    .option('--out <PATH>', `where the JSON goes (default ${path.relative(REPO, DEFAULT_OUT)})`);
  const flags = parseCommandLine<{ quick?: boolean; only?: string; out?: string }>(command, argv);
  const only = flags.only ?? null;
  return { quick: flags.quick === true, out: flags.out !== undefined ? path.resolve(flags.out) : only === null ? DEFAULT_OUT : null, only };
}

async function runSuite(suite: MicroSuite, only: string | null, log: (line: string) => void): Promise<MicroResult[]> {
  if (only !== null) {
    for (const task of [...suite.bench.tasks]) if (!task.name.includes(only)) suite.bench.remove(task.name);
  }
  suite.bench.addEventListener('cycle', (event) => {
    const task = event.task;
    if (task !== undefined) log(`  ${task.name}: ${task.runs} calls`);
  });
  try {
    await suite.bench.run();
  } finally {
    await suite.close();
  }
  return suite.bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed') {
      throw new Error(`${task.name}: ended ${result.state}${'error' in result ? `: ${result.error.message}` : ''}`);
    }
    const { latency } = result;
    const opsPerSec = 1000 / latency.p50;
    const items = suite.items.get(task.name);
    return {
      name: task.name,
      opsPerSec: tenths(opsPerSec),
      meanNs: tenths(latency.mean * 1e6),
      p50Ns: tenths(latency.p50 * 1e6),
      p99Ns: tenths(latency.p99 * 1e6),
      ...(items !== undefined ? { perItem: { unit: items.unit, perSec: Math.round(opsPerSec * items.count) } } : {}),
    };
  });
}

/** Rounded to 0.1: the timer is not finer, and the JSON stays readable. */
function tenths(value: number): number {
  return Math.round(value * 10) / 10;
}

/** 1234 → "1.23 k"; three significant digits, SI prefix. */
function si(value: number): string {
  const prefixes = ['', ' k', ' M', ' G'];
  let i = 0;
  while (value >= 1000 && i < prefixes.length - 1) {
    value /= 1000;
    i++;
  }
  return `${value.toPrecision(3)}${prefixes[i]}`;
}

function duration(ns: number): string {
  if (ns < 1e3) return `${ns.toPrecision(3)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toPrecision(3)} µs`;
  return `${(ns / 1e6).toPrecision(3)} ms`;
}

function perItemCell(result: MicroResult): string {
  const perItem = result.perItem;
  if (perItem === undefined) return '';
  if (perItem.unit === 'bytes') return `${si(perItem.perSec)}B/s`;
  const singular = perItem.unit.replace(/s$/, '');
  return `${si(perItem.perSec)} ${perItem.unit}/s (${duration(1e9 / perItem.perSec)}/${singular})`;
}

function markdownTable(results: MicroResult[]): string {
  const rows = results.map(
    (r) => `| ${r.name} | ${si(r.opsPerSec)} | ${duration(r.p50Ns ?? r.meanNs)} | ${duration(r.meanNs)} | ${duration(r.p99Ns ?? r.meanNs)} | ${perItemCell(r)} |`,
  );
  return [
    '| task | calls/s (median) | p50 per call | mean per call | p99 per call | per item (median) |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

async function main(): Promise<void> {
  const { quick, out, only } = await parseArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (!dlopenGuardInstalled()) throw new Error('BUG: dlopen guard not installed before the benches');
  const { FULL_BUDGET, QUICK_BUDGET } = await import('./bench-kit.js');
  const budget = quick ? QUICK_BUDGET : FULL_BUDGET;
  log(`native-free micro-benchmarks (${quick ? 'quick: figures are meaningless' : 'full'}), ${budget.timeMs} ms per task`);
  const results: MicroResult[] = [];
  // A TEXT that names a suite skips setting up the others (their data would crowd a profile).
  const named = SUITES.filter(({ name }) => only !== null && only.includes(name));
  for (const { load } of named.length > 0 ? named : SUITES) {
    const suite = await load(budget);
    const tasks = suite.bench.tasks.length;
    log(`${suite.name}: ${tasks} task${tasks === 1 ? '' : 's'} on ${suite.data}`);
    results.push(...(await runSuite(suite, only, log)));
  }
  const loaded = nativeModulesLoaded();
  const cpus = os.cpus();
  const report: MicroReport = {
    machine: { cpus: cpus.length, cpuModel: cpus[0]?.model.trim() ?? 'unknown', memoryBytes: os.totalmem(), node: process.version },
    mode: quick ? 'quick' : 'full',
    nativeModulesLoaded: loaded,
    results,
  };
  if (out !== null) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${path.relative(process.cwd(), out) || out}`);
  }
  process.stdout.write(`${markdownTable(results)}\n`);
  // Written first, so a failing run still leaves the evidence of what was loaded.
  assertNoNativeModules('native-free-bench/run.ts (end of run)');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
