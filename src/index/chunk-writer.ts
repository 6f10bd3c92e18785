/**
 * Seals a frozen index tail into the bytes of one chunk file (data-format.md §4.3), then writes
 * them durably with write-new, fsync, rename, fsync the directory.
 *
 * Entries are grouped by (partition, bucket) with a counting sort: one pass counts bucket sizes
 * (and sets filter bits), a prefix sum gives each bucket's first slot, a second pass copies each
 * entry to its bucket's next slot. Both passes run in arrival order, so arrival order survives
 * inside a bucket, and nothing is compared or sorted.
 */
import { join } from 'node:path';
import { CHUNK_HEADER_BYTES, FILE_OFFSET_MAX, INDEX_ENTRY_BYTES } from '../constants.js';
import { crc32c } from '../codec/crc32c.js';
import { assert } from '../errors.js';
import type { FileLayer } from '../io/file-layer.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { writeChunkHeader } from './chunk-header.js';
import { isU32 } from '../codec/little-endian.js';
import { FILTER_BLOCK_WORDS, filterInsert } from './bloom.js';
import {
  ROW_BUCKET_COUNT,
  ROW_ENTRIES_OFFSET,
  ROW_ENTRY_COUNT,
  ROW_FILTER_BLOCK_COUNT,
  ROW_MAX_START_LO,
  ROW_MIN_START_LO,
  ROW_RESIDENT_OFFSET,
  ROW_WORDS,
  type ChunkLayout,
  type ChunkPosition,
  planChunkLayout,
} from './chunk-format.js';
import { ENTRY_WORDS } from './index-entry.js';
import type { IndexTail, TailColumns } from './index-tail.js';

export interface ChunkMeta {
  readonly generationId: number;
  readonly chunkSeq: number;
  /** Coverage start, inclusive. */
  readonly from: ChunkPosition;
  /** Coverage end, exclusive: the end offset of the last covered record. */
  readonly to: ChunkPosition;
}

/** Freezes the tail (if the caller has not) and returns the whole chunk file. */
export function buildChunkFile(tail: IndexTail, meta: ChunkMeta): Uint8Array {
  checkMeta(meta);
  tail.freeze();
  const columns = tail.sealedColumns();
  const layout = planChunkLayout(columns.partitionEntryCounts);
  assert(layout.entryCount === columns.entryCount, `partition counts sum to ${layout.entryCount}, tail has ${columns.entryCount}`);
  assert(layout.fileBytes <= FILE_OFFSET_MAX, `chunk file of ${layout.fileBytes} bytes`);
  const bytes = new Uint8Array(layout.fileBytes);
  // Every section starts at a multiple of 4 (64 + 40P, then whole words), so one word view fits all.
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const bucketStarts = placeEntries(columns, layout, words);
  writeDirectoriesAndCrcs(columns, layout, bucketStarts, bytes, words);
  writePartitionTable(columns, layout, bytes, words);
  writeHeader(columns, layout, meta, bytes);
  return bytes;
}

/**
 * Writes `<fileName>.tmp` (create-exclusive), fdatasyncs and closes it, renames it to
 * `<fileName>` and fsyncs the directory. On failure the tmp file is removed when it is ours.
 */
export async function writeChunkFile(fs: FileLayer, dirPath: string, fileName: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomic(fs, join(dirPath, fileName), bytes);
}

/** Sets filter bits and copies entries into bucket order; returns each global bucket's first entry (+ end). */
function placeEntries(columns: TailColumns, layout: ChunkLayout, words: Uint32Array): Uint32Array {
  const { partitionCount, entryCount, entryWords, entryPartitions, entryBucketHashes, entryBlockHashes } = columns;
  // Buckets are numbered globally in file order (partition, then bucket), so a prefix sum over
  // the global numbering directly gives positions in the entries region.
  const firstBucketOf = new Uint32Array(partitionCount);
  let buckets = 0;
  for (let p = 0; p < partitionCount; p++) {
    firstBucketOf[p] = buckets;
    if (columns.partitionEntryCounts[p] !== 0) buckets += layout.bucketCounts[p]!;
  }
  const filterWordAt = new Uint32Array(partitionCount);
  for (let p = 0; p < partitionCount; p++) filterWordAt[p] = layout.residentOffsets[p]! / 4;

  const bucketStarts = new Uint32Array(layout.totalBuckets + 1);
  const entryBuckets = new Uint32Array(entryCount);
  for (let e = 0; e < entryCount; e++) {
    const p = entryPartitions[e]!;
    const h2 = entryBucketHashes[e]!;
    const bucket = firstBucketOf[p]! + (h2 % layout.bucketCounts[p]!);
    entryBuckets[e] = bucket;
    bucketStarts[bucket + 1]!++;
    filterInsert(words, filterWordAt[p]!, layout.filterBlockCounts[p]!, h2, entryBlockHashes[e]!);
  }
  for (let b = 1; b <= layout.totalBuckets; b++) bucketStarts[b]! += bucketStarts[b - 1]!;

  const cursors = bucketStarts.slice(0, layout.totalBuckets);
  const entriesWordAt = layout.entriesStart / 4;
  for (let e = 0; e < entryCount; e++) {
    const to = entriesWordAt + cursors[entryBuckets[e]!]!++ * ENTRY_WORDS;
    const from = e * ENTRY_WORDS;
    for (let w = 0; w < ENTRY_WORDS; w++) words[to + w] = entryWords[from + w]!;
  }
  return bucketStarts;
}

