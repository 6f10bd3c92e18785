/**
 * Power-loss campaign: the real engine runs a workload on a SimulatedDisk (scripts/reliability/simulated-disk.ts)
 * that remembers what is durable. Before every mutating disk call, the campaign freezes an image of
 * the disk: a crash point. Each crash point then becomes the disk a reboot would find (unsynced bytes
 * dropped, cut, zero-filled or garbage; directory changes since the last directory fsync undone),
 * sometimes with a second power loss during the recovery that follows, and is reopened with the
 * real engine and checked as the kill -9 harness checks:
 * - every acknowledged batch is whole and byte-identical, nothing unacknowledged is half-visible;
 * - the store opens (a power loss is not corruption) and takes new appends;
 * - an index rebuilt from the segments alone answers exactly like the recovered one.
 *
 *   node --import tsx scripts/reliability/power-loss.ts [--quick] [--seed S] [--only RUN:POINT]
 */
import { STORE_MARKER_FILE, join } from '../../src/filenames.js';
import { SimulatedDisk, type DiskImage, type UnsyncedFate } from './simulated-disk.js';
import { TraceStore } from '../../src/index.js';
import { makeRng, type Rng } from '../../src/workload/rng.js';
import { InvalidArgumentError } from 'commander';
import { FailureLog, campaignCommandLine, type CampaignOptions, type CampaignResult } from './campaign.js';
import type { Ledger, LedgerView } from '../testkit/ledger.js';
import { batchFor, checkStore, traceIdOf } from './ledger.js';
import { STORE_DIR, rebootLock, runWorkload, simStoreOptions } from './sim-store.js';

/** Crash points `npm test` runs (the issue asks for at least 2,000) and the full campaign runs. */
export const POWER_LOSS_CRASH_POINTS_QUICK = 2_000;
export const POWER_LOSS_CRASH_POINTS_FULL = 20_000;
/** Batches one workload run appends: enough for several segments, chunks and generations. */
const WORKLOAD_BATCHES = 48;
/** The workload closes and reopens the store after this many batches, so clean shutdown and reopen are crash points too. */
const WORKLOAD_REOPEN_AFTER_BATCHES = 20;
/** One crash point in this many also loses power again during the recovery that follows. */
const DOUBLE_CRASH_EVERY = 4;
/** A second crash lands before one of the first this-many disk calls of recovery. */
const DOUBLE_CRASH_WITHIN_CALLS = 24;
/** One crash point in this many (and the last of each run) also rebuilds the index from the segments and compares. */
const REBUILD_CHECK_EVERY_QUICK = 10;
const REBUILD_CHECK_EVERY_FULL = 3;

interface CrashPoint {
  run: number;
  moment: number;
  image: DiskImage;
}

/** One workload on a fresh disk, with a crash point before each disk call and one at the end, unclosed. */
async function workloadWithCrashPoints(run: number, seed: number, disk: SimulatedDisk, onPoint: (point: CrashPoint) => void): Promise<Ledger> {
  disk.beforeMutation = (moment) => onPoint({ run, moment, image: disk.image() });
  const outcome = await runWorkload(disk, {
    batches: WORKLOAD_BATCHES,
    reopenAfter: WORKLOAD_REOPEN_AFTER_BATCHES,
    // Half the runs append one batch at a time (replays exactly); half keep several in flight (group commit).
    inFlight: run % 2 === 0 ? 1 : 4,
    seed,
    beforeClose: () => onPoint({ run, moment: disk.mutations, image: disk.image() }),
  });
  disk.beforeMutation = null;
  if (outcome.error !== null) throw outcome.error;
  return outcome.ledger;
}

interface PointOutcome {
  problem: string | null;
  fates: Partial<Record<UnsyncedFate, number>>;
  doubleCrash: boolean;
  rebuilt: boolean;
}

async function powerLoss(image: DiskImage, rng: Rng, fates: Record<UnsyncedFate, number>): Promise<SimulatedDisk> {
  const { disk, report } = SimulatedDisk.afterPowerLoss(image, () => rng.next());
  for (const [fate, count] of Object.entries(report.fates)) fates[fate as UnsyncedFate] += count;
  rebootLock(disk);
  return disk;
}

/** Opens the store on `disk` and loses power again before recovery's `callNo`-th disk call. */
async function crashDuringRecovery(disk: SimulatedDisk, callNo: number, rng: Rng, fates: Record<UnsyncedFate, number>): Promise<SimulatedDisk> {
  let image: DiskImage | null = null;
  disk.beforeMutation = (moment) => {
    if (moment === callNo && image === null) image = disk.image();
  };
  const store = await TraceStore.open(simStoreOptions(disk));
  await store.close();
  disk.beforeMutation = null;
  return image === null ? disk : powerLoss(image, rng, fates);
}

async function checkPoint(point: CrashPoint, view: LedgerView, rng: Rng, rebuild: boolean): Promise<PointOutcome> {
  const fates: Record<UnsyncedFate, number> = { drop: 0, prefix: 0, zero: 0, garbage: 0 };
  let disk = await powerLoss(point.image, rng, fates);
  const doubleCrash = point.moment % DOUBLE_CRASH_EVERY === 1 && disk.exists(join(STORE_DIR, STORE_MARKER_FILE));
  const outcome: PointOutcome = { problem: null, fates, doubleCrash, rebuilt: rebuild };
  if (doubleCrash) {
    try {
      disk = await crashDuringRecovery(disk, rng.int(DOUBLE_CRASH_WITHIN_CALLS), rng, fates);
    } catch (error) {
      return { ...outcome, problem: `store does not open after power loss (before the second one): ${(error as Error).message}` };
    }
  }
  let store: TraceStore;
  try {
    store = await TraceStore.open(simStoreOptions(disk));
  } catch (error) {
    return { ...outcome, problem: `store does not open after power loss: ${(error as Error).message}` };
  }
  let whole: Set<number>;
  try {
    const checked = await checkStore(store, view);
    whole = checked.whole;
    if (checked.problem !== null) return { ...outcome, problem: checked.problem };
    // The recovered store must take new data and serve it.
    const fresh = 1_000_000 + point.moment;
    await store.append(batchFor(fresh));
    if ((await store.getTrace(traceIdOf(fresh))) === null) return { ...outcome, problem: 'a batch appended after recovery is not served' };
    whole.add(fresh);
    view = { sent: new Set([...view.sent, fresh]), acked: new Set([...view.acked, fresh]) };
  } catch (error) {
    return { ...outcome, problem: `reading after recovery failed: ${(error as Error).message}` };
  } finally {
    await store.close().catch(() => {});
  }
  if (rebuild) outcome.problem = await compareRebuiltIndex(disk, view, whole);
  return outcome;
}

