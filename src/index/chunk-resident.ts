/**
 * Loads and checks the partition table and resident region of an index chunk file (data-format.md
 * §4.3): everything a lookup needs in memory (filters, directories, bucket CRCs, ~2 bytes per
 * entry). Order of checks: the entry counts alone fix the whole layout, so they are bounds-checked
 * against the real file size first; then the region is read and its CRC checked; then every other
 * table field and every directory is checked exactly against that layout.
 */
import { CHUNK_HEADER_BYTES } from '../constants.js';
import { crc32c } from '../codec/crc32c.js';
import { hex32 } from '../codec/little-endian.js';
import { indexCorrupt, ioError } from '../errors.js';
import type { FileLayer } from '../io/file-layer.js';
import { FILTER_BLOCK_WORDS } from './bloom.js';
import {
  HEADER_ENTRY_COUNT_AT,
  HEADER_MAX_START_AT,
  HEADER_MIN_START_AT,
  ROW_ENTRY_COUNT,
  ROW_MAX_START_LO,
  ROW_MIN_START_LO,
  ROW_WORDS,
  type ChunkLayout,
  partitionTableEnd,
  planChunkLayout,
} from './chunk-format.js';
import { type ChunkHeader } from './chunk-header.js';

export interface ResidentRegion {
  /** File bytes [64, entriesStart) as u32 words: row p at word p × 10, file offset x at word (x − 64) / 4. */
  readonly words: Uint32Array;
  readonly partitionMinStartTimes: BigUint64Array;
  readonly partitionMaxStartTimes: BigUint64Array;
  readonly layout: ChunkLayout;
}

const ROW_FIELD_NAMES = ['entryCount', 'bucketCount', 'filterBlockCount', 'residentOffset', 'entriesOffset', 'reserved'];

export function readResidentRegion(fs: FileLayer, fd: number, path: string, fileBytes: number, header: ChunkHeader): ResidentRegion {
  const partitionCount = header.partitionCount;
  const tableEnd = partitionTableEnd(partitionCount);
  if (fileBytes < tableEnd) {
    throw indexCorrupt(path, fileBytes, `file is ${fileBytes} bytes; want at least ${tableEnd} for ${partitionCount} partition rows`);
  }
  const table = new Uint8Array(tableEnd - CHUNK_HEADER_BYTES);
  readExactly(fs, fd, path, table, 0, table.length, CHUNK_HEADER_BYTES);
  const tableWords = new Uint32Array(table.buffer, table.byteOffset, table.length / 4);
  const counts = new Uint32Array(partitionCount);
  for (let p = 0; p < partitionCount; p++) counts[p] = tableWords[p * ROW_WORDS + ROW_ENTRY_COUNT]!;
  const layout = planChunkLayout(counts);
  if (layout.entryCount !== header.entryCount) {
    throw indexCorrupt(path, HEADER_ENTRY_COUNT_AT, `entryCount got ${header.entryCount}; want ${layout.entryCount} (sum over partitions)`);
  }
  if (layout.fileBytes !== fileBytes) {
    throw indexCorrupt(path, Math.min(fileBytes, layout.fileBytes), `file is ${fileBytes} bytes; want ${layout.fileBytes} (end of entries region)`);
  }

  const region = new Uint8Array(layout.entriesStart - CHUNK_HEADER_BYTES);
  region.set(table);
  readExactly(fs, fd, path, region, table.length, region.length - table.length, tableEnd);
  const crcGot = crc32c(region);
  if (crcGot !== header.residentCrc) {
    throw indexCorrupt(path, CHUNK_HEADER_BYTES, `CRC of [64, ${layout.entriesStart}) got ${hex32(crcGot)}; want ${hex32(header.residentCrc)} (header residentCrc)`);
  }
  const words = new Uint32Array(region.buffer, region.byteOffset, region.length / 4);
  const view = new DataView(region.buffer, region.byteOffset, region.length);
  const partitionMinStartTimes = new BigUint64Array(partitionCount);
  const partitionMaxStartTimes = new BigUint64Array(partitionCount);
  for (let p = 0; p < partitionCount; p++) {
    partitionMinStartTimes[p] = view.getBigUint64((p * ROW_WORDS + ROW_MIN_START_LO) * 4, true);
    partitionMaxStartTimes[p] = view.getBigUint64((p * ROW_WORDS + ROW_MAX_START_LO) * 4, true);
    checkRow(path, words, layout, p, partitionMinStartTimes[p]!, partitionMaxStartTimes[p]!);
    if (counts[p] !== 0) checkDirectory(path, words, layout, p);
  }
  checkTimeRange(path, header, counts, partitionMinStartTimes, partitionMaxStartTimes);
  return { words, partitionMinStartTimes, partitionMaxStartTimes, layout };
}