function writeDirectoriesAndCrcs(
  columns: TailColumns,
  layout: ChunkLayout,
  bucketStarts: Uint32Array,
  bytes: Uint8Array,
  words: Uint32Array,
): void {
  let globalBucket = 0;
  for (let p = 0; p < columns.partitionCount; p++) {
    if (columns.partitionEntryCounts[p] === 0) continue;
    const buckets = layout.bucketCounts[p]!;
    const directoryAt = layout.residentOffsets[p]! / 4 + layout.filterBlockCounts[p]! * FILTER_BLOCK_WORDS;
    const crcAt = directoryAt + buckets + 1;
    const partitionFirst = bucketStarts[globalBucket]!;
    for (let b = 0; b <= buckets; b++) words[directoryAt + b] = bucketStarts[globalBucket + b]! - partitionFirst;
    for (let b = 0; b < buckets; b++, globalBucket++) {
      const first = bucketStarts[globalBucket]!;
      const end = bucketStarts[globalBucket + 1]!;
      // CRC of no bytes is 0; skip the call for empty buckets.
      words[crcAt + b] =
        first === end ? 0 : crc32c(bytes, layout.entriesStart + first * INDEX_ENTRY_BYTES, layout.entriesStart + end * INDEX_ENTRY_BYTES);
    }
  }
}

function writePartitionTable(columns: TailColumns, layout: ChunkLayout, bytes: Uint8Array, words: Uint32Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let p = 0; p < columns.partitionCount; p++) {
    const entries = columns.partitionEntryCounts[p]!;
    if (entries === 0) continue; // An empty partition's row stays all zero (§4.3).
    const row = CHUNK_HEADER_BYTES / 4 + p * ROW_WORDS;
    words[row + ROW_ENTRY_COUNT] = entries;
    words[row + ROW_BUCKET_COUNT] = layout.bucketCounts[p]!;
    words[row + ROW_FILTER_BLOCK_COUNT] = layout.filterBlockCounts[p]!;
    words[row + ROW_RESIDENT_OFFSET] = layout.residentOffsets[p]!;
    words[row + ROW_ENTRIES_OFFSET] = layout.entriesOffsets[p]!;
    view.setBigUint64((row + ROW_MIN_START_LO) * 4, columns.partitionMinStartTimes[p]!, true);
    view.setBigUint64((row + ROW_MAX_START_LO) * 4, columns.partitionMaxStartTimes[p]!, true);
  }
}

function writeHeader(columns: TailColumns, layout: ChunkLayout, meta: ChunkMeta, bytes: Uint8Array): void {
  writeChunkHeader(bytes, {
    generationId: meta.generationId,
    chunkSeq: meta.chunkSeq,
    partitionCount: columns.partitionCount,
    entryCount: columns.entryCount,
    from: meta.from,
    to: meta.to,
    // An empty tail still reports UNIX_NANO_MAX / 0, exactly the §4.3 values for entryCount = 0.
    minStartTimeUnixNano: columns.minStartTimeUnixNano,
    maxStartTimeUnixNano: columns.maxStartTimeUnixNano,
    residentCrc: crc32c(bytes, CHUNK_HEADER_BYTES, layout.entriesStart),
  });
}

function checkMeta(meta: ChunkMeta): void {
  const { generationId, chunkSeq, from, to } = meta;
  assert(isU32(generationId) && isU32(chunkSeq) && chunkSeq >= 1, `chunk meta generation ${generationId} seq ${chunkSeq}`);
  assert(isU32(from.segmentId) && isU32(from.fileOffset) && isU32(to.segmentId) && isU32(to.fileOffset), 'chunk coverage not u32');
  assert(
    from.segmentId < to.segmentId || (from.segmentId === to.segmentId && from.fileOffset <= to.fileOffset),
    `chunk coverage from ${from.segmentId}/${from.fileOffset} after to ${to.segmentId}/${to.fileOffset}`,
  );
}

