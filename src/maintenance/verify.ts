/**
 * `tracekv verify`: checks a store directory without the lock and without writing, so it may run
 * beside a live daemon.
 *
 * 1. Layout: generation metadata ids, segment ids and chunk sequence numbers without gaps (§5.1).
 * 2. Segments: the segment header and every record header (§3.1, §3.2), walking on past damage
 *    through the record cursor (§3.4);
 *    with `deep`, every body CRC, decompression, and the batch inside (§2.6) against its record.
 *    A torn tail of a generation's last segment is a warning: a live writer may be mid-append.
 * 3. Index: every chunk file's header, resident region and bucket CRCs (§4.3), its coverage
 *    chaining, and every entry against the record it points to (verify-index.ts).
 */
import { GENERATION_META_FILE, join } from '../filenames.js';
import { nodeFileLayer, type FileLayer } from '../io/file-layer.js';
import { describeDamage, RecordCursor, type CursorDamage } from '../segment/record-cursor.js';
import type { RecordHeader } from '../segment/record-header.js';
import { loadStoredBatch } from '../segment/stored-batch.js';
import { readStoreLayout, type GenerationLayout, type SegmentFile } from '../store/store-layout.js';
import { badBodyRecordOf } from './segment-summary.js';
import { verifyGenerationIndex, type GenerationRecords } from './verify-index.js';
import { VerifyReport } from './verify-report.js';

export type { VerifyCounters, VerifyProblem } from './verify-report.js';
export { VerifyReport } from './verify-report.js';

export const VERIFY_MAX_ERRORS_DEFAULT = 20;

export interface VerifyOptions {
  dir: string;
  /** Also check every body CRC, decompress every record and validate its batch. */
  deep?: boolean;
  /** Stop after this many problems. */
  maxErrors?: number;
  fileLayer?: FileLayer;
  /** Bytes of segments and chunk files checked so far, of `total`. */
  onProgress?: (done: number, total: number) => void;
}

/** Throws only for runtime failures (not a store, I/O errors); corruption is in the report. */
export async function verifyStore(options: VerifyOptions): Promise<VerifyReport> {
  const fs = options.fileLayer ?? nodeFileLayer;
  const deep = options.deep ?? false;
  return VerifyReport.collect(options.maxErrors ?? VERIFY_MAX_ERRORS_DEFAULT, async (report) => {
    let layout;
    try {
      layout = readStoreLayout(options.dir, fs);
    } catch (error) {
      // A damaged GENERATION file stops the listing: report it as the corruption it is.
      report.corruption(error, options.dir, 0);
      return;
    }
    const total = layout.generations.reduce(
      (sum, g) => sum + g.segments.reduce((s, x) => s + x.bytes, 0) + g.chunks.reduce((s, x) => s + x.bytes, 0),
      0,
    );
    let done = 0;
    const progressed = (bytes: number) => {
      done += bytes;
      options.onProgress?.(Math.min(done, total), total);
    };
    for (const generation of layout.generations) {
      report.counters.generations++;
      checkGenerationLayout(generation, report);
      const records: GenerationRecords = new Map();
      for (const [i, segment] of generation.segments.entries()) {
        const isLast = i === generation.segments.length - 1;
        records.set(segment.id, await verifySegment(fs, generation.id, segment, isLast, deep, report));
        progressed(segment.bytes);
      }
      await verifyGenerationIndex(fs, generation, records, report, progressed);
    }
  });
}

function checkGenerationLayout(generation: GenerationLayout, report: VerifyReport): void {
  const metaPath = join(generation.dir, GENERATION_META_FILE);
  if (generation.meta.generationId !== generation.id) {
    report.problem(metaPath, 8, `generationId got ${generation.meta.generationId}; want ${generation.id} (directory name)`);
  }
  generation.segments.forEach((segment, i) => {
    if (segment.id !== i + 1) report.problem(segment.path, 0, `segment id ${segment.id} found where ${i + 1} was expected: ids must run from 1 without gaps`);
  });
  generation.chunks.forEach((chunk, i) => {
    if (chunk.seq !== i + 1) report.problem(chunk.path, 0, `chunk seq ${chunk.seq} found where ${i + 1} was expected: seqs must run from 1 without gaps`);
  });
  for (const name of generation.others) {
    const path = join(generation.dir, name);
    if (name.endsWith('.tmp')) report.warning(path, 0, 'temporary file: a writer is mid-write, or the next open removes it');
    else if (name.endsWith('.broken')) report.warning(path, 0, 'index chunk set aside by recovery; its coverage was re-derived');
    else report.warning(path, 0, 'unknown file in a generation directory');
  }
}

