/**
 * The index half of `tracekv verify` (data-format.md §4): every chunk file's own checks (header,
 * resident region, every bucket CRC and entry placement, through ChunkFile.open and forEachEntry),
 * coverage chaining (chunk 1 starts at (1, 32), chunk k+1 where chunk k ended), and every entry
 * against its record: the record exists at that offset with that length and a valid header, and
 * its trailer holds exactly `spanCount` spans of that trace. The reverse holds too: every trace
 * of a covered record has its entry, and every covered record has entries.
 *
 * Reading a trailer needs the record decompressed. Entries are sorted by position, so each record
 * is read and decompressed once however many traces (entries) it holds.
 */
import type { AnyBatchView } from '../batch/batch-versions.js';
import { bytesToHex } from '../batch/ids.js';
import { CHUNK_HEADER_BYTES, CHUNK_PARTITION_ENTRY_BYTES, INDEX_ENTRY_BYTES, SEGMENT_HEADER_BYTES, TRACE_ID_BYTES } from '../constants.js';
import { segmentFileName, join } from '../filenames.js';
import { ChunkFile } from '../index/chunk-file.js';
import { ROW_ENTRIES_OFFSET, ROW_WORDS, type ChunkPosition } from '../index/chunk-format.js';
import { readExactly } from '../index/chunk-resident.js';
import { ENTRY_FILE_OFFSET_WORD, ENTRY_RECORD_LENGTH_WORD, ENTRY_SEGMENT_ID_WORD, ENTRY_SPAN_COUNT_FLAGS_WORD, SPAN_COUNT_MAX } from '../index/index-entry.js';
import { openFile, type FileLayer } from '../io/file-layer.js';
import type { RecordHeader } from '../segment/record-header.js';
import { readRecordAt } from '../segment/segment-reader.js';
import { loadStoredBatch } from '../segment/stored-batch.js';
import type { ChunkFileRef, GenerationLayout } from '../store/store-layout.js';
import { isCorruption, type VerifyReport } from './verify-report.js';

/** What the segment walk found in one segment: valid records (offset → length), and whether it met damage. */
export interface SegmentRecords {
  records: Map<number, number>;
  damaged: boolean;
}

/** By segment id. */
export type GenerationRecords = Map<number, SegmentRecords>;

interface CollectedEntry {
  traceId: string;
  segmentId: number;
  fileOffset: number;
  recordLength: number;
  spanCount: number;
  /** Where the entry sits in the chunk file. */
  fileAt: number;
}

const FIRST_POSITION: ChunkPosition = { segmentId: 1, fileOffset: SEGMENT_HEADER_BYTES };

/** The segment fds opened for the cross-check, shared by the chunks of one generation. */
class SegmentFds {
  private readonly fds = new Map<number, number>();
  constructor(
    readonly fs: FileLayer,
    private readonly generation: GenerationLayout,
  ) {}

  path(segmentId: number): string {
    return join(this.generation.dir, segmentFileName(segmentId));
  }

  fd(segmentId: number): number {
    let fd = this.fds.get(segmentId);
    if (fd === undefined) {
      fd = openFile(this.fs, this.path(segmentId), 'read');
      this.fds.set(segmentId, fd);
    }
    return fd;
  }

  close(): void {
    for (const fd of this.fds.values()) this.fs.close(fd);
    this.fds.clear();
  }
}

export async function verifyGenerationIndex(
  fs: FileLayer,
  generation: GenerationLayout,
  records: GenerationRecords,
  report: VerifyReport,
  progressed: (bytes: number) => void,
): Promise<void> {
  const segments = new SegmentFds(fs, generation);
  try {
    let expectedFrom: ChunkPosition | null = FIRST_POSITION;
    for (const ref of generation.chunks) {
      expectedFrom = await verifyChunk(fs, generation, ref, expectedFrom, records, segments, report);
      progressed(ref.bytes);
    }
    if (generation.meta.closedAtMs !== 0 && expectedFrom !== null) checkClosedGenerationIndexed(expectedFrom, records, segments, report);
  } finally {
    segments.close();
  }
}