/** Deletes every index chunk, reopens (recovery re-indexes every record) and demands the same answers. */
async function compareRebuiltIndex(disk: SimulatedDisk, view: LedgerView, whole: Set<number>): Promise<string | null> {
  const copy = SimulatedDisk.fromImage(disk.image());
  for (const path of copy.listFiles(STORE_DIR)) if (path.endsWith('.tki')) copy.unlink(path);
  const rebuilt = await TraceStore.open(simStoreOptions(copy));
  try {
    const checked = await checkStore(rebuilt, view);
    if (checked.problem !== null) return `rebuilt index: ${checked.problem}`;
    const differ = [...view.sent].filter((n) => checked.whole.has(n) !== whole.has(n));
    return differ.length === 0 ? null : `rebuilt index differs from the recovered one for batches ${differ.slice(0, 5).join(', ')}`;
  } finally {
    await rebuilt.close();
  }
}

export interface PowerLossOptions extends CampaignOptions {
  /** Replays one crash point. */
  only?: { run: number; moment: number };
  /** Stop after this many crash points instead of the quick or full count. */
  crashPoints?: number;
  /** The disk the workload runs on; the campaign's self-test passes one whose fdatasync lies. */
  makeDisk?: () => SimulatedDisk;
}

export async function runPowerLossCampaign(options: PowerLossOptions): Promise<CampaignResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const target = options.crashPoints ?? (options.quick ? POWER_LOSS_CRASH_POINTS_QUICK : POWER_LOSS_CRASH_POINTS_FULL);
  const makeDisk = options.makeDisk ?? (() => new SimulatedDisk());
  const rebuildEvery = options.quick ? REBUILD_CHECK_EVERY_QUICK : REBUILD_CHECK_EVERY_FULL;
  const failures = new FailureLog();
  const fates: Record<UnsyncedFate, number> = { drop: 0, prefix: 0, zero: 0, garbage: 0 };
  const counts = { crashPoints: 0, workloadRuns: 0, doubleCrashes: 0, rebuiltIndexChecks: 0, batchesAcknowledged: 0 };
  for (let run = options.only?.run ?? 0; counts.crashPoints < target; run++) {
    const points: CrashPoint[] = [];
    const ledger = await workloadWithCrashPoints(run, options.seed + run, makeDisk(), (point) => {
      if (options.only === undefined || options.only.moment === point.moment) points.push(point);
    });
    counts.workloadRuns++;
    counts.batchesAcknowledged += ledger.ackedAt.size;
    for (let i = 0; i < points.length && counts.crashPoints < target; i++) {
      const point = points[i]!;
      const rng = makeRng(options.seed * 31 + run * 1_000_003 + point.moment);
      const rebuild = i % rebuildEvery === 0 || i === points.length - 1;
      const outcome = await checkPoint(point, ledger.at(point.moment), rng, rebuild);
      counts.crashPoints++;
      if (outcome.doubleCrash) counts.doubleCrashes++;
      if (outcome.rebuilt) counts.rebuiltIndexChecks++;
      if (outcome.problem !== null) {
        failures.add(`seed ${options.seed} run ${run} point ${point.moment} (replay: --seed ${options.seed} --only ${run}:${point.moment}): ${outcome.problem}`);
      }
      for (const [fate, count] of Object.entries(outcome.fates)) fates[fate as UnsyncedFate] += count;
    }
    log(`power loss: run ${run}, ${points.length} crash points, ${counts.crashPoints} so far, ${failures.count} failures`);
    if (options.only !== undefined) break;
  }
  return {
    campaign: 'power-loss',
    seed: options.seed,
    counts: { ...counts, unsyncedDropped: fates.drop, unsyncedPrefixKept: fates.prefix, unsyncedZeroFilled: fates.zero, unsyncedGarbage: fates.garbage },
    figures: {},
    failures: failures.result(),
    durationMs: performance.now() - started,
  };
}

/** `--only run:moment`: one crash point of one run. */
function crashPointFlag(text: string): { run: number; moment: number } {
  const match = /^(\d+):(\d+)$/.exec(text);
  if (match === null) throw new InvalidArgumentError(`got ${JSON.stringify(text)}; want run:moment, two integers`);
  return { run: Number(match[1]), moment: Number(match[2]) };
}

async function main(): Promise<void> {
  const args = campaignCommandLine<{ only?: { run: number; moment: number } }>('scripts/reliability/power-loss.ts', 'the power-loss campaign', process.argv.slice(2), (command) =>
    command.option('--only <run:moment>', 'replay one crash point (as a failure names it)', crashPointFlag),
  );
  process.stderr.write(`power-loss campaign: seed ${args.seed}${args.quick ? ' (quick)' : ''}\n`);
  const result = await runPowerLossCampaign(args);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (result.failures.length > 0) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