/**
 * One segment: header, every record header, and with `deep` every body and batch. Returns the
 * valid records by offset (with their lengths), and whether the walk met damage, for the index
 * cross-check.
 */
async function verifySegment(
  fs: FileLayer,
  generationId: number,
  segment: SegmentFile,
  isLast: boolean,
  deep: boolean,
  report: VerifyReport,
): Promise<{ records: Map<number, number>; damaged: boolean }> {
  const records = new Map<number, number>();
  let damaged = false;
  const segmentFile = RecordCursor.open(fs, segment.path, { isLastSegment: isLast, bodies: deep });
  try {
    const { fileSize, segmentHeader: header, segmentHeaderProblem: headerProblem } = segmentFile;
    report.counters.segments++;
    report.counters.segmentBytes += fileSize;
    if (segmentFile.tornCreation) {
      report.warning(segment.path, 0, `segment creation torn (${fileSize} bytes, no valid header): it holds nothing acknowledged; the next open removes it`);
      report.counters.tornBytes += fileSize;
      return { records, damaged };
    }
    if (headerProblem !== null) report.problem(segment.path, 0, headerProblem);
    if (header !== null && header.generationId !== generationId) report.problem(segment.path, 8, `segment header generationId got ${header.generationId}; want ${generationId}`);
    if (header !== null && header.segmentId !== segment.id) report.problem(segment.path, 12, `segment header segmentId got ${header.segmentId}; want ${segment.id} (file name)`);
    for (let item = segmentFile.next(); item !== null; item = segmentFile.next()) {
      if (item.kind === 'record') {
        countRecord(item.fileOffset, item.recordLength, item.header, records, report);
        if (deep) await verifyRecordBody(segment.path, item.fileOffset, item.header, item.body!, report);
      } else if (badBodyRecordOf(item) !== null) {
        // (--deep only: bodies are read.) A whole record with a bad body is still a record: counted,
        // and named by its body CRC, as verify always has; the index cross-check finds its entries.
        countRecord(item.fileOffset, item.bytes, item.header!, records, report);
        report.problem(segment.path, item.fileOffset, item.problem);
      } else {
        damaged = reportDamage(segment.path, item, report) || damaged;
      }
    }
    return { records, damaged };
  } finally {
    segmentFile.close();
  }
}

function countRecord(fileOffset: number, recordLength: number, header: RecordHeader, records: Map<number, number>, report: VerifyReport): void {
  report.counters.records++;
  report.counters.spans += header.spanCount;
  records.set(fileOffset, recordLength);
}

/** A torn tail is a warning (a live writer may be mid-append); other damage is a problem. Returns whether it was a problem. */
function reportDamage(path: string, item: CursorDamage, report: VerifyReport): boolean {
  if (item.torn) {
    report.warning(path, item.fileOffset, `torn tail of ${item.bytes} bytes (${item.problem}): normal while a writer is appending; the next open cuts it`);
    report.counters.tornBytes += item.bytes;
    return false;
  }
  report.problem(path, item.fileOffset, describeDamage(item));
  return true;
}

/** --deep: decompression, and the batch against §2.6 (its batch CRC too) and its record header (§3.2). The cursor checked the body CRC. */
async function verifyRecordBody(path: string, fileOffset: number, header: RecordHeader, body: Uint8Array, report: VerifyReport): Promise<void> {
  try {
    await loadStoredBatch(header, body, path, fileOffset, { bodyCrcChecked: true, batchCrc: true });
  } catch (error) {
    report.corruption(error, path, fileOffset);
    return;
  }
  report.counters.recordsDecoded++;
}