/** Returns where the next chunk's coverage must start, or null when this chunk could not say. */
async function verifyChunk(
  fs: FileLayer,
  generation: GenerationLayout,
  ref: ChunkFileRef,
  expectedFrom: ChunkPosition | null,
  records: GenerationRecords,
  segments: SegmentFds,
  report: VerifyReport,
): Promise<ChunkPosition | null> {
  report.counters.chunks++;
  report.counters.chunkBytes += ref.bytes;
  let chunk: ChunkFile;
  try {
    chunk = ChunkFile.open(fs, ref.path, { generationId: generation.id, chunkSeq: ref.seq, partitionCount: generation.meta.partitionCount });
  } catch (error) {
    report.corruption(error, ref.path, 0);
    return null;
  }
  try {
    if (expectedFrom !== null && comparePositions(chunk.from, expectedFrom) !== 0) {
      report.problem(ref.path, 24, `coverage starts at ${position(chunk.from)}; want ${position(expectedFrom)}, where the previous chunk ended`);
    }
    checkCoverageEnd(chunk, records, segments, report);
    const { entries, complete } = collectEntries(fs, chunk, report);
    report.counters.indexEntries += entries.length;
    entries.sort((a, b) => a.segmentId - b.segmentId || a.fileOffset - b.fileOffset || a.fileAt - b.fileAt);
    for (let i = 0; i < entries.length; ) {
      let j = i + 1;
      while (j < entries.length && entries[j]!.segmentId === entries[i]!.segmentId && entries[j]!.fileOffset === entries[i]!.fileOffset) j++;
      await checkRecordEntries(chunk, entries.slice(i, j), complete, records, segments, report);
      i = j;
    }
    if (complete) checkEveryRecordIndexed(chunk, entries, records, segments, report);
    return chunk.to;
  } finally {
    chunk.close();
  }
}

/** Every entry with its file offset; `complete` is false when the walk stopped at a bad bucket. */
function collectEntries(fs: FileLayer, chunk: ChunkFile, report: VerifyReport): { entries: CollectedEntry[]; complete: boolean } {
  const entriesOffsets = readEntriesOffsets(fs, chunk);
  const entries: CollectedEntry[] = [];
  try {
    chunk.forEachEntry((bytes, at, partition) => {
      const view = new DataView(bytes.buffer, bytes.byteOffset + at, INDEX_ENTRY_BYTES);
      entries.push({
        traceId: bytesToHex(bytes, at, TRACE_ID_BYTES),
        segmentId: view.getUint32(ENTRY_SEGMENT_ID_WORD * 4, true),
        fileOffset: view.getUint32(ENTRY_FILE_OFFSET_WORD * 4, true),
        recordLength: view.getUint32(ENTRY_RECORD_LENGTH_WORD * 4, true),
        spanCount: view.getUint32(ENTRY_SPAN_COUNT_FLAGS_WORD * 4, true) & SPAN_COUNT_MAX,
        fileAt: entriesOffsets[partition]! + at,
      });
    });
    return { entries, complete: true };
  } catch (error) {
    report.corruption(error, chunk.path, 0);
    return { entries, complete: false };
  }
}

/** entriesOffset of each partition, from the table ChunkFile.open already checked (residentCrc). */
function readEntriesOffsets(fs: FileLayer, chunk: ChunkFile): Uint32Array {
  const table = new Uint8Array(chunk.partitionCount * CHUNK_PARTITION_ENTRY_BYTES);
  const fd = openFile(fs, chunk.path, 'read');
  try {
    readExactly(fs, fd, chunk.path, table, 0, table.length, CHUNK_HEADER_BYTES);
  } finally {
    fs.close(fd);
  }
  const words = new Uint32Array(table.buffer, table.byteOffset, table.length / 4);
  const offsets = new Uint32Array(chunk.partitionCount);
  for (let p = 0; p < chunk.partitionCount; p++) offsets[p] = words[p * ROW_WORDS + ROW_ENTRIES_OFFSET]!;
  return offsets;
}

/** `to` is the end of the last covered record (§4.3), or `from` for a chunk that covers nothing. */
function checkCoverageEnd(chunk: ChunkFile, records: GenerationRecords, segments: SegmentFds, report: VerifyReport): void {
  const { from, to } = chunk;
  if (comparePositions(from, to) === 0) return;
  const segment = records.get(to.segmentId);
  if (segment === undefined) {
    report.problem(chunk.path, 32, `coverage ends at ${position(to)}, in segment ${to.segmentId}, which does not exist`);
    return;
  }
  if (segment.damaged) return; // The walk may have missed the record; the damage is reported already.
  for (const [offset, length] of segment.records) if (offset + length === to.fileOffset) return;
  report.problem(chunk.path, 32, `coverage ends at ${position(to)}, which is not the end of a record in ${segments.path(to.segmentId)}`);
}

