/**
 * The store and workload the in-process campaigns (power loss, I/O errors) run on a SimulatedDisk:
 * small segments, chunks and generations so a few dozen batches cross every boundary, a fake clock,
 * and a workload that records in the Ledger when each batch was sent and acknowledged.
 */
import { INDEX_FLUSH_ENTRIES_MIN, SEGMENT_BYTES_MAX_MIN } from '../../src/constants.js';
import { LOCK_FILE, join } from '../../src/filenames.js';
import type { SimulatedDisk } from './simulated-disk.js';
import { TraceStore, type TraceStoreOptions } from '../../src/index.js';
import { makeRng } from '../../src/workload/rng.js';
import { Ledger } from '../testkit/ledger.js';
import { batchFor } from './ledger.js';

export const STORE_DIR = '/store';
/** The fake clock advances up to twice this per batch, so generations (1 s long here) roll every few batches. */
const CLOCK_STEP_PER_BATCH_MS = 300;
/** A pid above Linux's pid_max (2^22): no live process has it. */
const DEAD_PID = 4_194_305;
/** Where the fake clock starts, and where a reopen after the workload reads it. */
const CLOCK_START_MS = 1_800_000_000_000;
export const CLOCK_AFTER_MS = 1_900_000_000_000;

/** A generation rolls after this many segments' worth of bytes (or a second of fake time). */
const GENERATION_SEGMENTS = 3;

/** The smallest segments and index flushes the options allow, so a few dozen batches cross every boundary; reads inline, no cache. */
export function simStoreOptions(disk: SimulatedDisk, clock: () => number = () => CLOCK_AFTER_MS): TraceStoreOptions {
  return {
    dir: STORE_DIR,
    fileLayer: disk,
    readerThreads: 0,
    readCacheBytesMax: 0,
    segmentBytesMax: SEGMENT_BYTES_MAX_MIN,
    indexFlushEntries: INDEX_FLUSH_ENTRIES_MIN,
    partitions: 2,
    generationHours: 1 / 3600,
    generationBytesMax: GENERATION_SEGMENTS * SEGMENT_BYTES_MAX_MIN,
    clock,
  };
}

/**
 * After a reboot no process survives, so a whole lock naming this process is stale; one process
 * cannot show that by pid, so the lock names a dead one instead. A torn lock stays as it is: the
 * engine must see on its own that it is stale.
 */
export function rebootLock(disk: SimulatedDisk): void {
  const lock = join(STORE_DIR, LOCK_FILE);
  if (disk.exists(lock) && Buffer.from(disk.fileBytes(lock)).toString('latin1') === `${process.pid}\n`) {
    disk.setFileBytes(lock, Buffer.from(`${DEAD_PID}\n`, 'ascii'));
  }
}

export interface WorkloadOutcome {
  ledger: Ledger;
  /** The first error any call raised, or null if the workload completed. */
  error: unknown;
  stage: 'open' | 'append' | 'close' | null;
  /** The store that raised it (still open), when it was an append that failed. */
  failedStore: TraceStore | null;
}

export interface WorkloadShape {
  batches: number;
  /** Close and reopen after this many batches: clean shutdown and reopen are part of the workload. */
  reopenAfter: number;
  /** Appends in flight: 1 replays exactly, more exercise group commit. */
  inFlight: number;
  seed: number;
  /** Called with the store open after the last append, before it closes. */
  beforeClose?: () => void;
}

/** Opens, appends, closes, reopens, appends, closes; stops at the first error and says where. */
export async function runWorkload(disk: SimulatedDisk, shape: WorkloadShape): Promise<WorkloadOutcome> {
  const ledger = new Ledger();
  const rng = makeRng(shape.seed);
  let now = CLOCK_START_MS;
  const clock = () => now;
  let next = 0;
  let firstError: unknown = null;
  const appendUntil = async (store: TraceStore, until: number) => {
    await Promise.all(
      Array.from({ length: shape.inFlight }, async () => {
        while (next < until && firstError === null) {
          const n = next++;
          now += rng.int(CLOCK_STEP_PER_BATCH_MS * 2);
          ledger.sentAt.set(n, disk.mutations);
          try {
            await store.append(batchFor(n));
          } catch (error) {
            firstError ??= error;
            return;
          }
          ledger.ackedAt.set(n, disk.mutations);
        }
      }),
    );
  };
  for (const until of [shape.reopenAfter, shape.batches]) {
    let store: TraceStore;
    try {
      store = await TraceStore.open(simStoreOptions(disk, clock));
    } catch (error) {
      return { ledger, error, stage: 'open', failedStore: null };
    }
    await appendUntil(store, until);
    if (firstError !== null) return { ledger, error: firstError, stage: 'append', failedStore: store };
    if (until === shape.batches) shape.beforeClose?.();
    try {
      await store.close();
    } catch (error) {
      return { ledger, error, stage: 'close', failedStore: null };
    }
  }
  return { ledger, error: null, stage: null, failedStore: null };
}
