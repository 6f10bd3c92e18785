/**
 * One generation (data-format.md §5): a directory with its own segments, index chunk files and
 * in-memory index tail. Generations are the unit of time-bounded skipping and of retention.
 *
 * Its state changes only through the verbs below, each of which keeps the pieces consistent:
 * - write path: `startSegment`, `appendRecord` (segment bytes), `syncSegment`, then
 *   `publishRecord` (index entries, start-time range, `indexedThrough`) once the record is durable;
 * - sealing: `seal` / `sealInBackground` (tail → sealing tail → chunk file), `close`;
 * - recovery: `adoptSegments`, `adoptChunk`, `setSegmentEnd`, `dropLastSegment`, then
 *   `publishRecord` for each record the chunks do not cover;
 * - read path: `mayHold`, `lookup`, `segmentPath`.
 */
import { SEGMENT_HEADER_BYTES } from '../constants.js';
import { assert, ioError } from '../errors.js';
import {
  GENERATION_META_FILE,
  TMP_SUFFIX,
  generationDirName,
  join,
  segmentFileName,
} from '../filenames.js';
import type { FileLayer } from '../io/file-layer.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import type { Position, TimeBounds } from '../api/index.js';
import type { AnyBatchView } from '../batch/batch-versions.js';
import type { ChunkFile } from '../index/chunk-file.js';
import { IndexTail } from '../index/index-tail.js';
import type { LocationList } from '../index/location-list.js';
import type { IndexedGeneration } from '../reader/index-lookup.js';
import { SegmentWriter } from '../segment/segment-writer.js';
import { writeSealedChunk } from './index-sealer.js';
import { encodeGenerationMeta, type GenerationMeta } from './meta-files.js';

/** Where chunk 1's coverage starts: the first record of segment 1. */
export const FIRST_POSITION: Position = { segmentId: 1, fileOffset: SEGMENT_HEADER_BYTES };

export function comparePositions(a: Position, b: Position): number {
  return a.segmentId !== b.segmentId ? a.segmentId - b.segmentId : a.fileOffset - b.fileOffset;
}

export interface SealResult {
  entries: number;
  chunkSeq: number;
}

/** A segment found on disk by recovery: its id and the bytes of it that hold valid data. */
export interface SegmentExtent {
  id: number;
  bytes: number;
}

const SETTLED: Promise<void> = Promise.resolve();

export class Generation implements IndexedGeneration {
  readonly id: number;
  readonly dirPath: string;
  private currentMeta: GenerationMeta;
  /** Segment ids present, ascending, 1..n without gaps. */
  private readonly segments: number[] = [];
  /** Bytes of each segment that hold valid data (its end offset). */
  private readonly segmentEnds = new Map<number, number>();
  private readonly chunkFiles: ChunkFile[] = [];
  private tail: IndexTail;
  /** A tail being written to a chunk file; still searched until that file is loaded. */
  private sealingTail: IndexTail | null = null;
  /** The background seal in flight; it never rejects (its outcome goes to the caller's callbacks). */
  private sealing: Promise<void> | null = null;
  /** End of the coverage of the last chunk file. */
  private coverageEnd: Position = FIRST_POSITION;
  /** End of the last record whose entries are in a chunk or a tail. */
  private indexedThrough: Position = FIRST_POSITION;
  private writer: SegmentWriter | null = null;
  /** Span start-time range of everything stored here, for skipping whole generations. */
  private minStartTimeUnixNano = (1n << 64n) - 1n;
  private maxStartTimeUnixNano = 0n;

  constructor(
    private readonly fs: FileLayer,
    rootDir: string,
    meta: GenerationMeta,
    private readonly flushEntries: number,
  ) {
    this.id = meta.generationId;
    this.currentMeta = meta;
    this.dirPath = join(rootDir, generationDirName(meta.generationId));
    this.tail = new IndexTail(meta.partitionCount, flushEntries);
  }

  /** Creates `gen-N.tmp/` with its metadata, then renames it into place (§5.2). */
  static async create(fs: FileLayer, rootDir: string, meta: GenerationMeta, flushEntries: number): Promise<Generation> {
    const finalPath = join(rootDir, generationDirName(meta.generationId));
    const tmpPath = finalPath + TMP_SUFFIX;
    try {
      if (fs.exists(tmpPath)) fs.removeTree(tmpPath);
      fs.mkdir(tmpPath);
    } catch (error) {
      throw ioError(tmpPath, 'mkdir', error);
    }
    await writeFileAtomic(fs, join(tmpPath, GENERATION_META_FILE), encodeGenerationMeta(meta));
    try {
      fs.rename(tmpPath, finalPath);
      await fs.fsyncDir(rootDir);
    } catch (error) {
      throw ioError(finalPath, 'create generation', error);
    }
    return new Generation(fs, rootDir, meta, flushEntries);
  }

