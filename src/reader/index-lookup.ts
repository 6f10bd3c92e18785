/**
 * What the read path needs of a store, and no more: the generations to search, each with its time
 * range, its index lookup and its segment files. The store implements it; the reader never sees
 * the store's own state, so the arrow points one way (store → reader).
 */
import type { TimeBounds } from '../api/index.js';
import type { LocationList } from '../index/location-list.js';

/** One generation as a read sees it. */
export interface IndexedGeneration {
  readonly id: number;
  /** Whether spans within `bounds` may be stored here (null: no bounds), from the generation's start-time range. */
  mayHold(bounds: TimeBounds | null): boolean;
  /** Appends every index hit for the trace to `out`: chunks first, then the tails, in arrival order. */
  lookup(traceId: Uint8Array, hashes: Uint32Array, bounds: TimeBounds | null, out: LocationList): void;
  segmentPath(segmentId: number): string;
}

export interface IndexLookup {
  /** Throws ERR_STORE_CLOSED once the store is closed. */
  checkOpen(): void;
  /**
   * The generations to search, ascending by id: a snapshot, so a retention drop during the read
   * does not change what this read planned.
   */
  readableGenerations(): readonly IndexedGeneration[];
  /** Counts retention drops; readers seeing a new value close their fds of deleted segments. */
  readonly retentionEpoch: number;
}
