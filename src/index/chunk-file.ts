/**
 * A sealed index chunk file (data-format.md §4.3): header, partition table and resident region
 * (filters, directories, bucket CRCs) in memory, entries on disk behind an open fd.
 *
 * A lookup costs one filter probe per non-empty partition it is asked about, and on a filter hit
 * one pread of one bucket (~8 entries, ~256 bytes) into a scratch buffer, a CRC over it and a
 * word-compare per entry. Nothing is allocated per entry.
 */
import { CHUNK_HEADER_BYTES, INDEX_ENTRY_BYTES, RECORD_HEADER_BYTES } from '../constants.js';
import { crc32c } from '../codec/crc32c.js';
import { hex32 } from '../codec/little-endian.js';
import { traceHash } from '../codec/trace-hash.js';
import { assert, indexCorrupt, ioError } from '../errors.js';
import { openFile, type FileLayer, sizeOfOpenFile } from '../io/file-layer.js';
import { FILTER_BLOCK_WORDS, filterProbe } from './bloom.js';
import {
  ROW_BUCKET_COUNT,
  ROW_ENTRIES_OFFSET,
  ROW_ENTRY_COUNT,
  ROW_FILTER_BLOCK_COUNT,
  ROW_RESIDENT_OFFSET,
  ROW_WORDS,
  type ChunkPosition,
} from './chunk-format.js';
import { type ChunkExpectation, type ChunkHeader, decodeChunkHeader } from './chunk-header.js';
import { type ResidentRegion, readExactly, readResidentRegion } from './chunk-resident.js';
import {
  ENTRY_FILE_OFFSET_WORD,
  ENTRY_RECORD_LENGTH_WORD,
  ENTRY_SEGMENT_ID_WORD,
  ENTRY_SPAN_COUNT_FLAGS_WORD,
  ENTRY_WORDS,
  SPAN_COUNT_MAX,
  entryProblem,
  readWordLE,
} from './index-entry.js';
import type { LocationList } from './location-list.js';
import type { TimeBounds } from '../api/index.js';

/** A bucket averages 8 entries (256 B); 4 KiB covers skewed buckets before any growth. */
const BUCKET_SCRATCH_BYTES_INITIAL = 4096;

/**
 * Bucket sizes (in entries) whose exact-length view of the scratch is kept. Buckets hold ~8
 * entries; a bigger one (a skewed chunk) just allocates a view per read.
 */
const BUCKET_VIEWS_ENTRIES_MAX = 256;

// One scratch for every ChunkFile on this thread: lookups are synchronous, so two never overlap.
let bucketScratch = Buffer.allocUnsafeSlow(BUCKET_SCRATCH_BYTES_INITIAL);
let bucketScratchWords = wordsOf(bucketScratch);
// crc32c takes a whole Buffer without wrapping it, but a subarray would be a new object per read;
// views of each bucket length are made once and reused, so a lookup allocates nothing.
let bucketViews: Buffer[] = [];

export class ChunkFile {
  readonly path: string;
  readonly fileBytes: number;
  private readonly fs: FileLayer;
  private fd: number;
  private readonly header: ChunkHeader;
  private readonly resident: Uint32Array;
  private readonly partitionMinStartTimes: BigUint64Array;
  private readonly partitionMaxStartTimes: BigUint64Array;

  private constructor(fs: FileLayer, path: string, fd: number, fileBytes: number, header: ChunkHeader, region: ResidentRegion) {
    this.fs = fs;
    this.path = path;
    this.fd = fd;
    this.fileBytes = fileBytes;
    this.header = header;
    this.resident = region.words;
    this.partitionMinStartTimes = region.partitionMinStartTimes;
    this.partitionMaxStartTimes = region.partitionMaxStartTimes;
  }

