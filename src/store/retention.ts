/**
 * Retention (data-format.md §5.2): whole expired generations are dropped by an atomic rename to
 * `.deleting` and a directory removal. Nothing is ever rewritten.
 */
import { DELETING_SUFFIX } from '../filenames.js';
import { ioError } from '../errors.js';
import type { Generation } from './generation.js';
import type { StoreState } from './store-state.js';

const MS_PER_HOUR = 3_600_000;

export function isExpired(generation: Generation, nowMs: number, retentionHours: number): boolean {
  if (retentionHours === 0 || generation.isOpen) return false;
  return generation.meta.closedAtMs + retentionHours * MS_PER_HOUR <= nowMs;
}

/** Drops every expired generation; returns the ids dropped. */
export async function enforceRetention(state: StoreState, rootDir: string): Promise<number[]> {
  const { retentionHours, clock, logger } = state.options;
  const now = clock();
  const dropped: number[] = [];
  for (const generation of [...state.generations]) {
    if (!isExpired(generation, now, retentionHours)) continue;
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