  get meta(): GenerationMeta {
    return this.currentMeta;
  }

  get isOpen(): boolean {
    return this.currentMeta.closedAtMs === 0;
  }

  get segmentIds(): readonly number[] {
    return this.segments;
  }

  get lastSegmentId(): number {
    return this.segments.length === 0 ? 0 : this.segments[this.segments.length - 1]!;
  }

  /** Bytes of the segment that hold valid data. */
  segmentEnd(segmentId: number): number {
    const bytes = this.segmentEnds.get(segmentId);
    assert(bytes !== undefined, `segment ${segmentId} of generation ${this.id} is not known`);
    return bytes;
  }

  get storedBytes(): number {
    let total = 0;
    for (const bytes of this.segmentEnds.values()) total += bytes;
    return total;
  }

  get chunks(): readonly ChunkFile[] {
    return this.chunkFiles;
  }

  get chunkCoverageEnd(): Position {
    return this.coverageEnd;
  }

  /** Entries not yet in a loaded chunk file: the tail and a tail being sealed. */
  get tailEntryCount(): number {
    return this.tail.entryCount + (this.sealingTail?.entryCount ?? 0);
  }

  get tailIsFull(): boolean {
    return this.tail.isFull;
  }

  /** End offset of the segment taking writes, or null when no segment is open for writing. */
  get writeOffset(): number | null {
    return this.writer === null ? null : this.writer.endOffset;
  }

  segmentPath(segmentId: number): string {
    return join(this.dirPath, segmentFileName(segmentId));
  }

  mayHold(bounds: TimeBounds | null): boolean {
    if (bounds === null) return true;
    return this.minStartTimeUnixNano <= bounds.endTimeUnixNano && this.maxStartTimeUnixNano >= bounds.startTimeUnixNano;
  }

  /** Appends every index hit for the trace, chunks first, then the tails, in arrival order. */
  lookup(traceId: Uint8Array, hashes: Uint32Array, bounds: TimeBounds | null, out: LocationList): void {
    const partition = hashes[0]! % this.currentMeta.partitionCount;
    for (const chunk of this.chunkFiles) chunk.lookup(traceId, 0, hashes, partition, bounds, out);
    this.sealingTail?.lookup(traceId, 0, hashes, out);
    this.tail.lookup(traceId, 0, hashes, out);
  }

  // --- write path ---------------------------------------------------------------------------

  /** Creates the next segment and syncs the directory (§3.3). The previous one must be closed first (`closeSegment`). */
  async startSegment(createdAtMs: number): Promise<void> {
    assert(this.writer === null, `startSegment in generation ${this.id} while segment ${this.lastSegmentId} is open`);
    const segmentId = this.lastSegmentId + 1;
    const writer = await SegmentWriter.create(this.fs, this.segmentPath(segmentId), { generationId: this.id, segmentId, createdAtMs });
    try {
      await this.fs.fsyncDir(this.dirPath);
    } catch (error) {
      writer.close();
      throw ioError(this.dirPath, 'fsync directory', error);
    }
    this.writer = writer;
    this.segments.push(segmentId);
    this.segmentEnds.set(segmentId, writer.endOffset);
  }

  /** Writes a whole record (header + body) at the end of the open segment; returns where it starts. Not yet durable nor indexed. */
  appendRecord(record: Uint8Array): Position {
    const writer = this.writer;
    assert(writer !== null, `appendRecord in generation ${this.id} with no open segment`);
    const fileOffset = writer.append(record);
    const segmentId = this.lastSegmentId;
    this.segmentEnds.set(segmentId, writer.endOffset);
    return { segmentId, fileOffset };
  }

  /** One fdatasync of the open segment (none open: nothing to do). */
  syncSegment(): Promise<void> {
    return this.writer === null ? SETTLED : this.writer.sync();
  }

  /** Syncs and closes the open segment, if any: it takes no more records. */
  async closeSegment(): Promise<void> {
    const writer = this.writer;
    if (writer === null) return;
    await writer.sync();
    writer.close();
    this.writer = null;
  }

  /**
   * Indexes a stored record's spans (its trailer) into the tail and moves `indexedThrough` past it;
   * returns the entries added. Callers publish only records that are durable (or, in recovery,
   * already on disk): whatever a tail holds, a seal may write into a chunk.
   */
  publishRecord(at: Position, recordLength: number, batch: AnyBatchView): number {
    const entriesBefore = this.tail.entryCount;
    this.tail.indexRecord(at.segmentId, at.fileOffset, recordLength, batch);
    this.noteStartTimes(batch.minStartTimeUnixNano, batch.maxStartTimeUnixNano);
    this.indexedThrough = { segmentId: at.segmentId, fileOffset: at.fileOffset + recordLength };
    return this.tail.entryCount - entriesBefore;
  }