  /** Reads and checks header, partition table and resident region; keeps the fd for lookups. */
  static open(fs: FileLayer, path: string, expected: ChunkExpectation): ChunkFile {
    const fd = openFile(fs, path, 'read');
    try {
      const fileBytes = sizeOfOpenFile(fs, fd, path);
      if (fileBytes < CHUNK_HEADER_BYTES) {
        throw indexCorrupt(path, fileBytes, `file is ${fileBytes} bytes; want at least ${CHUNK_HEADER_BYTES} for the header`);
      }
      const headerBytes = new Uint8Array(CHUNK_HEADER_BYTES);
      readExactly(fs, fd, path, headerBytes, 0, CHUNK_HEADER_BYTES, 0);
      const header = decodeChunkHeader(path, headerBytes, expected);
      const region = readResidentRegion(fs, fd, path, fileBytes, header);
      return new ChunkFile(fs, path, fd, fileBytes, header, region);
    } catch (error) {
      try {
        fs.close(fd);
      } catch {
        // The open already failed; that error is the one to report.
      }
      throw error;
    }
  }

  get generationId(): number {
    return this.header.generationId;
  }
  get chunkSeq(): number {
    return this.header.chunkSeq;
  }
  get partitionCount(): number {
    return this.header.partitionCount;
  }
  get entryCount(): number {
    return this.header.entryCount;
  }
  /** Coverage start, inclusive. */
  get from(): ChunkPosition {
    return this.header.from;
  }
  /** Coverage end, exclusive. */
  get to(): ChunkPosition {
    return this.header.to;
  }
  get minStartTimeUnixNano(): bigint {
    return this.header.minStartTimeUnixNano;
  }
  get maxStartTimeUnixNano(): bigint {
    return this.header.maxStartTimeUnixNano;
  }
  /** Memory held for lookups: partition table, resident region and per-partition time bounds. */
  get residentBytes(): number {
    return this.resident.byteLength + this.partitionMinStartTimes.byteLength + this.partitionMaxStartTimes.byteLength;
  }

  /**
   * Appends the trace's entries in this chunk to `out`, in arrival order. `hashes` is traceHash
   * of the id and `partition` is h1 mod P (computed once by the caller for all chunks). With
   * `bounds`, a partition whose records all started outside [start, end] is skipped.
   */
  lookup(
    traceId: Uint8Array,
    at: number,
    hashes: Uint32Array,
    partition: number,
    bounds: TimeBounds | null,
    out: LocationList,
  ): void {
    // Messages are built only on failure: this runs for every chunk of every lookup.
    if (this.fd === -1) assert(false, `lookup on closed chunk ${this.path}`);
    if (partition !== hashes[0]! % this.header.partitionCount) assert(false, `partition ${partition} is not h1 mod ${this.header.partitionCount}`);
    const resident = this.resident;
    const row = partition * ROW_WORDS;
    if (resident[row + ROW_ENTRY_COUNT] === 0) return;
    if (
      bounds !== null &&
      (this.partitionMinStartTimes[partition]! > bounds.endTimeUnixNano || this.partitionMaxStartTimes[partition]! < bounds.startTimeUnixNano)
    ) {
      return;
    }
    const h2 = hashes[1]!;
    const blocks = resident[row + ROW_FILTER_BLOCK_COUNT]!;
    const filterAt = (resident[row + ROW_RESIDENT_OFFSET]! - CHUNK_HEADER_BYTES) >>> 2;
    if (!filterProbe(resident, filterAt, blocks, h2 | 0, hashes[2]! | 0)) return;
    const buckets = resident[row + ROW_BUCKET_COUNT]!;
    const bucket = h2 % buckets;
    const directoryAt = filterAt + blocks * FILTER_BLOCK_WORDS;
    const first = resident[directoryAt + bucket]!;
    const end = resident[directoryAt + bucket + 1]!;
    if (first === end) return; // A filter false positive landing on an empty bucket.
    const position = resident[row + ROW_ENTRIES_OFFSET]! + first * INDEX_ENTRY_BYTES;
    const length = (end - first) * INDEX_ENTRY_BYTES;
    this.readBucket(position, length, directoryAt + buckets + 1 + bucket, partition, bucket);

    const words = bucketScratchWords;
    const w0 = readWordLE(traceId, at);
    const w1 = readWordLE(traceId, at + 4);
    const w2 = readWordLE(traceId, at + 8);
    const w3 = readWordLE(traceId, at + 12);
    const endWord = (end - first) * ENTRY_WORDS;
    for (let base = 0; base < endWord; base += ENTRY_WORDS) {
      const problem = entryProblem(words, base);
      if (problem !== null) throw indexCorrupt(this.path, position + base * 4, problem);
      if (words[base] !== w0 || words[base + 1] !== w1 || words[base + 2] !== w2 || words[base + 3] !== w3) continue;
      out.push(
        words[base + ENTRY_SEGMENT_ID_WORD]!,
        words[base + ENTRY_FILE_OFFSET_WORD]!,
        words[base + ENTRY_RECORD_LENGTH_WORD]!,
        words[base + ENTRY_SPAN_COUNT_FLAGS_WORD]! & SPAN_COUNT_MAX,
      );
    }
  }

