/**
 * Corruption sweep: a golden store (about 50 records over several segments and index chunks,
 * cleanly closed) on a SimulatedDisk; then, for every byte of every segment and chunk file, the
 * byte XOR 0xFF and one random bit flipped, and the file cut at every length. Each damaged copy is
 * opened with the real engine and read back through getTraces, getTrace and getSpan. Must hold:
 * - every case is detected: the open fails with a typed error, a read does, recovery sets a chunk
 *   aside, or `verifyStore --deep` reports a problem;
 * - no read ever returns a wrong byte or a wrong null: a read returns exactly the golden data or
 *   throws a TraceKvError;
 * - damaged segment bytes are never truncated away or rewritten by the open: the file is still
 *   there byte for byte (or set aside as `.broken`);
 * - a damaged index chunk is set aside and the index rebuilt from the segments: reads then succeed.
 *
 *   node --import tsx scripts/reliability/corruption.ts [--quick] [--seed S]
 */
import { SimulatedDisk } from './simulated-disk.js';
import { DEFAULT_OPTIONS, TraceKvError, TraceStore, decodeBatch, type RawSpan, type Trace, type TraceStoreOptions } from '../../src/index.js';
import { verifyStore } from '../../src/maintenance/verify.js';
import { makeRng, type Rng } from '../../src/workload/rng.js';
import { FailureLog, campaignArgs, type CampaignOptions, type CampaignResult } from './campaign.js';
import { batchFor, traceIdOf } from './ledger.js';
import { sameStored, storedSpans, storedSpansOfBatch } from '../testkit/ledger.js';
import { simStoreOptions } from './sim-store.js';

/** Records in the golden store: the "about 50". */
export const GOLDEN_RECORDS = 50;
/** Quick mode tries every position of the first this-many bytes of each file (headers, first records) ... */
const QUICK_HEAD_BYTES = 96;
/** ... and this many random positions per file after them, for each kind of damage. */
const QUICK_SAMPLES_PER_FILE = 24;

const DIR = '/golden';

type Damage = 'xor' | 'bitflip' | 'cut';

/** The campaigns' small store, in one generation: a fixed clock and no byte limit keep it from rolling. */
function goldenOptions(disk: SimulatedDisk): TraceStoreOptions {
  return { ...simStoreOptions(disk), dir: DIR, generationHours: DEFAULT_OPTIONS.generationHours, generationBytesMax: DEFAULT_OPTIONS.generationBytesMax };
}

async function buildGolden(): Promise<SimulatedDisk> {
  const disk = new SimulatedDisk();
  const store = await TraceStore.open(goldenOptions(disk));
  // One append at a time: one record per batch.
  for (let n = 0; n < GOLDEN_RECORDS; n++) await store.append(batchFor(n));
  await store.close();
  return disk;
}

/** The files to damage: segments and index chunks, not the store marker, lock or GENERATION. */
function targetFiles(disk: SimulatedDisk): string[] {
  return disk.listFiles(DIR).filter((path) => path.endsWith('.tkv') || path.endsWith('.tki'));
}

interface Reads {
  /** A read returned data that is not the golden data (or null for a stored trace). */
  wrong: string | null;
  /** Reads that threw a TraceKvError. */
  typedErrors: number;
}

const expectedRaw = Array.from({ length: GOLDEN_RECORDS }, (_, n) => storedSpansOfBatch(batchFor(n)));

function sameTrace(trace: Trace<RawSpan> | null, n: number): boolean {
  if (trace === null || trace.partial === true) return false;
  const own = expectedRaw[n]!.filter((span) => span.traceId === traceIdOf(n));
  const got = storedSpans(trace.spans, trace.batches).sort((a, b) => (a.spanId < b.spanId ? -1 : 1));
  return got.length === own.length && got.every((span, i) => sameStored(span, own[i]!));
}