  // --- sealing (data-format.md §4.3) --------------------------------------------------------

  /**
   * Freezes the tail and writes it out as the next chunk file, covering everything published so
   * far. The frozen tail stays searchable until the chunk file is written, synced and loaded, so a
   * read never misses an entry. Callers must have made every record the tail covers durable first:
   * a chunk must never cover bytes that a crash could take away.
   */
  async seal(): Promise<SealResult | null> {
    assert(this.sealingTail === null, 'seal while a seal is in flight');
    const tail = this.tail;
    if (tail.entryCount === 0) return null;
    tail.freeze();
    this.sealingTail = tail;
    this.tail = new IndexTail(this.currentMeta.partitionCount, this.flushEntries);
    const chunkSeq = this.chunkFiles.length + 1;
    const to = { ...this.indexedThrough };
    const chunk = await writeSealedChunk(this.fs, this.dirPath, tail, {
      generationId: this.id,
      chunkSeq,
      partitionCount: this.currentMeta.partitionCount,
      from: this.coverageEnd,
      to,
    });
    this.chunkFiles.push(chunk);
    this.coverageEnd = to;
    this.sealingTail = null;
    return { entries: tail.entryCount, chunkSeq };
  }

  /** Starts a seal that runs while appends go on; `sealSettled()` waits for it. Its outcome goes to the callbacks only. */
  sealInBackground(onSealed: () => void, onFailed: (error: unknown) => void): void {
    assert(this.sealing === null, 'a background seal while another is in flight');
    this.sealing = this.seal()
      .then(onSealed)
      .catch(onFailed)
      .finally(() => {
        this.sealing = null;
      });
  }

  /** Resolves once no background seal is in flight. */
  sealSettled(): Promise<void> {
    return this.sealing ?? SETTLED;
  }

  /**
   * Ends the generation's time as the active one: the background seal finishes, the open segment
   * is synced and closed, the tail is sealed, then GENERATION records the close time, read from
   * `clock` once all of that is durable.
   */
  async close(clock: () => number): Promise<void> {
    await this.sealSettled();
    await this.closeSegment();
    await this.seal();
    await this.writeMeta({ ...this.currentMeta, closedAtMs: Math.max(1, clock()) });
  }

  private async writeMeta(meta: GenerationMeta): Promise<void> {
    await writeFileAtomic(this.fs, join(this.dirPath, GENERATION_META_FILE), encodeGenerationMeta(meta));
    this.currentMeta = meta;
  }

  // --- recovery (data-format.md §5.5) -------------------------------------------------------

  /** Pass 2: the segments found on disk, ids 1..n in order, each with its size. Once, before anything else. */
  adoptSegments(segments: readonly SegmentExtent[]): void {
    assert(this.segments.length === 0, `adoptSegments on generation ${this.id} twice`);
    segments.forEach((segment, i) => assert(segment.id === i + 1, `segment ${segment.id} adopted at position ${i + 1}`));
    for (const segment of segments) {
      this.segments.push(segment.id);
      this.segmentEnds.set(segment.id, segment.bytes);
    }
  }

  /** Pass 2: a verified chunk file that starts where the previous one's coverage ended. */
  adoptChunk(chunk: ChunkFile): void {
    assert(comparePositions(chunk.from, this.coverageEnd) === 0, `chunk ${chunk.chunkSeq} does not start where the coverage ends`);
    this.chunkFiles.push(chunk);
    this.coverageEnd = chunk.to;
    this.indexedThrough = chunk.to;
    if (chunk.entryCount > 0) this.noteStartTimes(chunk.minStartTimeUnixNano, chunk.maxStartTimeUnixNano);
  }

  /** Pass 3: the segment's valid data ends at `endOffset` (a torn tail was cut, or, read-only, is left out). */
  setSegmentEnd(segmentId: number, endOffset: number): void {
    assert(this.segmentEnds.has(segmentId), `setSegmentEnd of unknown segment ${segmentId}`);
    this.segmentEnds.set(segmentId, endOffset);
  }

  /** Pass 3: the last segment's file was removed (its creation was torn). */
  dropLastSegment(segmentId: number): void {
    assert(segmentId === this.lastSegmentId && this.writer === null, `dropLastSegment ${segmentId}; the last is ${this.lastSegmentId}`);
    this.segments.pop();
    this.segmentEnds.delete(segmentId);
  }

  private noteStartTimes(min: bigint, max: bigint): void {
    if (min < this.minStartTimeUnixNano) this.minStartTimeUnixNano = min;
    if (max > this.maxStartTimeUnixNano) this.maxStartTimeUnixNano = max;
  }

  /** Closes every file handle; the generation's files stay as they are. */
  closeFiles(): void {
    for (const chunk of this.chunkFiles) chunk.close();
    this.writer?.close();
    this.writer = null;
  }
}