/** Reads exactly `length` bytes or throws: a short read means the file is shorter than its layout. */
export function readExactly(
  fs: FileLayer,
  fd: number,
  path: string,
  into: Uint8Array,
  offset: number,
  length: number,
  position: number,
): void {
  let got: number;
  try {
    got = fs.pread(fd, into, offset, length, position);
  } catch (error) {
    throw ioError(path, 'read', error);
  }
  if (got !== length) throw indexCorrupt(path, position + got, `read ${got} bytes at ${position}; want ${length}`);
}

function checkRow(path: string, words: Uint32Array, layout: ChunkLayout, p: number, minStart: bigint, maxStart: bigint): void {
  const row = p * ROW_WORDS;
  const rowAt = CHUNK_HEADER_BYTES + row * 4;
  const empty = words[row + ROW_ENTRY_COUNT] === 0;
  const want = [
    words[row + ROW_ENTRY_COUNT]!,
    layout.bucketCounts[p]!,
    layout.filterBlockCounts[p]!,
    layout.residentOffsets[p]!,
    layout.entriesOffsets[p]!,
    0,
  ];
  for (let field = 1; field < want.length; field++) {
    const got = words[row + field]!;
    if (got !== want[field]) {
      const why = empty ? ' (empty partition)' : '';
      throw indexCorrupt(path, rowAt + field * 4, `partition ${p} ${ROW_FIELD_NAMES[field]} got ${got}; want ${want[field]}${why}`);
    }
  }
  if (empty && (minStart !== 0n || maxStart !== 0n)) {
    throw indexCorrupt(path, rowAt + ROW_MIN_START_LO * 4, `partition ${p} time range got ${minStart}..${maxStart}; want 0..0 (empty partition)`);
  }
  if (!empty && minStart > maxStart) {
    throw indexCorrupt(path, rowAt + ROW_MAX_START_LO * 4, `partition ${p} maxStartTimeUnixNano got ${maxStart}; want ≥ min ${minStart}`);
  }
}

/** dir[0] = 0, non-decreasing, dir[bucketCount] = entryCount; an empty bucket's CRC is that of no bytes, 0. */
function checkDirectory(path: string, words: Uint32Array, layout: ChunkLayout, p: number): void {
  const buckets = layout.bucketCounts[p]!;
  const entries = words[p * ROW_WORDS + ROW_ENTRY_COUNT]!;
  const directoryAt = (layout.residentOffsets[p]! - CHUNK_HEADER_BYTES) / 4 + layout.filterBlockCounts[p]! * FILTER_BLOCK_WORDS;
  const crcAt = directoryAt + buckets + 1;
  const fileOffsetOf = (word: number): number => CHUNK_HEADER_BYTES + word * 4;
  if (words[directoryAt] !== 0) {
    throw indexCorrupt(path, fileOffsetOf(directoryAt), `partition ${p} dir[0] got ${words[directoryAt]}; want 0`);
  }
  for (let b = 0; b < buckets; b++) {
    const first = words[directoryAt + b]!;
    const end = words[directoryAt + b + 1]!;
    if (end < first) {
      throw indexCorrupt(path, fileOffsetOf(directoryAt + b + 1), `partition ${p} dir[${b + 1}] got ${end}; want ≥ dir[${b}] = ${first}`);
    }
    if (end === first && words[crcAt + b] !== 0) {
      throw indexCorrupt(path, fileOffsetOf(crcAt + b), `partition ${p} empty bucket ${b} CRC got ${hex32(words[crcAt + b]!)}; want 0`);
    }
  }
  if (words[directoryAt + buckets] !== entries) {
    throw indexCorrupt(path, fileOffsetOf(directoryAt + buckets), `partition ${p} dir[${buckets}] got ${words[directoryAt + buckets]}; want entryCount ${entries}`);
  }
}

/** The header's range is over all covered records; every record has entries, so it is the partitions' union. */
function checkTimeRange(path: string, header: ChunkHeader, counts: Uint32Array, mins: BigUint64Array, maxes: BigUint64Array): void {
  if (header.entryCount === 0) return;
  let min = mins[0]!;
  let max = 0n;
  let seen = false;
  for (let p = 0; p < counts.length; p++) {
    if (counts[p] === 0) continue;
    if (!seen || mins[p]! < min) min = mins[p]!;
    if (maxes[p]! > max) max = maxes[p]!;
    seen = true;
  }
  if (header.minStartTimeUnixNano !== min) {
    throw indexCorrupt(path, HEADER_MIN_START_AT, `minStartTimeUnixNano got ${header.minStartTimeUnixNano}; want ${min} (min over partitions)`);
  }
  if (header.maxStartTimeUnixNano !== max) {
    throw indexCorrupt(path, HEADER_MAX_START_AT, `maxStartTimeUnixNano got ${header.maxStartTimeUnixNano}; want ${max} (max over partitions)`);
  }
}
