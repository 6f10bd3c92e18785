/**
 * A reusable list of index hits (record locations), one typed-array column per field of an index
 * entry (data-format.md §4.2) minus the trace id. Lookups append to it; the caller clears it
 * between queries, so a steady stream of lookups allocates nothing once the columns have grown.
 */
import { assert } from '../errors.js';

/** Enough for a trace spread over a few dozen records before the first growth. */
const LOCATION_LIST_INITIAL_CAPACITY = 64;

export class LocationList {
  segmentIds: Uint32Array;
  fileOffsets: Uint32Array;
  recordLengths: Uint32Array;
  spanCounts: Uint16Array;
  length = 0;

  constructor(initialCapacity = LOCATION_LIST_INITIAL_CAPACITY) {
    assert(Number.isInteger(initialCapacity) && initialCapacity >= 1, `LocationList capacity ${initialCapacity}`);
    this.segmentIds = new Uint32Array(initialCapacity);
    this.fileOffsets = new Uint32Array(initialCapacity);
    this.recordLengths = new Uint32Array(initialCapacity);
    this.spanCounts = new Uint16Array(initialCapacity);
  }

  get capacity(): number {
    return this.segmentIds.length;
  }

  push(segmentId: number, fileOffset: number, recordLength: number, spanCount: number): void {
    const i = this.length;
    if (i === this.segmentIds.length) this.grow();
    this.segmentIds[i] = segmentId;
    this.fileOffsets[i] = fileOffset;
    this.recordLengths[i] = recordLength;
    this.spanCounts[i] = spanCount;
    this.length = i + 1;
  }

  clear(): void {
    this.length = 0;
  }

  /** Reverses hits [start, length) in place: the tail walks a trace's entries newest first. */
  reverseFrom(start: number): void {
    if (!(start >= 0 && start <= this.length)) assert(false, `reverseFrom(${start}) with length ${this.length}`);
    for (let i = start, j = this.length - 1; i < j; i++, j--) {
      swap(this.segmentIds, i, j);
      swap(this.fileOffsets, i, j);
      swap(this.recordLengths, i, j);
      swap(this.spanCounts, i, j);
    }
  }

  private grow(): void {
    const capacity = this.segmentIds.length * 2;
    this.segmentIds = grown(new Uint32Array(capacity), this.segmentIds);
    this.fileOffsets = grown(new Uint32Array(capacity), this.fileOffsets);
    this.recordLengths = grown(new Uint32Array(capacity), this.recordLengths);
    this.spanCounts = grown(new Uint16Array(capacity), this.spanCounts);
  }
}

function grown<T extends Uint32Array | Uint16Array>(into: T, from: T): T {
  into.set(from);
  return into;
}

function swap(column: Uint32Array | Uint16Array, i: number, j: number): void {
  const held = column[i]!;
  column[i] = column[j]!;
  column[j] = held;
}
