/**
 * Retention (data-format.md §5.2): whole expired generations are dropped by an atomic rename to
 * `.deleting` and a directory removal. Nothing is ever rewritten.
 *
 * Runs are started from three places (the minute timer, every generation roll, the public call)
 * and each awaits a directory fsync per generation, so without a guard two runs interleave: the
 * second renames a directory the first already moved, gets ENOENT, and fails the store. `Retention`
 * lets one run go at a time; a call that arrives during a run shares it.
 */
import { DELETING_SUFFIX } from '../filenames.js';
import { assert, ioError } from '../errors.js';
import type { Generation } from './generation.js';
import type { StoreState } from './store-state.js';

const MS_PER_HOUR = 3_600_000;

export function isExpired(generation: Generation, nowMs: number, retentionHours: number): boolean {
  if (retentionHours === 0 || generation.isOpen) return false;
  return generation.meta.closedAtMs + retentionHours * MS_PER_HOUR <= nowMs;
}

export class Retention {
  private running: Promise<number[]> | null = null;

  constructor(
    private readonly state: StoreState,
    private readonly rootDir: string,
  ) {}

  /**
   * Drops every expired generation; returns the ids dropped. A call during a run gets that run's
   * answer: the run read the clock a moment earlier, and whatever expired since goes at the next
   * run (the next roll, public call or minute tick).
   */
  run(): Promise<number[]> {
    this.running ??= enforceRetention(this.state, this.rootDir).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Resolves once no run is in flight (for close: the lock must outlive every rename). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }
}

/** Drops every expired generation; returns the ids dropped. One run at a time: see `Retention`. */
async function enforceRetention(state: StoreState, rootDir: string): Promise<number[]> {
  const { retentionHours, clock, logger } = state.options;
  const now = clock();
  const dropped: number[] = [];
  for (const generation of [...state.generations]) {
    if (!isExpired(generation, now, retentionHours)) continue;
    assert(state.generations.includes(generation), `generation ${generation.id} dropped by a second retention run`);
    // Readers find the generation gone from the list before its files go away.
    state.generations = state.generations.filter((g) => g !== generation);
    generation.closeFiles();
    const deletingPath = generation.dirPath + DELETING_SUFFIX;
    try {
      state.fs.rename(generation.dirPath, deletingPath);
      await state.fs.fsyncDir(rootDir);
      state.fs.removeTree(deletingPath);
    } catch (error) {
      throw ioError(generation.dirPath, 'drop expired generation', error);
    }
    state.counters.generationsDropped++;
    state.retentionEpoch++;
    dropped.push(generation.id);
    logger({ event: 'generation_dropped', generationId: generation.id, closedAtMs: generation.meta.closedAtMs });
  }
  return dropped;
}
