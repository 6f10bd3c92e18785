/**
 * I/O-error loop (SQLite's): the real engine runs a workload on a SimulatedDisk that fails the Nth
 * call of one kind, for N = 1, 2, … until the workload completes without reaching it; for EIO and
 * ENOSPC on write, EIO on fdatasync and rename (and on directory fsync and file creation); once (a
 * transient fault) and from then on (a dead disk). Each case must hold:
 * - every error the caller sees is a TraceKvError, and the fault is never swallowed;
 * - after a failed append the store fails closed: later appends are refused with a typed error;
 * - nothing acknowledged is lost, even if power fails right after the fault (the disk models
 *   fsyncgate: pages unsynced at a failed fdatasync never reach the platter);
 * - once the fault clears, the store reopens, serves every acknowledged batch and takes new ones.
 *
 *   node --import tsx scripts/reliability/io-errors.ts [--quick] [--seed S]
 */
import { SimulatedDisk, type InjectedFault, type MutatingCall } from './simulated-disk.js';
import { TraceKvError, TraceStore } from '../../src/index.js';
import { makeRng } from '../../src/workload/rng.js';
import { FailureLog, campaignArgs, type CampaignOptions, type CampaignResult } from './campaign.js';
import type { Ledger } from '../testkit/ledger.js';
import { batchFor, checkStore, traceIdOf } from './ledger.js';
import { rebootLock, runWorkload, simStoreOptions, type WorkloadShape } from './sim-store.js';

/** The faults the loop injects: the four, plus directory fsync and file creation. */
export const IO_FAULT_KINDS: readonly { call: MutatingCall; code: string }[] = [
  { call: 'write', code: 'EIO' },
  { call: 'write', code: 'ENOSPC' },
  { call: 'fdatasync', code: 'EIO' },
  { call: 'rename', code: 'EIO' },
  { call: 'fsyncDir', code: 'EIO' },
  { call: 'create', code: 'ENOSPC' },
];

/** Workloads per case: quick crosses every boundary (segments, chunks, generations, a reopen) one append at a time; full adds a longer one with appends in flight. */
const WORKLOAD_QUICK: Omit<WorkloadShape, 'seed'> = { batches: 24, reopenAfter: 10, inFlight: 1 };
const WORKLOAD_FULL: Omit<WorkloadShape, 'seed'> = { batches: 64, reopenAfter: 24, inFlight: 3 };
/** A batch number no workload reaches, for the appends that probe a failed or reopened store. */
const PROBE_BATCH = 900_000;

interface CaseResult {
  fired: boolean;
  problems: string[];
}

function describeError(error: unknown): string {
  return error instanceof TraceKvError ? `${error.code}: ${error.message}` : `untyped ${String((error as Error)?.stack ?? error)}`;
}

async function runCase(fault: InjectedFault, shape: WorkloadShape, random: () => number, disk: SimulatedDisk): Promise<CaseResult> {
  disk.injectFault(fault);
  const outcome = await runWorkload(disk, shape);
  const fired = disk.callCount(fault.call) >= fault.nth;
  const problems: string[] = [];
  if (outcome.error !== null && !(outcome.error instanceof TraceKvError)) problems.push(`${outcome.stage} threw ${describeError(outcome.error)}`);
  if (fired && outcome.error === null) problems.push('the fault was swallowed: the workload completed as if nothing failed');
  if (outcome.failedStore !== null) problems.push(...(await checkFailedClosed(outcome.failedStore)));
  // Power fails right after the fault: what was acknowledged must already be durable.
  const crashed = SimulatedDisk.afterPowerLoss(disk.image(), random).disk;
  rebootLock(crashed);
  const afterCrash = await reopenAndCheck(crashed, outcome.ledger, 'after the fault and a power loss');
  if (afterCrash !== null) problems.push(afterCrash);
  // Or the fault clears (space freed, disk replaced) and the same process reopens.
  disk.clearFaults();
  const inPlace = await reopenAndCheck(disk, outcome.ledger, 'after the fault cleared');
  if (inPlace !== null) problems.push(inPlace);
  return { fired, problems };
}