/** The entries of one record (same position), against that record's header and trailer. */
async function checkRecordEntries(
  chunk: ChunkFile,
  group: CollectedEntry[],
  chunkComplete: boolean,
  records: GenerationRecords,
  segments: SegmentFds,
  report: VerifyReport,
): Promise<void> {
  const first = group[0]!;
  const where = `(${first.segmentId}, ${first.fileOffset})`;
  const segment = records.get(first.segmentId);
  if (segment === undefined) {
    report.problem(chunk.path, first.fileAt, `entry for trace ${first.traceId} points at ${where}, in segment ${first.segmentId}, which does not exist`);
    return;
  }
  for (const entry of group) {
    if (entry.recordLength !== first.recordLength) {
      report.problem(chunk.path, entry.fileAt, `entry for trace ${entry.traceId} recordLength got ${entry.recordLength}; another entry of the record at ${where} says ${first.recordLength}`);
    }
  }
  const walkedLength = segment.records.get(first.fileOffset);
  if (walkedLength === undefined && !segment.damaged) {
    report.problem(chunk.path, first.fileAt, `entry for trace ${first.traceId} points at ${where}, which is not the start of a record`);
    return;
  }
  const path = segments.path(first.segmentId);
  let batch: AnyBatchView;
  let header: RecordHeader;
  try {
    const record = readRecordAt(segments.fs, segments.fd(first.segmentId), path, first.fileOffset, first.recordLength);
    header = record.header;
    batch = await loadStoredBatch(header, record.body, path, first.fileOffset);
  } catch (error) {
    if (!isCorruption(error)) throw error;
    report.problem(chunk.path, first.fileAt, `entry for trace ${first.traceId} → ${error.message}`);
    return;
  }
  report.counters.recordsDecoded++;
  if (header.minStartTimeUnixNano < chunk.minStartTimeUnixNano || header.maxStartTimeUnixNano > chunk.maxStartTimeUnixNano) {
    report.problem(chunk.path, 40, `record at ${where} starts ${header.minStartTimeUnixNano}..${header.maxStartTimeUnixNano}, outside the chunk's ${chunk.minStartTimeUnixNano}..${chunk.maxStartTimeUnixNano}`);
  }
  const spansByTrace = countSpansByTrace(batch);
  const seen = new Set<string>();
  for (const entry of group) {
    const held = spansByTrace.get(entry.traceId) ?? 0;
    if (seen.has(entry.traceId)) report.problem(chunk.path, entry.fileAt, `entry for trace ${entry.traceId} at ${where} is a duplicate: one entry per (trace, record)`);
    else if (held !== entry.spanCount) report.problem(chunk.path, entry.fileAt, `entry for trace ${entry.traceId} spanCount got ${entry.spanCount}; the record at ${where} holds ${held} spans of that trace`);
    seen.add(entry.traceId);
  }
  if (!chunkComplete) return;
  for (const [traceId, spans] of spansByTrace) {
    if (!seen.has(traceId)) report.problem(path, first.fileOffset, `record holds ${spans} spans of trace ${traceId}, and ${chunk.path} has no entry for them`);
  }
}

function countSpansByTrace(view: AnyBatchView): Map<string, number> {
  const counts = new Map<string, number>();
  // Version 2: one run per trace, its row count in the trailer (§2.7.2).
  if (view.version === 2) {
    for (let run = 0; run < view.runCount; run++) counts.set(view.runTraceIdHex(run), view.runRowCount(run));
    return counts;
  }
  for (let i = 0; i < view.spanCount; i++) {
    const traceId = view.traceIdHex(i);
    counts.set(traceId, (counts.get(traceId) ?? 0) + 1);
  }
  return counts;
}

/** Every record the walk found inside [from, to) has at least one entry in this chunk. */
function checkEveryRecordIndexed(chunk: ChunkFile, entries: CollectedEntry[], records: GenerationRecords, segments: SegmentFds, report: VerifyReport): void {
  const { from, to } = chunk;
  const indexed = new Set(entries.map((entry) => `${entry.segmentId}:${entry.fileOffset}`));
  for (let segmentId = from.segmentId; segmentId <= to.segmentId; segmentId++) {
    const segment = records.get(segmentId);
    if (segment === undefined) continue;
    for (const offset of segment.records.keys()) {
      const at = { segmentId, fileOffset: offset };
      if (comparePositions(at, from) < 0 || comparePositions(at, to) >= 0) continue;
      if (!indexed.has(`${segmentId}:${offset}`)) {
        report.problem(segments.path(segmentId), offset, `record is inside the coverage of ${chunk.path} ${position(from)}..${position(to)} but has no index entry`);
      }
    }
  }
}

/**
 * Closing a generation seals its whole index tail before writing closedAtMs (§5.2), so records
 * after the last chunk of a closed generation mean a chunk went missing. The index is derived data
 * and the next open re-derives them: a warning, not corruption.
 */
function checkClosedGenerationIndexed(coveredTo: ChunkPosition, records: GenerationRecords, segments: SegmentFds, report: VerifyReport): void {
  let first: ChunkPosition | null = null;
  let count = 0;
  for (const [segmentId, segment] of records) {
    for (const offset of segment.records.keys()) {
      const at = { segmentId, fileOffset: offset };
      if (comparePositions(at, coveredTo) < 0) continue;
      first ??= at;
      count++;
    }
  }
  if (first === null) return;
  report.warning(
    segments.path(first.segmentId),
    first.fileOffset,
    `${count} record(s) of a closed generation from here on are in no index chunk (the index covers up to ${position(coveredTo)}); the next open re-derives them`,
  );
}

function comparePositions(a: ChunkPosition, b: ChunkPosition): number {
  return a.segmentId - b.segmentId || a.fileOffset - b.fileOffset;
}

function position(p: ChunkPosition): string {
  return `(${p.segmentId}, ${p.fileOffset})`;
}
