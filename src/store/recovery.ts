/**
 * Recovery on open, as the numbered passes of data-format.md §5.5. Each pass logs one line and
 * adds to the report that stats() returns.
 */
import { BATCH_BYTES_LIMIT, BATCH_HEADER_BYTES, BATCH_SPANS_LIMIT, SEGMENT_HEADER_BYTES, TRAILER_ENTRY_BYTES } from '../constants.js';
import { TraceKvError, indexCorrupt, ioError, segmentCorrupt } from '../errors.js';
import {
  DELETING_SUFFIX,
  GENERATION_META_FILE,
  generationDirName,
  TMP_SUFFIX,
  join,
  parseChunkFileName,
  parseGenerationDirName,
  parseSegmentFileName,
} from '../filenames.js';
import { validateBatch } from '../batch/validate.js';
import { freeBrokenPath, withFile } from '../io/file-layer.js';
import { ChunkFile } from '../index/chunk-file.js';
import { decodeRecordBody } from '../segment/record-codec.js';
import { readRecordAt } from '../segment/segment-reader.js';
import { scanSegment, type ScannedRecord } from '../segment/segment-scan.js';
import { FIRST_POSITION, Generation, comparePositions } from './generation.js';
import { sealTail } from './index-sealer.js';
import { decodeGenerationMeta } from './meta-files.js';
import type { StoreState } from './store-state.js';

export interface RecoveryReport {
  removedTempFiles: number;
  droppedDeletingGenerations: number;
  generations: number;
  segments: number;
  chunks: number;
  /** Chunk files that failed their checks and were renamed to `.broken`; their coverage was re-derived. */
  brokenChunks: string[];
  truncatedBytes: number;
  /** Files whose torn tail was cut (read-only: would be cut), or removed when not even their header was complete. */
  truncatedFiles: string[];
  reindexedRecords: number;
  reindexedSpans: number;
  reindexedEntries: number;
  durationMs: number;
}

const STORED_BATCH_LIMITS = { batchBytesMax: BATCH_BYTES_LIMIT, batchSpansMax: BATCH_SPANS_LIMIT };

export async function recover(state: StoreState, rootDir: string): Promise<RecoveryReport> {
  const started = performance.now();
  const report: RecoveryReport = {
    removedTempFiles: 0,
    droppedDeletingGenerations: 0,
    generations: 0,
    segments: 0,
    chunks: 0,
    brokenChunks: [],
    truncatedBytes: 0,
    truncatedFiles: [],
    reindexedRecords: 0,
    reindexedSpans: 0,
    reindexedEntries: 0,
    durationMs: 0,
  };
  const log = (pass: number, name: string, detail: Record<string, unknown>) =>
    state.options.logger({ event: 'recovery_pass', pass, name, ...detail });

  // Read-only (a CLI beside a live daemon): every pass runs, but nothing on disk changes.
  const readOnly = state.options.readOnly;
  if (!readOnly) await removeTemporaries(state, rootDir, report);
  log(1, 'remove temporary files', { removed: report.removedTempFiles, droppedGenerations: report.droppedDeletingGenerations });

  state.generations = await loadGenerations(state, rootDir, report);
  log(2, 'load generations and segments', { generations: report.generations, segments: report.segments, chunks: report.chunks, brokenChunks: report.brokenChunks });

  const tails = new Map<Generation, ScannedRecord[]>();
  for (const generation of state.generations) tails.set(generation, await scanLastSegment(state, generation, report));
  log(3, 'scan the tail of the last segment', { truncatedBytes: report.truncatedBytes, files: report.truncatedFiles });

  for (const generation of state.generations) await reindex(state, generation, tails.get(generation)!, report);
  log(4, 're-derive index entries', { records: report.reindexedRecords, spans: report.reindexedSpans, entries: report.reindexedEntries });

  report.durationMs = performance.now() - started;
  return report;
}

function tryList(state: StoreState, dir: string): string[] {
  try {
    return state.fs.readdir(dir);
  } catch (error) {
    throw ioError(dir, 'readdir', error);
  }
}

/** Pass 1. */
async function removeTemporaries(state: StoreState, rootDir: string, report: RecoveryReport): Promise<void> {
  const fs = state.fs;
  let rootChanged = false;
  for (const name of tryList(state, rootDir)) {
    if (name.endsWith(TMP_SUFFIX) || name.endsWith(DELETING_SUFFIX)) {
      fs.removeTree(join(rootDir, name));
      if (name.endsWith(DELETING_SUFFIX)) report.droppedDeletingGenerations++;
      else report.removedTempFiles++;
      rootChanged = true;
      continue;
    }
    if (parseGenerationDirName(name) === null) continue;
    const dir = join(rootDir, name);
    let changed = false;
    for (const inner of tryList(state, dir)) {
      if (!inner.endsWith(TMP_SUFFIX)) continue;
      fs.unlink(join(dir, inner));
      report.removedTempFiles++;
      changed = true;
    }
    if (changed) await fs.fsyncDir(dir);
  }
  if (rootChanged) await fs.fsyncDir(rootDir);
}

