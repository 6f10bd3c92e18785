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
 *   npm run crash -- --cycles 200 [--seed S] [--dir D]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { TraceStore, decodeBatchRaw, type RawSpan, type Trace } from '../src/index.js';
import { makeRng, type Rng } from '../src/workload/rng.js';

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

export interface CrashCampaignResult {
  cycles: number;
  acknowledged: number;
  sentUnacknowledged: number;
  unacknowledgedPresent: number;
  recoveryMsP50: number;
  recoveryMsMax: number;
}

const childScript = new URL('./crash-child.mjs', import.meta.url).pathname;

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

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** 'whole' when the trace holds exactly the batch's span records, 'absent' when missing; throws otherwise. */
async function presence(store: TraceStore, batches: Batches, batchNo: number): Promise<'whole' | 'absent'> {
  const trace = await store.getTrace(batches.traceIdOf(batchNo), { raw: true });
  if (trace === null) return 'absent';
  const want = decodeBatchRaw(batches.batchFor(batchNo)).spans;
  const got = trace.spans;
  if (got.length !== want.length || got.some((span, i) => span.spanId !== want[i]!.spanId || !same(span.bytes, want[i]!.bytes))) {
    throw new Error(`batch ${batchNo} is half-visible or altered: ${got.length} of ${want.length} spans, or bytes differ`);
  }
  return 'whole';
}

async function checkRebuiltIndex(dir: string, batches: Batches, batchNos: number[]): Promise<void> {
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
      const equal = (trace === null && other === null) || (trace !== null && other !== null && trace.spans.length === other.spans.length && trace.spans.every((s, k) => same(s.bytes, other.spans[k]!.bytes)));
      if (!equal) throw new Error(`rebuilt index differs from the recovered one for batch ${batchNos[i]}`);
    });
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

export async function runCrashCampaign(options: {
  cycles: number;
  seed: number;
  dir: string;
  log?: (line: string) => void;
  /** Called after each cycle's checks, with the store closed: for extra checks of the directory. */
  onCycle?: (cycle: number) => void;
}): Promise<CrashCampaignResult> {
  const batches = await loadBatches();
  const rng: Rng = makeRng(options.seed);
  const log = options.log ?? (() => {});
  const acknowledged = new Set<number>();
  const unacknowledged = new Set<number>();
  const recoveryMs: number[] = [];
  let nextBatch = 0;
  for (let cycle = 0; cycle < options.cycles; cycle++) {
    const { sent, acked } = await runVictim(options.dir, nextBatch, rng.int(KILL_DELAY_MS_MAX));
    for (const n of acked) acknowledged.add(n);
    for (const n of sent) if (!acked.includes(n)) unacknowledged.add(n);
    // Batch numbers are never reused: the next victim starts past everything this one sent.
    nextBatch = Math.max(nextBatch, ...sent.map((n) => n + 1));
    const start = performance.now();
    const store = await TraceStore.open({ dir: options.dir, readerThreads: 0 });
    recoveryMs.push(performance.now() - start);
    try {
      const older = [...acknowledged];
      const sample = Array.from({ length: Math.min(RECHECK_SAMPLE_BATCHES, older.length) }, () => older[rng.int(older.length)]!);
      for (const n of [...acked, ...sample]) {
        if ((await presence(store, batches, n)) !== 'whole') throw new Error(`acknowledged batch ${n} is missing after cycle ${cycle}`);
      }
      for (const n of sent) if (!acked.includes(n)) await presence(store, batches, n);
    } finally {
      await store.close();
    }
    options.onCycle?.(cycle);
    if (cycle % 20 === 0) log(`cycle ${cycle}: ${acknowledged.size} acknowledged, recovery ${recoveryMs[recoveryMs.length - 1]!.toFixed(1)} ms`);
  }
  const store = await TraceStore.open({ dir: options.dir, readerThreads: 0 });
  let unacknowledgedPresent = 0;
  try {
    for (const n of acknowledged) if ((await presence(store, batches, n)) !== 'whole') throw new Error(`acknowledged batch ${n} is missing at the end`);
    for (const n of unacknowledged) if ((await presence(store, batches, n)) === 'whole') unacknowledgedPresent++;
  } finally {
    await store.close();
  }
  await checkRebuiltIndex(options.dir, batches, [...acknowledged, ...unacknowledged]);
  const sorted = [...recoveryMs].sort((a, b) => a - b);
  return {
    cycles: options.cycles,
    acknowledged: acknowledged.size,
    sentUnacknowledged: unacknowledged.size,
    unacknowledgedPresent,
    recoveryMsP50: sorted[Math.floor(sorted.length / 2)] ?? 0,
    recoveryMsMax: sorted[sorted.length - 1] ?? 0,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (flag: string) => {
    const at = args.indexOf(flag);
    return at === -1 ? undefined : args[at + 1];
  };
  const cycles = Number(value('--cycles') ?? 200);
  const seed = Number(value('--seed') ?? Math.floor(Math.random() * 2 ** 31));
  if (!Number.isInteger(cycles) || cycles < 1) throw new Error('--cycles wants a positive integer');
  const dir = value('--dir') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tracekv-crash-'));
  process.stderr.write(`crash campaign: ${cycles} cycles, seed ${seed}, dir ${dir}\n`);
  try {
    const result = await runCrashCampaign({ cycles, seed, dir, log: (line) => process.stderr.write(`${line}\n`) });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (error) {
    process.stderr.write(`crash campaign FAILED with seed ${seed} (replay: --seed ${seed} --cycles ${cycles}): ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
