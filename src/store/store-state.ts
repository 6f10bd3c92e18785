/**
 * The state an open store shares between its write path, read path, recovery and retention. The
 * read path sees it only as an `IndexLookup`.
 */
import type { StoreStats } from '../api/index.js';
import { TraceKvError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import type { IndexLookup, IndexedGeneration } from '../reader/index-lookup.js';
import type { Generation } from './generation.js';

/** The counters stats() reports since open, kept here as the write path and retention move them. */
export type StoreCounters = Pick<
  StoreStats,
  'appends' | 'appendedSpans' | 'appendedRawBytes' | 'appendedStoredBytes' | 'groupCommits' | 'chunksSealed' | 'generationsDropped'
>;

export class StoreState implements IndexLookup {
  /** Ascending by id; the last one takes writes while it is open. */
  generations: Generation[] = [];
  /** Set once a write or sync fails: the store then refuses every write (fsyncgate). */
  failure: TraceKvError | null = null;
  /** Counts retention drops; readers seeing a new value close fds of deleted segments. */
  retentionEpoch = 0;
  closed = false;
  readonly counters: StoreCounters = {
    appends: 0,
    appendedSpans: 0,
    appendedRawBytes: 0,
    appendedStoredBytes: 0,
    groupCommits: 0,
    chunksSealed: 0,
    generationsDropped: 0,
  };

  constructor(readonly options: ResolvedOptions) {}

  get fs() {
    return this.options.fileLayer;
  }

  get activeGeneration(): Generation | null {
    const last = this.generations[this.generations.length - 1];
    return last !== undefined && last.isOpen ? last : null;
  }

  /** Records the first fatal error; later calls keep the original cause. */
  fail(error: unknown): TraceKvError {
    if (this.failure === null) {
      const cause = error instanceof TraceKvError ? `${error.code}: ${error.message}` : String(error);
      this.failure = new TraceKvError('ERR_STORE_FAILED', `store failed and takes no more writes: ${cause}`, { cause: error });
      this.options.logger({ event: 'store_failed', error: cause });
    }
    return this.failure;
  }

  checkWritable(): void {
    if (this.closed) throw new TraceKvError('ERR_STORE_CLOSED', 'the store is closed');
    if (this.options.readOnly) throw new TraceKvError('ERR_READ_ONLY', 'the store was opened read-only');
    if (this.failure !== null) throw this.failure;
  }

  /** A snapshot for one read to plan over; the list itself stays the store's to change. */
  readableGenerations(): readonly IndexedGeneration[] {
    return [...this.generations];
  }

  checkOpen(): void {
    if (this.closed) throw new TraceKvError('ERR_STORE_CLOSED', 'the store is closed');
  }
}
