/**
 * What `tracekv info` and `tracekv ls` report: per segment and per generation counts taken from
 * record headers only (spanCount, rawLength, bodyLength, start times; data-format.md §3.2) and
 * from chunk file headers (§4.3). Nothing is decompressed and nothing is written, so it is cheap
 * and safe beside a live writer; a torn-looking tail of a last segment is counted, not fatal.
 *
 * Also how every read-only command (verify, inspect, info, ls, dump) opens a segment and reads a
 * damage item: segments are walked only through the record cursor (segment/record-cursor.ts).
 */
import { CHUNK_HEADER_BYTES, RECORD_HEADER_BYTES } from '../constants.js';
import { TraceKvError } from '../errors.js';
import type { ChunkPosition } from '../index/chunk-format.js';
import { decodeChunkHeader } from '../index/chunk-header.js';
import { readExactly } from '../index/chunk-resident.js';
import { openFile, type FileLayer } from '../io/file-layer.js';
import { RecordCursor, type CursorDamage } from '../segment/record-cursor.js';
import type { RecordHeader } from '../segment/record-header.js';
import { type ChunkFileRef, type GenerationLayout, type SegmentFile, type StoreLayout } from '../store/store-layout.js';

export interface SegmentSummary {
  generationId: number;
  segmentId: number;
  path: string;
  fileBytes: number;
  /** From the segment header; null when the header is invalid (see headerProblem). */
  createdAtMs: number | null;
  headerProblem: string | null;
  records: number;
  spans: number;
  /** Sum of rawLength: the batches as appended, uncompressed. */
  rawBytes: number;
  /** Sum of bodyLength: the batches as stored (compressed). */
  bodyBytes: number;
  /** Over the records' header time ranges; null for a segment without records. */
  minStartTimeUnixNano: bigint | null;
  maxStartTimeUnixNano: bigint | null;
  /** Bytes of a torn tail (normal beside a live writer); 0 for a clean end. */
  tornBytes: number;
  /** Invalid stretches that are not a torn tail: run `tracekv verify`. */
  damage: CursorDamage[];
}

export interface ChunkSummary {
  seq: number;
  path: string;
  fileBytes: number;
  /** Null when the header fails its checks (problem says why). */
  entryCount: number | null;
  from: ChunkPosition | null;
  to: ChunkPosition | null;
  problem: string | null;
}

export interface GenerationSummary {
  id: number;
  partitionCount: number;
  createdAtMs: number;
  /** 0 while the generation takes writes. */
  closedAtMs: number;
  segments: SegmentSummary[];
  chunks: ChunkSummary[];
  /** Records after the last chunk's coverage: indexed only in a writer's memory (or on the next open). */
  unindexedRecords: number;
  others: string[];
}

/** One segment, headers only. `onRecord` sees each valid record's offset (for coverage counts). */
export function summarizeSegment(
  fs: FileLayer,
  generationId: number,
  segment: SegmentFile,
  isLastSegment: boolean,
  onRecord?: (fileOffset: number) => void,
): SegmentSummary {
  const summary: SegmentSummary = {
    generationId,
    segmentId: segment.id,
    path: segment.path,
    fileBytes: 0,
    createdAtMs: null,
    headerProblem: null,
    records: 0,
    spans: 0,
    rawBytes: 0,
    bodyBytes: 0,
    minStartTimeUnixNano: null,
    maxStartTimeUnixNano: null,
    tornBytes: 0,
    damage: [],
  };
  // The size now, not the listing's: a live writer may have appended since.
  const segmentFile = RecordCursor.open(fs, segment.path, { isLastSegment, bodies: false });
  try {
    summary.fileBytes = segmentFile.fileSize;
    summary.createdAtMs = segmentFile.segmentHeader?.createdAtMs ?? null;
    if (segmentFile.tornCreation) {
      // A segment whose creation was torn (§3.4): nothing in it was ever acknowledged.
      summary.tornBytes = segmentFile.fileSize;
      return summary;
    }
    summary.headerProblem = segmentFile.segmentHeaderProblem;
    for (let item = segmentFile.next(); item !== null; item = segmentFile.next()) {
      if (item.kind === 'damage') {
        if (item.torn) summary.tornBytes += item.bytes;
        else summary.damage.push(item);
        continue;
      }
      const { header: record } = item;
      summary.records++;
      summary.spans += record.spanCount;
      summary.rawBytes += record.rawLength;
      summary.bodyBytes += record.bodyLength;
      if (summary.minStartTimeUnixNano === null || record.minStartTimeUnixNano < summary.minStartTimeUnixNano) {
        summary.minStartTimeUnixNano = record.minStartTimeUnixNano;
      }
      if (summary.maxStartTimeUnixNano === null || record.maxStartTimeUnixNano > summary.maxStartTimeUnixNano) {
        summary.maxStartTimeUnixNano = record.maxStartTimeUnixNano;
      }
      onRecord?.(item.fileOffset);
    }
    return summary;
  } finally {
    segmentFile.close();
  }
}