  /**
   * Verify-everything walk for the CLI and tests: reads every partition's entries, checks every
   * bucket CRC and that each entry is valid, hashes to the partition and bucket it sits in, is
   * found by the filter and points inside the chunk's coverage. `bytes` is only valid during the
   * callback; the entry is the 32 bytes at `at`.
   */
  forEachEntry(callback: (bytes: Uint8Array, at: number, partition: number) => void): void {
    this.walkBuckets(callback);
  }

  /**
   * Reads every partition's entries and checks every bucket CRC (not each entry's placement).
   * Recovery runs it on every chunk, so damage anywhere in the index is found at open, where the
   * chunk is set aside and re-derived from the segments, instead of failing reads later.
   */
  verifyBuckets(): void {
    this.walkBuckets(null);
  }

  private walkBuckets(callback: ((bytes: Uint8Array, at: number, partition: number) => void) | null): void {
    assert(this.fd !== -1, `walkBuckets on closed chunk ${this.path}`);
    const resident = this.resident;
    const partitionCount = this.header.partitionCount;
    const hashes = new Uint32Array(3);
    let bytes = new Uint8Array(0);
    for (let p = 0; p < partitionCount; p++) {
      const row = p * ROW_WORDS;
      const entries = resident[row + ROW_ENTRY_COUNT]!;
      if (entries === 0) continue;
      const entriesOffset = resident[row + ROW_ENTRIES_OFFSET]!;
      if (bytes.length < entries * INDEX_ENTRY_BYTES) bytes = new Uint8Array(entries * INDEX_ENTRY_BYTES);
      readExactly(this.fs, this.fd, this.path, bytes, 0, entries * INDEX_ENTRY_BYTES, entriesOffset);
      const words = wordsOf(bytes);
      const blocks = resident[row + ROW_FILTER_BLOCK_COUNT]!;
      const buckets = resident[row + ROW_BUCKET_COUNT]!;
      const filterAt = (resident[row + ROW_RESIDENT_OFFSET]! - CHUNK_HEADER_BYTES) >>> 2;
      const directoryAt = filterAt + blocks * FILTER_BLOCK_WORDS;
      for (let b = 0; b < buckets; b++) {
        const first = resident[directoryAt + b]!;
        const end = resident[directoryAt + b + 1]!;
        const crcGot = crc32c(bytes, first * INDEX_ENTRY_BYTES, end * INDEX_ENTRY_BYTES);
        const crcWant = resident[directoryAt + buckets + 1 + b]!;
        const bucketAt = entriesOffset + first * INDEX_ENTRY_BYTES;
        if (crcGot !== crcWant) throw indexCorrupt(this.path, bucketAt, `partition ${p} bucket ${b} CRC got ${hex32(crcGot)}; want ${hex32(crcWant)}`);
        if (callback === null) continue;
        for (let e = first; e < end; e++) {
          const at = e * INDEX_ENTRY_BYTES;
          const fileAt = entriesOffset + at;
          const problem = entryProblem(words, e * ENTRY_WORDS) ?? this.placementProblem(bytes, at, hashes, p, b, buckets, filterAt, blocks);
          if (problem !== null) throw indexCorrupt(this.path, fileAt, `partition ${p} bucket ${b}: ${problem}`);
          callback(bytes, at, p);
        }
      }
    }
  }