/** Runs `read`; a TraceKvError counts, any other throw is a wrong answer. */
async function attempt(reads: Reads, label: string, read: () => Promise<string | null>): Promise<void> {
  try {
    const wrong = await read();
    if (wrong !== null) reads.wrong ??= `${label}: ${wrong}`;
  } catch (error) {
    if (error instanceof TraceKvError) reads.typedErrors++;
    else reads.wrong ??= `${label} threw untyped ${(error as Error)?.stack ?? String(error)}`;
  }
}

/** Reads every golden trace back three ways; per trace when the bulk call fails, so one bad record does not hide the others. */
async function readBack(store: TraceStore, rng: Rng): Promise<Reads> {
  const reads: Reads = { wrong: null, typedErrors: 0 };
  const ids = Array.from({ length: GOLDEN_RECORDS }, (_, n) => traceIdOf(n));
  let bulkFailed = false;
  await attempt(reads, 'getTraces', async () => {
    try {
      const traces = (await store.getTraces(ids, { raw: true })) as (Trace<RawSpan> | null)[];
      const bad = traces.findIndex((trace, n) => !sameTrace(trace, n));
      return bad === -1 ? null : `trace of batch ${bad} is wrong`;
    } catch (error) {
      bulkFailed = true;
      throw error;
    }
  });
  const singles = bulkFailed ? ids.map((_, n) => n) : [rng.int(GOLDEN_RECORDS)];
  for (const n of singles) {
    await attempt(reads, `getTrace ${n}`, async () => (sameTrace((await store.getTrace(ids[n]!, { raw: true })) as Trace<RawSpan> | null, n) ? null : 'wrong'));
  }
  const n = rng.int(GOLDEN_RECORDS);
  const want = decodeBatch(batchFor(n)).spans[0]!;
  await attempt(reads, `getSpan ${n}`, async () => {
    const span = await store.getSpan(ids[n]!, want.spanId);
    const json = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    return span !== null && json(span) === json(want) ? null : 'wrong span';
  });
  return reads;
}

interface CaseOutcome {
  detected: boolean;
  /** Where it was detected: the open failed, recovery set a chunk aside, a read failed, or only verify saw it. */
  by: 'open' | 'recovery' | 'read' | 'verify' | null;
  problem: string | null;
  rebuiltIndex: boolean;
}

/** Every segment of `before` is in `after` byte for byte, at its path or set aside as `.broken`. */
function segmentsKept(before: SimulatedDisk, after: SimulatedDisk): string | null {
  for (const path of before.listFiles(DIR).filter((p) => p.endsWith('.tkv'))) {
    const bytes = before.fileBytes(path);
    const candidates = [path, `${path}.broken`].filter((p) => after.exists(p));
    if (!candidates.some((p) => Buffer.compare(after.fileBytes(p), bytes) === 0)) return `${path} was changed or removed by the open`;
  }
  return null;
}

async function runCase(golden: SimulatedDisk, file: string, damaged: Uint8Array, rng: Rng): Promise<CaseOutcome> {
  const disk = SimulatedDisk.fromImage(golden.image());
  disk.setFileBytes(file, damaged);
  const before = SimulatedDisk.fromImage(disk.image());
  let store: TraceStore;
  try {
    store = await TraceStore.open(goldenOptions(disk));
  } catch (error) {
    if (!(error instanceof TraceKvError)) return { detected: false, by: null, problem: `open threw untyped ${String(error)}`, rebuiltIndex: false };
    return { detected: true, by: 'open', problem: segmentsKept(before, disk), rebuiltIndex: false };
  }
  const recovery = store.stats().recovery;
  let reads: Reads;
  try {
    reads = await readBack(store, rng);
  } finally {
    await store.close().catch(() => {});
  }
  const rebuiltIndex = recovery.brokenChunks.length > 0;
  let problem = reads.wrong ?? segmentsKept(before, disk);
  if (problem === null && file.endsWith('.tki') && reads.typedErrors > 0) {
    problem = `index damage made reads fail (${reads.typedErrors} typed errors) instead of being set aside and rebuilt`;
  }
  let by: CaseOutcome['by'] = rebuiltIndex || recovery.truncatedFiles.length > 0 ? 'recovery' : reads.typedErrors > 0 ? 'read' : null;
  if (by === null && (await verifyStore({ dir: DIR, fileLayer: before, deep: true })).problems.length > 0) by = 'verify';
  return { detected: by !== null, by, problem, rebuiltIndex };
}