/**
 * The header of a damaged stretch that is exactly one whole record whose only fault is its body
 * CRC, not a torn tail; null for any other damage. verify --deep and inspect have always shown such
 * a record as a record with a bad body (counted, named by its bodyCrc), and still do; a stretch
 * reaching past the record's end holds more damage, and is shown as a damaged stretch (§3.4).
 */
export function badBodyRecordOf(item: CursorDamage): RecordHeader | null {
  if (!item.wholeRecord || item.torn || item.header === null) return null;
  return item.bytes === RECORD_HEADER_BYTES + item.header.bodyLength ? item.header : null;
}

/** A chunk file's header only (64 bytes); the resident region and entries are verify's job. */
export function summarizeChunk(fs: FileLayer, generation: GenerationLayout, chunk: ChunkFileRef): ChunkSummary {
  const summary: ChunkSummary = { seq: chunk.seq, path: chunk.path, fileBytes: chunk.bytes, entryCount: null, from: null, to: null, problem: null };
  const fd = openFile(fs, chunk.path, 'read');
  try {
    const bytes = new Uint8Array(CHUNK_HEADER_BYTES);
    readExactly(fs, fd, chunk.path, bytes, 0, CHUNK_HEADER_BYTES, 0);
    const header = decodeChunkHeader(chunk.path, bytes, { generationId: generation.id, chunkSeq: chunk.seq, partitionCount: generation.meta.partitionCount });
    summary.entryCount = header.entryCount;
    summary.from = header.from;
    summary.to = header.to;
  } catch (error) {
    if (!(error instanceof TraceKvError) || error.code !== 'ERR_INDEX_CORRUPT') throw error;
    summary.problem = error.message;
  } finally {
    fs.close(fd);
  }
  return summary;
}

export function summarizeGeneration(fs: FileLayer, generation: GenerationLayout, onSegment?: (summary: SegmentSummary) => void): GenerationSummary {
  const chunks = generation.chunks.map((chunk) => summarizeChunk(fs, generation, chunk));
  // Chunks cover a prefix of the generation (§4.3), so the last readable one's end bounds the index.
  const coveredTo = chunks.reduce<ChunkPosition | null>((end, chunk) => chunk.to ?? end, null);
  let unindexedRecords = 0;
  const segments = generation.segments.map((segment, i) => {
    const isLast = i === generation.segments.length - 1;
    const summary = summarizeSegment(fs, generation.id, segment, isLast, (fileOffset) => {
      if (coveredTo === null || segment.id > coveredTo.segmentId || (segment.id === coveredTo.segmentId && fileOffset >= coveredTo.fileOffset)) {
        unindexedRecords++;
      }
    });
    onSegment?.(summary);
    return summary;
  });
  const { meta } = generation;
  return {
    id: generation.id,
    partitionCount: meta.partitionCount,
    createdAtMs: meta.createdAtMs,
    closedAtMs: meta.closedAtMs,
    segments,
    chunks,
    unindexedRecords,
    others: generation.others,
  };
}

export function summarizeStore(fs: FileLayer, layout: StoreLayout, onSegment?: (summary: SegmentSummary) => void): GenerationSummary[] {
  return layout.generations.map((generation) => summarizeGeneration(fs, generation, onSegment));
}