/** A store whose append failed must refuse the next one with a typed error, and close without leaking its lock. */
async function checkFailedClosed(store: TraceStore): Promise<string[]> {
  const problems: string[] = [];
  try {
    await store.append(batchFor(PROBE_BATCH));
    problems.push('the store acknowledged an append after a failed one');
  } catch (error) {
    if (!(error instanceof TraceKvError)) problems.push(`an append after the failure threw ${describeError(error)}`);
  }
  try {
    await store.close();
  } catch (error) {
    if (!(error instanceof TraceKvError)) problems.push(`close after the failure threw ${describeError(error)}`);
  }
  return problems;
}

async function reopenAndCheck(disk: SimulatedDisk, ledger: Ledger, when: string): Promise<string | null> {
  let store: TraceStore;
  try {
    store = await TraceStore.open(simStoreOptions(disk));
  } catch (error) {
    return `reopen ${when} failed: ${describeError(error)}`;
  }
  try {
    const checked = await checkStore(store, ledger.at(Number.MAX_SAFE_INTEGER));
    if (checked.problem !== null) return `${when}: ${checked.problem}`;
    await store.append(batchFor(PROBE_BATCH + 1));
    if ((await store.getTrace(traceIdOf(PROBE_BATCH + 1))) === null) return `${when}: a new append is not served`;
    return null;
  } catch (error) {
    return `${when}: ${describeError(error)}`;
  } finally {
    await store.close().catch(() => {});
  }
}

export interface IoErrorOptions extends CampaignOptions {
  /** The disk each case runs on; the campaign's self-test passes one that hides fdatasync errors. */
  makeDisk?: () => SimulatedDisk;
  /** Only these fault kinds (default: all of IO_FAULT_KINDS). */
  kinds?: readonly { call: MutatingCall; code: string }[];
}

export async function runIoErrorCampaign(options: IoErrorOptions): Promise<CampaignResult> {
  const makeDisk = options.makeDisk ?? (() => new SimulatedDisk());
  const started = performance.now();
  const log = options.log ?? (() => {});
  const failures = new FailureLog();
  const shapes = (options.quick ? [WORKLOAD_QUICK] : [WORKLOAD_QUICK, WORKLOAD_FULL]).map((shape): WorkloadShape => ({ ...shape, seed: options.seed }));
  const rng = makeRng(options.seed);
  const counts: Record<string, number> = { cases: 0, faultsFired: 0 };
  for (const [s, shape] of shapes.entries()) {
    for (const kind of options.kinds ?? IO_FAULT_KINDS) {
      for (const persistent of [false, true]) {
        let fired = true;
        let nth = 1;
        for (; fired; nth++) {
          const fault: InjectedFault = { ...kind, nth, persistent };
          const result = await runCase(fault, shape, () => rng.next(), makeDisk());
          fired = result.fired;
          counts.cases!++;
          if (fired) counts.faultsFired!++;
          const label = `workload ${s} ${kind.call} ${kind.code} ${persistent ? 'persistent' : 'once'} at call ${nth}`;
          for (const problem of result.problems) failures.add(`seed ${options.seed} ${label}: ${problem}`);
        }
        const key = `${kind.call}.${kind.code}.${persistent ? 'persistent' : 'once'}`;
        counts[key] = (counts[key] ?? 0) + nth - 2;
        log(`io errors: workload ${s}, ${kind.call} ${kind.code} ${persistent ? 'persistent' : 'once'}: ${nth - 2} failing calls tried, ${failures.count} failures so far`);
      }
    }
  }
  return { campaign: 'io-errors', seed: options.seed, counts, figures: {}, failures: failures.result(), durationMs: performance.now() - started };
}

async function main(): Promise<void> {
  const args = campaignArgs(process.argv.slice(2), 'scripts/reliability/io-errors.ts');
  process.stderr.write(`io-error loop: seed ${args.seed}${args.quick ? ' (quick)' : ''}\n`);
  const result = await runIoErrorCampaign(args);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (result.failures.length > 0) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