/** Pass 2. */
async function loadGenerations(state: StoreState, rootDir: string, report: RecoveryReport): Promise<Generation[]> {
  const ids = tryList(state, rootDir)
    .map(parseGenerationDirName)
    .filter((id): id is number => id !== null)
    .sort((a, b) => a - b);
  const generations: Generation[] = [];
  for (const id of ids) {
    const generation = await loadGeneration(state, rootDir, id, report);
    generations.push(generation);
    report.generations++;
  }
  return generations;
}

async function loadGeneration(state: StoreState, rootDir: string, id: number, report: RecoveryReport): Promise<Generation> {
  const fs = state.fs;
  const dir = join(rootDir, generationDirName(id));
  const metaPath = join(dir, GENERATION_META_FILE);
  const metaBytes = fs.readFile(metaPath);
  if (metaBytes === null) {
    throw new TraceKvError('ERR_GENERATION_CORRUPT', `${metaPath} is missing`, { file: metaPath });
  }
  const meta = decodeGenerationMeta(metaBytes, metaPath);
  if (meta.generationId !== id) {
    throw new TraceKvError('ERR_GENERATION_CORRUPT', `${metaPath}: generationId got ${meta.generationId}; want ${id}`, { file: metaPath, offset: 8 });
  }
  const generation = new Generation(fs, rootDir, meta, state.options.indexFlushEntries);
  const names = tryList(state, dir);
  const segmentIds = names.map(parseSegmentFileName).filter((n): n is number => n !== null).sort((a, b) => a - b);
  segmentIds.forEach((segmentId, i) => {
    if (segmentId !== i + 1) throw segmentCorrupt(generation.segmentPath(i + 1), 0, `segment ${i + 1} is missing; found ${segmentId} after it`);
  });
  generation.segmentIds = segmentIds;
  for (const segmentId of segmentIds) generation.segmentBytes.set(segmentId, fileSize(state, generation.segmentPath(segmentId)));
  report.segments += segmentIds.length;

  const chunkSeqs = names.map(parseChunkFileName).filter((n): n is number => n !== null).sort((a, b) => a - b);
  let broken = false;
  for (let i = 0; i < chunkSeqs.length; i++) {
    const seq = chunkSeqs[i]!;
    const path = generation.chunkPath(seq);
    if (!broken) {
      try {
        if (seq !== i + 1) throw indexCorrupt(path, 0, `chunk ${i + 1} is missing`);
        const chunk = ChunkFile.open(fs, path, { generationId: id, chunkSeq: seq, partitionCount: meta.partitionCount });
        try {
          // Every bucket CRC, not just the resident region: damage found now is re-derived from
          // the segments; found by a read later, it could only fail that read.
          chunk.verifyBuckets();
          if (comparePositions(chunk.from, generation.chunkCoverageEnd) !== 0) {
            throw indexCorrupt(path, 24, 'coverage does not start where the previous chunk ended');
          }
        } catch (error) {
          chunk.close();
          throw error;
        }
        generation.chunks.push(chunk);
        generation.chunkCoverageEnd = chunk.to;
        if (chunk.entryCount > 0) generation.noteStartTimes(chunk.minStartTimeUnixNano, chunk.maxStartTimeUnixNano);
        report.chunks++;
        continue;
      } catch (error) {
        if (!(error instanceof TraceKvError) || error.code !== 'ERR_INDEX_CORRUPT') throw error;
        state.options.logger({ event: 'index_chunk_broken', file: path, error: error.message });
        broken = true;
      }
    }
    // The index is derived data: set the bad chunk and all later ones aside, re-derive them in pass 4.
    if (!state.options.readOnly) fs.rename(path, freeBrokenPath(fs, path));
    report.brokenChunks.push(path);
  }
  if (broken && !state.options.readOnly) await fs.fsyncDir(dir);
  generation.indexedThrough = generation.chunkCoverageEnd;
  return generation;
}

function fileSize(state: StoreState, path: string): number {
  return withFile(state.fs, path, 'read', (fd) => state.fs.size(fd));
}