  close(): void {
    if (this.fd === -1) return;
    const fd = this.fd;
    this.fd = -1;
    try {
      this.fs.close(fd);
    } catch (error) {
      throw ioError(this.path, 'close', error);
    }
  }

  /** One pread of one bucket into the shared scratch, then its CRC (stored at resident word `crcAt`). */
  private readBucket(position: number, length: number, crcAt: number, partition: number, bucket: number): void {
    if (bucketScratch.length < length) {
      let size = bucketScratch.length;
      while (size < length) size *= 2;
      bucketScratch = Buffer.allocUnsafeSlow(size);
      bucketScratchWords = wordsOf(bucketScratch);
      bucketViews = [];
    }
    readExactly(this.fs, this.fd, this.path, bucketScratch, 0, length, position);
    const crcGot = crc32c(bucketView(length));
    const crcWant = this.resident[crcAt]!;
    if (crcGot !== crcWant) {
      throw indexCorrupt(this.path, position, `partition ${partition} bucket ${bucket} CRC got ${hex32(crcGot)}; want ${hex32(crcWant)}`);
    }
  }

  private placementProblem(
    bytes: Uint8Array,
    at: number,
    hashes: Uint32Array,
    partition: number,
    bucket: number,
    buckets: number,
    filterAt: number,
    blocks: number,
  ): string | null {
    traceHash(bytes, at, hashes);
    const partitionCount = this.header.partitionCount;
    if (hashes[0]! % partitionCount !== partition) return `entry hashes to partition ${hashes[0]! % partitionCount}; want ${partition}`;
    if (hashes[1]! % buckets !== bucket) return `entry hashes to bucket ${hashes[1]! % buckets}; want ${bucket}`;
    if (!filterProbe(this.resident, filterAt, blocks, hashes[1]!, hashes[2]!)) return 'entry not found by the filter';
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, INDEX_ENTRY_BYTES);
    const segmentId = view.getUint32(ENTRY_SEGMENT_ID_WORD * 4, true);
    const fileOffset = view.getUint32(ENTRY_FILE_OFFSET_WORD * 4, true);
    const recordLength = view.getUint32(ENTRY_RECORD_LENGTH_WORD * 4, true);
    const { from, to } = this.header;
    const afterFrom = segmentId > from.segmentId || (segmentId === from.segmentId && fileOffset >= from.fileOffset);
    const beforeTo = segmentId < to.segmentId || (segmentId === to.segmentId && fileOffset < to.fileOffset);
    if (!afterFrom || !beforeTo) {
      return `entry position (${segmentId}, ${fileOffset}) outside coverage [(${from.segmentId}, ${from.fileOffset}), (${to.segmentId}, ${to.fileOffset}))`;
    }
    if (recordLength < RECORD_HEADER_BYTES) return `entry recordLength got ${recordLength}; want ≥ ${RECORD_HEADER_BYTES}`;
    return null;
  }
}

/** The first `length` bytes of the scratch (a whole number of entries), as a reusable Buffer. */
function bucketView(length: number): Buffer {
  const entries = (length / INDEX_ENTRY_BYTES) | 0; // An integer key: a float one may be boxed.
  if (entries > BUCKET_VIEWS_ENTRIES_MAX) return bucketScratch.subarray(0, length);
  let view = bucketViews[entries];
  if (view === undefined) {
    view = bucketScratch.subarray(0, length);
    bucketViews[entries] = view;
  }
  return view;
}

function wordsOf(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
}