function damage(bytes: Uint8Array, kind: Damage, position: number, rng: Rng): Uint8Array {
  if (kind === 'cut') return bytes.slice(0, position);
  const out = bytes.slice();
  out[position] = kind === 'xor' ? out[position]! ^ 0xff : out[position]! ^ (1 << rng.int(8));
  return out;
}

function positionsFor(length: number, quick: boolean, rng: Rng): number[] {
  // Bytes 0..length-1 for a flip; for a cut, lengths 0..length-1 (a cut at the full length changes nothing).
  const all = Array.from({ length }, (_, i) => i);
  if (!quick) return all;
  const head = all.slice(0, QUICK_HEAD_BYTES);
  const rest = all.slice(QUICK_HEAD_BYTES);
  const sample = Array.from({ length: Math.min(QUICK_SAMPLES_PER_FILE, rest.length) }, () => rest[rng.int(rest.length)]!);
  return [...new Set([...head, ...sample])].sort((a, b) => a - b);
}

export async function runCorruptionCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const failures = new FailureLog();
  const rng = makeRng(options.seed);
  const golden = await buildGolden();
  const files = targetFiles(golden);
  const counts: Record<string, number> = {
    goldenRecords: GOLDEN_RECORDS,
    segmentFiles: 0,
    chunkFiles: 0,
    corruptions: 0,
    detected: 0,
    detectedAtOpen: 0,
    detectedByRecovery: 0,
    detectedByRead: 0,
    detectedByVerifyOnly: 0,
    indexRebuilt: 0,
  };
  const byCounter = { open: 'detectedAtOpen', recovery: 'detectedByRecovery', read: 'detectedByRead', verify: 'detectedByVerifyOnly' } as const;
  for (const file of files) {
    const bytes = golden.fileBytes(file);
    counts[file.endsWith('.tkv') ? 'segmentFiles' : 'chunkFiles']!++;
    for (const kind of ['xor', 'bitflip', 'cut'] as const) {
      for (const position of positionsFor(bytes.length, options.quick, rng)) {
        const outcome = await runCase(golden, file, damage(bytes, kind, position, rng), rng);
        counts.corruptions!++;
        counts[kind] = (counts[kind] ?? 0) + 1;
        if (outcome.by !== null) {
          counts.detected!++;
          counts[byCounter[outcome.by]]!++;
        }
        if (outcome.rebuiltIndex) counts.indexRebuilt!++;
        const label = `seed ${options.seed} ${file} ${kind} at ${position}`;
        if (!outcome.detected) failures.add(`${label}: not detected`);
        if (outcome.problem !== null) failures.add(`${label}: ${outcome.problem}`);
      }
    }
    log(`corruption: ${file} (${bytes.length} bytes) done, ${counts.corruptions} cases, ${failures.count} failures`);
  }
  return { campaign: 'corruption', seed: options.seed, counts, figures: {}, failures: failures.result(), durationMs: performance.now() - started };
}

/** The golden store and its damages, for the agreement test (test/reliability/agreement.test.ts). */
export { DIR as GOLDEN_DIR, buildGolden, goldenOptions, targetFiles, damage as damageBytes, type Damage };

async function main(): Promise<void> {
  const args = campaignArgs(process.argv.slice(2), 'scripts/reliability/corruption.ts');
  process.stderr.write(`corruption sweep: seed ${args.seed}${args.quick ? ' (quick)' : ''}\n`);
  const result = await runCorruptionCampaign(args);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (result.failures.length > 0) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
