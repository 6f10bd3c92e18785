/**
 * Recovery on open, as the numbered passes of data-format.md §5.5. Each pass logs one line and
 * adds to the report that stats() returns.
 */
import { SEGMENT_HEADER_BYTES } from '../constants.js';
import { TraceKvError, indexCorrupt, ioError, segmentCorrupt } from '../errors.js';
import { DELETING_SUFFIX, TMP_SUFFIX, join, parseGenerationDirName } from '../filenames.js';
import { freeBrokenPath } from '../io/file-layer.js';
import { ChunkFile } from '../index/chunk-file.js';
import { RecordCursor, describeDamage, type CursorRecord } from '../segment/record-cursor.js';
import { loadStoredBatch } from '../segment/stored-batch.js';
import type { RecoveryReport } from '../api/index.js';
import { FIRST_POSITION, Generation, comparePositions } from './generation.js';
import { listGenerationIds, readGenerationLayout } from './store-layout.js';
import type { StoreState } from './store-state.js';

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

  // Passes 3 and 4 are one walk per segment (data-format.md §5.5): each record the index does not
  // cover is read once, its body CRC checked once, and indexed as the walk passes it.
  for (const generation of state.generations) await reindexGeneration(state, generation, report);
  log(3, 'scan the tail of the last segment', { truncatedBytes: report.truncatedBytes, files: report.truncatedFiles });
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
  const generations: Generation[] = [];
  for (const id of listGenerationIds(rootDir, state.fs)) {
    generations.push(await loadGeneration(state, rootDir, id, report));
    report.generations++;
  }
  return generations;
}

async function loadGeneration(state: StoreState, rootDir: string, id: number, report: RecoveryReport): Promise<Generation> {
  const fs = state.fs;
  const layout = readGenerationLayout(rootDir, id, fs);
  const { meta, dir } = layout;
  const generation = new Generation(fs, rootDir, meta, state.options.indexFlushEntries);
  layout.segments.forEach((segment, i) => {
    if (segment.id !== i + 1) throw segmentCorrupt(generation.segmentPath(i + 1), 0, `segment ${i + 1} is missing; found ${segment.id} after it`);
  });
  generation.adoptSegments(layout.segments);
  report.segments += layout.segments.length;

  let broken = false;
  for (let i = 0; i < layout.chunks.length; i++) {
    const { seq, path } = layout.chunks[i]!;
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
        generation.adoptChunk(chunk);
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
  return generation;
}

/** Passes 3 and 4 for one generation: every record after the coverage of its last valid chunk. */
async function reindexGeneration(state: StoreState, generation: Generation, report: RecoveryReport): Promise<void> {
  const last = generation.lastSegmentId;
  const covered = generation.chunkCoverageEnd;
  if (last === 0) {
    if (comparePositions(covered, FIRST_POSITION) !== 0) {
      throw segmentCorrupt(generation.segmentPath(1), 0, 'the index covers records but no segment exists');
    }
    return;
  }
  if (covered.segmentId > last) {
    throw segmentCorrupt(generation.segmentPath(covered.segmentId), 0, 'the index covers a segment that is missing');
  }
  for (const segmentId of generation.segmentIds) {
    if (segmentId < covered.segmentId) continue;
    const fromOffset = segmentId === covered.segmentId ? covered.fileOffset : SEGMENT_HEADER_BYTES;
    await walkSegment(state, generation, segmentId, fromOffset, report);
  }
}

/**
 * Indexes the records of one segment from `fromOffset` on, through the record cursor. Damage is
 * fatal (ERR_SEGMENT_CORRUPT naming the file and offset), except a torn tail of the last segment,
 * which is cut (pass 3).
 */
async function walkSegment(state: StoreState, generation: Generation, segmentId: number, fromOffset: number, report: RecoveryReport): Promise<void> {
  const path = generation.segmentPath(segmentId);
  const size = generation.segmentEnd(segmentId);
  // A file shorter than its header is a torn creation (nothing in it was acknowledged) unless the
  // index covers records in it: then acknowledged bytes are gone.
  if (size < fromOffset && fromOffset > SEGMENT_HEADER_BYTES) {
    throw segmentCorrupt(path, size, `the index covers records up to offset ${fromOffset}; the file ends at ${size}`);
  }
  const cursor = RecordCursor.open(state.fs, path, { fromOffset, isLastSegment: segmentId === generation.lastSegmentId, bodies: true });
  let endOffset = 0;
  try {
    if (!cursor.tornCreation) {
      if (cursor.segmentHeader === null) throw segmentCorrupt(path, 0, cursor.segmentHeaderProblem!);
      endOffset = cursor.fileSize;
      for (let item = cursor.next(); item !== null; item = cursor.next()) {
        if (item.kind === 'record') {
          await reindexRecord(state, generation, segmentId, item, report);
        } else if (item.torn) {
          endOffset = item.fileOffset;
        } else {
          throw segmentCorrupt(path, item.fileOffset, describeDamage(item));
        }
      }
    }
  } finally {
    cursor.close();
  }
  const tornBytes = cursor.fileSize - endOffset;
  // A segment whose creation was torn may be empty: nothing to cut, but the file must still go, or
  // the next segment is created after it and a later full scan finds an empty segment mid-generation.
  if (tornBytes === 0 && endOffset >= SEGMENT_HEADER_BYTES) return;
  if (state.options.readOnly) {
    // Leave the bytes: a live writer may be finishing that record right now. Read up to the valid end.
    report.truncatedBytes += tornBytes;
    generation.setSegmentEnd(segmentId, endOffset);
    return;
  }
  await cutTornTail(state, generation, segmentId, endOffset, tornBytes, report);
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
      generation.dropLastSegment(segmentId);
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
  generation.setSegmentEnd(segmentId, endOffset);
}

/** Pass 4 for one record the cursor has read and CRC-checked: its trailer into the index tail. */
async function reindexRecord(state: StoreState, generation: Generation, segmentId: number, record: CursorRecord, report: RecoveryReport): Promise<void> {
  const path = generation.segmentPath(segmentId);
  const batch = await loadStoredBatch(record.header, record.body!, path, record.fileOffset, { bodyCrcChecked: true });
  if (generation.tailIsFull && !state.options.readOnly) {
    // Bound recovery memory: a long uncovered stretch is sealed chunk by chunk, as at run time.
    await generation.seal();
  }
  // The cursor checked the body CRC and loadStoredBatch made the record and batch headers agree,
  // so the batch header's time range is the record's.
  const entries = generation.publishRecord({ segmentId, fileOffset: record.fileOffset }, record.recordLength, batch);
  report.reindexedRecords++;
  report.reindexedSpans += batch.spanCount;
  report.reindexedEntries += entries;
}
