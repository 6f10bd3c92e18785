/**
 * Byte positions of the index chunk file (data-format.md §4.3) and the layout arithmetic that the
 * writer follows and the reader checks exactly. Keeping both sides on one planner means a writer
 * change cannot drift from what the reader accepts.
 */
import { BUCKET_ENTRIES_TARGET, CHUNK_HEADER_BYTES, CHUNK_PARTITION_ENTRY_BYTES, INDEX_ENTRY_BYTES } from '../constants.js';
import { FILTER_BLOCK_WORDS, filterBlockCountFor } from './bloom.js';

/** A position in a generation (data-format.md §1): ordered by segmentId, then fileOffset. */
export interface ChunkPosition {
  readonly segmentId: number;
  readonly fileOffset: number;
}

// Header fields (byte offsets).
export const HEADER_MAGIC_AT = 0;
export const HEADER_VERSION_AT = 4;
export const HEADER_FLAGS_AT = 6;
export const HEADER_GENERATION_ID_AT = 8;
export const HEADER_CHUNK_SEQ_AT = 12;
export const HEADER_PARTITION_COUNT_AT = 16;
export const HEADER_ENTRY_COUNT_AT = 20;
export const HEADER_FROM_SEGMENT_ID_AT = 24;
export const HEADER_FROM_FILE_OFFSET_AT = 28;
export const HEADER_TO_SEGMENT_ID_AT = 32;
export const HEADER_TO_FILE_OFFSET_AT = 36;
export const HEADER_MIN_START_AT = 40;
export const HEADER_MAX_START_AT = 48;
export const HEADER_RESIDENT_CRC_AT = 56;
export const HEADER_CRC_AT = 60;

// Partition table row fields, as u32 word indices within a 40-byte row (×4 for the byte offset).
export const ROW_WORDS = CHUNK_PARTITION_ENTRY_BYTES / 4;
export const ROW_ENTRY_COUNT = 0;
export const ROW_BUCKET_COUNT = 1;
export const ROW_FILTER_BLOCK_COUNT = 2;
export const ROW_RESIDENT_OFFSET = 3;
export const ROW_ENTRIES_OFFSET = 4;
export const ROW_RESERVED = 5;
/** u64 as two words, low first (little-endian). */
export const ROW_MIN_START_LO = 6;
export const ROW_MAX_START_LO = 8;

/** `max(1, ceil(entryCount / 8))`: the bucketCount rule of §4.3. */
export function bucketCountFor(entryCount: number): number {
  return Math.max(1, Math.ceil(entryCount / BUCKET_ENTRIES_TARGET));
}

/** u32 words of one partition's resident part: filter, directory (buckets + 1), bucket CRCs. */
export function residentWordsFor(bucketCount: number, filterBlockCount: number): number {
  return filterBlockCount * FILTER_BLOCK_WORDS + bucketCount + 1 + bucketCount;
}

export function partitionTableEnd(partitionCount: number): number {
  return CHUNK_HEADER_BYTES + partitionCount * CHUNK_PARTITION_ENTRY_BYTES;
}

/**
 * Where everything goes for the given per-partition entry counts. Offsets are Float64Array, not
 * Uint32Array: on the read side a corrupt table can make them pass 2^32, and a wrapped value could
 * compare equal by accident.
 */
export interface ChunkLayout {
  readonly bucketCounts: Uint32Array;
  readonly filterBlockCounts: Uint32Array;
  readonly residentOffsets: Float64Array;
  readonly entriesOffsets: Float64Array;
  /** First byte of the entries region (= end of the resident region). */
  readonly entriesStart: number;
  readonly entryCount: number;
  readonly fileBytes: number;
  /** Buckets over all non-empty partitions. */
  readonly totalBuckets: number;
}

export function planChunkLayout(partitionEntryCounts: ArrayLike<number>): ChunkLayout {
  const partitionCount = partitionEntryCounts.length;
  const bucketCounts = new Uint32Array(partitionCount);
  const filterBlockCounts = new Uint32Array(partitionCount);
  const residentOffsets = new Float64Array(partitionCount);
  const entriesOffsets = new Float64Array(partitionCount);
  let residentAt = partitionTableEnd(partitionCount);
  let entryCount = 0;
  let totalBuckets = 0;
  for (let p = 0; p < partitionCount; p++) {
    const entries = partitionEntryCounts[p]!;
    if (entries === 0) continue;
    const buckets = bucketCountFor(entries);
    const blocks = filterBlockCountFor(entries);
    bucketCounts[p] = buckets;
    filterBlockCounts[p] = blocks;
    residentOffsets[p] = residentAt;
    residentAt += residentWordsFor(buckets, blocks) * 4;
    entryCount += entries;
    totalBuckets += buckets;
  }
  let entriesAt = residentAt;
  for (let p = 0; p < partitionCount; p++) {
    const entries = partitionEntryCounts[p]!;
    if (entries === 0) continue;
    entriesOffsets[p] = entriesAt;
    entriesAt += entries * INDEX_ENTRY_BYTES;
  }
  return {
    bucketCounts,
    filterBlockCounts,
    residentOffsets,
    entriesOffsets,
    entriesStart: residentAt,
    entryCount,
    fileBytes: entriesAt,
    totalBuckets,
  };
}