/** Pass 3: returns the valid records of the last segment that the index does not cover yet. */
async function scanLastSegment(state: StoreState, generation: Generation, report: RecoveryReport): Promise<ScannedRecord[]> {
  const last = generation.lastSegmentId;
  const covered = generation.chunkCoverageEnd;
  if (last === 0) {
    if (comparePositions(covered, FIRST_POSITION) !== 0) {
      throw segmentCorrupt(generation.segmentPath(1), 0, 'the index covers records but no segment exists');
    }
    return [];
  }
  if (covered.segmentId > last) {
    throw segmentCorrupt(generation.segmentPath(covered.segmentId), 0, 'the index covers a segment that is missing');
  }
  const path = generation.segmentPath(last);
  const fromOffset = covered.segmentId === last ? covered.fileOffset : SEGMENT_HEADER_BYTES;
  const size = generation.segmentBytes.get(last)!;
  // A file shorter than its header is a torn creation (nothing in it was acknowledged) unless the
  // index covers records in it: then acknowledged bytes are gone.
  if (size < fromOffset && fromOffset > SEGMENT_HEADER_BYTES) {
    throw segmentCorrupt(path, size, `the index covers records up to offset ${fromOffset}; the file ends at ${size}`);
  }
  const records: ScannedRecord[] = [];
  const result = scanSegment(state.fs, path, { fromOffset, isLastSegment: true, onRecord: (record) => records.push(record) });
  // A segment whose creation was torn may be empty: nothing to cut, but the file must still go, or
  // the next segment is created after it and a later full scan finds an empty segment mid-generation.
  const torn = result.tornBytes > 0 || result.endOffset < SEGMENT_HEADER_BYTES;
  if (torn && state.options.readOnly) {
    // Leave the bytes: a live writer may be finishing that record right now. Read up to the valid end.
    report.truncatedBytes += result.tornBytes;
    generation.segmentBytes.set(last, result.endOffset);
  } else if (torn) {
    await cutTornTail(state, generation, last, result.endOffset, result.tornBytes, report);
  }
  return records;
}

async function cutTornTail(
  state: StoreState,
  generation: Generation,
  segmentId: number,
  endOffset: number,
  tornBytes: number,
  report: RecoveryReport,
): Promise<void> {
  const fs = state.fs;
  const path = generation.segmentPath(segmentId);
  report.truncatedBytes += tornBytes;
  report.truncatedFiles.push(path);
  state.options.logger({ event: 'torn_tail', file: path, offset: endOffset, bytes: tornBytes });
  try {
    if (endOffset < SEGMENT_HEADER_BYTES) {
      // Not even the segment header is complete: the segment was being created; nothing in it was acknowledged.
      fs.unlink(path);
      generation.segmentIds.pop();
      generation.segmentBytes.delete(segmentId);
      await fs.fsyncDir(generation.dirPath);
      return;
    }
    const fd = fs.open(path, 'append');
    try {
      fs.truncate(fd, endOffset);
      await fs.fdatasync(fd);
    } finally {
      fs.close(fd);
    }
  } catch (error) {
    throw ioError(path, 'truncate torn tail', error);
  }
  generation.segmentBytes.set(segmentId, endOffset);
}

/** Pass 4: indexes every record after the coverage of the last valid chunk. */
async function reindex(state: StoreState, generation: Generation, lastSegmentRecords: ScannedRecord[], report: RecoveryReport): Promise<void> {
  const start = generation.chunkCoverageEnd;
  for (const segmentId of generation.segmentIds) {
    if (segmentId < start.segmentId) continue;
    const isLast = segmentId === generation.lastSegmentId;
    let records = lastSegmentRecords;
    if (!isLast) {
      records = [];
      const fromOffset = segmentId === start.segmentId ? start.fileOffset : SEGMENT_HEADER_BYTES;
      scanSegment(state.fs, generation.segmentPath(segmentId), { fromOffset, isLastSegment: false, onRecord: (r) => records.push(r) });
    }
    for (const record of records) await reindexRecord(state, generation, segmentId, record, report);
  }
}

async function reindexRecord(state: StoreState, generation: Generation, segmentId: number, record: ScannedRecord, report: RecoveryReport): Promise<void> {
  const fs = state.fs;
  const path = generation.segmentPath(segmentId);
  const { header, body } = readRecordAt(fs, generation.readFd(segmentId), path, record.fileOffset, record.recordLength);
  const batch = await decodeRecordBody(header, body, path, record.fileOffset);
  let batchHeader;
  try {
    batchHeader = validateBatch(batch, STORED_BATCH_LIMITS);
  } catch (error) {
    throw segmentCorrupt(path, record.fileOffset, `stored batch is invalid: ${(error as Error).message}`);
  }
  if (batchHeader.spanCount !== header.spanCount) {
    throw segmentCorrupt(path, record.fileOffset, `record says ${header.spanCount} spans; its batch holds ${batchHeader.spanCount}`);
  }
  if (generation.tail.isFull && !state.options.readOnly) {
    // Bound recovery memory: a long uncovered stretch is sealed chunk by chunk, as at run time.
    await sealTail(fs, generation, state.options.indexFlushEntries);
  }
  const tail = generation.tail;
  const entriesBefore = tail.entryCount;
  tail.beginRecord(segmentId, record.fileOffset, record.recordLength, header.minStartTimeUnixNano, header.maxStartTimeUnixNano);
  const trailerStart = BATCH_HEADER_BYTES + batchHeader.commonLength + batchHeader.spansLength;
  for (let i = 0; i < batchHeader.spanCount; i++) tail.addSpan(batch, trailerStart + i * TRAILER_ENTRY_BYTES);
  tail.endRecord();
  generation.noteStartTimes(header.minStartTimeUnixNano, header.maxStartTimeUnixNano);
  generation.indexedThrough = { segmentId, fileOffset: record.fileOffset + record.recordLength };
  report.reindexedRecords++;
  report.reindexedSpans += batchHeader.spanCount;
  report.reindexedEntries += tail.entryCount - entriesBefore;
}
