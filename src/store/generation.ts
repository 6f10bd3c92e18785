/**
 * One generation (data-format.md §5): a directory with its own segments, index chunk files and
 * in-memory index tail. Generations are the unit of time-bounded skipping and of retention.
 */
import { SEGMENT_HEADER_BYTES } from '../constants.js';
import { ioError } from '../errors.js';
import {
  GENERATION_META_FILE,
  TMP_SUFFIX,
  chunkFileName,
  generationDirName,
  join,
  segmentFileName,
} from '../filenames.js';
import { openFile, type FileLayer } from '../io/file-layer.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { ChunkFile } from '../index/chunk-file.js';
import { IndexTail } from '../index/index-tail.js';
import type { LocationList } from '../index/location-list.js';
import type { SegmentWriter } from '../segment/segment-writer.js';
import { encodeGenerationMeta, type GenerationMeta } from './meta-files.js';

/** A place between records: (segmentId, fileOffset), ordered lexicographically (§1). */
export interface Position {
  segmentId: number;
  fileOffset: number;
}

/** Where chunk 1's coverage starts: the first record of segment 1. */
export const FIRST_POSITION: Position = { segmentId: 1, fileOffset: SEGMENT_HEADER_BYTES };

export function comparePositions(a: Position, b: Position): number {
  return a.segmentId !== b.segmentId ? a.segmentId - b.segmentId : a.fileOffset - b.fileOffset;
}

/** Optional time bounds of a read, inclusive, in UnixNano. */
export interface TimeBounds {
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
}

export class Generation {
  readonly id: number;
  readonly dirPath: string;
  meta: GenerationMeta;
  /** Segment ids present, ascending, 1..n without gaps. */
  segmentIds: number[] = [];
  /** Bytes of each segment that hold valid data (its end offset). */
  readonly segmentBytes = new Map<number, number>();
  readonly chunks: ChunkFile[] = [];
  tail: IndexTail;
  /** A tail being written to a chunk file; still searched until that file is loaded. */
  sealingTail: IndexTail | null = null;
  sealing: Promise<void> | null = null;
  /** End of the coverage of the last chunk file. */
  chunkCoverageEnd: Position = FIRST_POSITION;
  /** End of the last record whose entries are in a chunk or a tail. */
  indexedThrough: Position = FIRST_POSITION;
  writer: SegmentWriter | null = null;
  /** Span start-time range of everything stored here, for skipping whole generations. */
  minStartTimeUnixNano = (1n << 64n) - 1n;
  maxStartTimeUnixNano = 0n;
  private readonly readFds = new Map<number, number>();

  constructor(
    private readonly fs: FileLayer,
    rootDir: string,
    meta: GenerationMeta,
    flushEntries: number,
  ) {
    this.id = meta.generationId;
    this.meta = meta;
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

  get isOpen(): boolean {
    return this.meta.closedAtMs === 0;
  }

  get lastSegmentId(): number {
    return this.segmentIds.length === 0 ? 0 : this.segmentIds[this.segmentIds.length - 1]!;
  }

  get storedBytes(): number {
    let total = 0;
    for (const bytes of this.segmentBytes.values()) total += bytes;
    return total;
  }

  segmentPath(segmentId: number): string {
    return join(this.dirPath, segmentFileName(segmentId));
  }

  chunkPath(chunkSeq: number): string {
    return join(this.dirPath, chunkFileName(chunkSeq));
  }

  noteStartTimes(min: bigint, max: bigint): void {
    if (min < this.minStartTimeUnixNano) this.minStartTimeUnixNano = min;
    if (max > this.maxStartTimeUnixNano) this.maxStartTimeUnixNano = max;
  }

  mayHold(bounds: TimeBounds | null): boolean {
    if (bounds === null) return true;
    return this.minStartTimeUnixNano <= bounds.endTimeUnixNano && this.maxStartTimeUnixNano >= bounds.startTimeUnixNano;
  }

  /** Appends every index hit for the trace, chunks first, then the tails, in arrival order. */
  lookup(traceId: Uint8Array, hashes: Uint32Array, bounds: TimeBounds | null, out: LocationList): void {
    const partition = hashes[0]! % this.meta.partitionCount;
    for (const chunk of this.chunks) chunk.lookup(traceId, 0, hashes, partition, bounds, out);
    this.sealingTail?.lookup(traceId, 0, hashes, out);
    this.tail.lookup(traceId, 0, hashes, out);
  }

  readFd(segmentId: number): number {
    let fd = this.readFds.get(segmentId);
    if (fd === undefined) {
      fd = openFile(this.fs, this.segmentPath(segmentId), 'read');
      this.readFds.set(segmentId, fd);
    }
    return fd;
  }

  async writeMeta(meta: GenerationMeta): Promise<void> {
    await writeFileAtomic(this.fs, join(this.dirPath, GENERATION_META_FILE), encodeGenerationMeta(meta));
    this.meta = meta;
  }

  /** Closes every file handle; the generation's files stay as they are. */
  closeFiles(): void {
    for (const fd of this.readFds.values()) this.fs.close(fd);
    this.readFds.clear();
    for (const chunk of this.chunks) chunk.close();
    this.writer?.close();
    this.writer = null;
  }
}
