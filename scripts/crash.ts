/**
 * kill -9 campaign: a child appends batches under load and reports each acknowledged one; the
 * parent kills it at a random moment (during recovery, during appends, between syncs), reopens the
 * store and checks:
 * - every acknowledged batch is present and its span records are byte-identical;
 * - a batch that was sent but not acknowledged is either wholly there or wholly absent;
 * - at the end, an index rebuilt from the segments alone answers exactly like the recovered one.
 * It also records recovery times. kill -9 cannot lose page-cache data, so this checks ordering and
 * recovery, not fsync: power loss is the reliability suite's simulated file layer.
 *
 * Like every campaign (scripts/reliability/campaign.ts) it never throws for a failed check: it
 * records the failure, with the seed that replays it, and returns.
 *
 *   npm run crash -- [--cycles N] [--quick] [--seed S] [--dir D]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { TraceStore, type RawSpan, type Trace } from '../src/index.js';
import { makeRng, type Rng } from '../src/workload/rng.js';
import { FailureLog, campaignCommandLine, type CampaignOptions, type CampaignResult } from './reliability/campaign.js';
import { integerFlag } from './testkit/command-line.js';
import { Ledger, checkBatches, sameStored, storedSpans, storedSpansOfBatch } from './testkit/ledger.js';

/** kill -9 cycles of the full campaign (`npm run reliability`), of `--quick`, and of `npm run crash` without --cycles (what `npm test` runs). */
export const CRASH_CYCLES_FULL = 1_000;
export const CRASH_CYCLES_QUICK = 20;
const CRASH_CYCLES_STANDALONE = 200;
/** A kill lands at a uniform moment in [0, this) after spawn: early ones hit recovery, later ones appends. */
const KILL_DELAY_MS_MAX = 400;
/** Ids per getTraces call when comparing the rebuilt index with the recovered one. */
const REBUILD_CHECK_SLICE_IDS = 1000;
/** Older acknowledged batches re-checked per cycle (all of them are checked at the end). */
const RECHECK_SAMPLE_BATCHES = 30;

interface Batches {
  batchFor(batchNo: number): Uint8Array;
  traceIdOf(batchNo: number): string;
  SPANS_PER_BATCH: number;
}

export interface CrashCampaignOptions extends CampaignOptions {
  /** Default: CRASH_CYCLES_QUICK or CRASH_CYCLES_FULL. */
  cycles?: number;
  /** The store's directory; default a temporary one, removed at the end. */
  dir?: string;
  /** Called after each cycle's checks, with the store closed: for extra checks of the directory. */
  onCycle?: (cycle: number) => void;
}

const childScript = new URL('./crash-child.mjs', import.meta.url).pathname;

/** The same spans in the same storage order, each stored alike (record bytes, or batch and row). */
function sameTraceAsStored(a: Trace<RawSpan>, b: Trace<RawSpan>): boolean {
  const x = storedSpans(a.spans, a.batches);
  const y = storedSpans(b.spans, b.batches);
  return x.length === y.length && x.every((span, k) => sameStored(span, y[k]!));
}

async function loadBatches(): Promise<Batches> {
  return (await import(new URL('./crash-batches.mjs', import.meta.url).href)) as Batches;
}

/** Runs the child until the kill; returns the batch numbers it sent and acknowledged. */
async function runVictim(dir: string, firstBatch: number, killAfterMs: number): Promise<{ sent: number[]; acked: number[] }> {
  const child = spawn(process.execPath, [childScript, dir, String(firstBatch)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const sent: number[] = [];
  const acked: number[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const [kind, number] = line.split(' ');
    if (kind === 'SENT') sent.push(Number(number));
    else if (kind === 'ACK') acked.push(Number(number));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  if (signal !== 'SIGKILL') throw new Error(`victim exited on its own (code ${code}): ${stderr}`);
  return { sent, acked };
}

/** Every trace of `batchNos` reads the same from the recovered store and from a copy whose index is rebuilt from the segments alone. */
async function checkRebuiltIndex(dir: string, batches: Batches, batchNos: number[], report: (problem: string) => void): Promise<void> {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'tracekv-crash-rebuild-'));
  try {
    fs.cpSync(dir, copy, { recursive: true, filter: (source) => !source.endsWith('.tki') && path.basename(source) !== 'LOCK' });
    const recovered = await TraceStore.open({ dir, readerThreads: 0 });
    const rebuilt = await TraceStore.open({ dir: copy, readerThreads: 0 });
    const ids = batchNos.map((n) => batches.traceIdOf(n));
    const a: (Trace<RawSpan> | null)[] = [];
    const b: (Trace<RawSpan> | null)[] = [];
    // In slices: a single getTraces call is capped at requestTracesMax ids.
    for (let at = 0; at < ids.length; at += REBUILD_CHECK_SLICE_IDS) {
      const slice = ids.slice(at, at + REBUILD_CHECK_SLICE_IDS);
      a.push(...(await recovered.getTraces(slice, { raw: true })));
      b.push(...(await rebuilt.getTraces(slice, { raw: true })));
    }
    await recovered.close();
    await rebuilt.close();
    a.forEach((trace, i) => {
      const other = b[i];
      const equal = (trace === null && other === null) || (trace !== null && other !== null && sameTraceAsStored(trace, other));
      if (!equal) report(`rebuilt index differs from the recovered one for batch ${batchNos[i]}`);
    });
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

export async function runCrashCampaign(options: CrashCampaignOptions): Promise<CampaignResult> {
  const started = performance.now();
  const cycles = options.cycles ?? (options.quick ? CRASH_CYCLES_QUICK : CRASH_CYCLES_FULL);
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tracekv-crash-'));
  const failures = new FailureLog();
  const counts: Record<string, number> = { cycles: 0, batchesAcknowledged: 0, sentUnacknowledged: 0, unacknowledgedPresent: 0 };
  const recoveryMs: number[] = [];
  try {
    await runCycles(options, cycles, dir, failures, counts, recoveryMs);
  } finally {
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
  }
  const sorted = [...recoveryMs].sort((a, b) => a - b);
  const figures = { recoveryMsP50: sorted[Math.floor(sorted.length / 2)] ?? 0, recoveryMsMax: sorted[sorted.length - 1] ?? 0 };
  return { campaign: 'crash', seed: options.seed, counts, figures, failures: failures.result(), durationMs: performance.now() - started };
}

/** The kill/reopen/check cycles, then the final checks; a cycle that cannot run (the victim or the store would not) ends them. */
async function runCycles(options: CrashCampaignOptions, cycles: number, dir: string, failures: FailureLog, counts: Record<string, number>, recoveryMs: number[]): Promise<void> {
  const batches = await loadBatches();
  const spansOf = (batchNo: number) => storedSpansOfBatch(batches.batchFor(batchNo));
  const rng: Rng = makeRng(options.seed);
  const log = options.log ?? (() => {});
  const replay = `seed ${options.seed} (replay: npm run crash -- --seed ${options.seed} --cycles ${cycles})`;
  const ledger = new Ledger();
  let nextBatch = 0;
  for (let cycle = 0; cycle < cycles; cycle++) {
    const report = (problem: string) => failures.add(`${replay} cycle ${cycle}: ${problem}`);
    try {
      const { sent, acked } = await runVictim(dir, nextBatch, rng.int(KILL_DELAY_MS_MAX));
      for (const n of sent) ledger.sent(n, cycle);
      for (const n of acked) ledger.acked(n, cycle);
      // Batch numbers are never reused: the next victim starts past everything this one sent.
      nextBatch = Math.max(nextBatch, ...sent.map((n) => n + 1));
      const start = performance.now();
      const store = await TraceStore.open({ dir, readerThreads: 0 });
      recoveryMs.push(performance.now() - start);
      try {
        const older = [...ledger.ackedAt.keys()];
        const sample = Array.from({ length: Math.min(RECHECK_SAMPLE_BATCHES, older.length) }, () => older[rng.int(older.length)]!);
        const read = (ids: string[]) => store.getTraces(ids, { raw: true });
        await checkBatches(read, ledger.at(), new Set([...sent, ...sample]), spansOf, report);
      } finally {
        await store.close();
      }
    } catch (error) {
      report(`the cycle could not run: ${error instanceof Error ? error.message : String(error)}`);
      break;
    }
    counts.cycles!++;
    options.onCycle?.(cycle);
    if (cycle % 20 === 0) log(`cycle ${cycle}: ${ledger.ackedAt.size} acknowledged, recovery ${recoveryMs[recoveryMs.length - 1]!.toFixed(1)} ms`);
  }
  const view = ledger.at();
  const unacknowledged = [...view.sent].filter((n) => !view.acked.has(n));
  counts.batchesAcknowledged = view.acked.size;
  counts.sentUnacknowledged = unacknowledged.length;
  const report = (problem: string) => failures.add(`${replay} at the end: ${problem}`);
  try {
    const store = await TraceStore.open({ dir, readerThreads: 0 });
    try {
      const whole = await checkBatches((ids) => store.getTraces(ids, { raw: true }), view, view.sent, spansOf, report);
      counts.unacknowledgedPresent = unacknowledged.filter((n) => whole.has(n)).length;
    } finally {
      await store.close();
    }
    await checkRebuiltIndex(dir, batches, [...view.sent], report);
  } catch (error) {
    report(`the final checks could not run: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function main(): Promise<void> {
  const args = campaignCommandLine<{ cycles?: number; dir?: string }>('npm run crash --', 'the kill -9 campaign', process.argv.slice(2), (command) =>
    command
      .option('--cycles <N>', `kill -9 cycles (default ${CRASH_CYCLES_STANDALONE}; --quick ${CRASH_CYCLES_QUICK})`, integerFlag(1))
      .option('--dir <D>', 'store directory, kept afterwards (default: a temporary one, removed)'),
  );
  const cycles = args.cycles ?? (args.quick ? CRASH_CYCLES_QUICK : CRASH_CYCLES_STANDALONE);
  process.stderr.write(`crash campaign: ${cycles} cycles, seed ${args.seed}${args.dir === undefined ? '' : `, dir ${args.dir}`}\n`);
  const result = await runCrashCampaign({ ...args, cycles });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (result.failures.length > 0) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
