/**
 * The writing half of `tracekv repair`. Nothing durable is edited in place (STYLE habit 4), with
 * one exception shared with recovery: cutting a torn tail, bytes that were never acknowledged.
 * Every other change is a new file written whole, fsynced, then renamed into place, with the
 * directory fsynced after each step that must survive a crash.
 */
import { RECORD_HEADER_BYTES, SCAN_WINDOW_BYTES, SEGMENT_HEADER_BYTES } from '../constants.js';
import { assert, ioError, segmentCorrupt } from '../errors.js';
import { TMP_SUFFIX } from '../filenames.js';
import { openFile, readAt, type FileLayer } from '../io/file-layer.js';
import { RecordCursor, type CursorRecord } from '../segment/record-cursor.js';
import { writeRecordHeader } from '../segment/record-header.js';
import { SegmentWriter } from '../segment/segment-writer.js';
import type { SegmentAnalysis } from './repair-scan.js';

/**
 * Copies `from` to the new file `to` byte for byte and fdatasyncs it; the caller fsyncs the
 * directory. On failure the partial copy is removed: a `.broken` file must be the whole original.
 */
export async function copyFileDurably(fs: FileLayer, from: string, to: string): Promise<void> {
  const source = openFile(fs, from, 'read');
  try {
    const target = openFile(fs, to, 'create-exclusive');
    try {
      await copyAndSync(fs, source, from, target, to);
    } catch (error) {
      closeQuietly(fs, target);
      try {
        fs.unlink(to);
      } catch {
        // The copy error is the one to report; a leftover partial copy is named in it.
      }
      throw error;
    }
    fs.close(target);
  } finally {
    fs.close(source);
  }
}

async function copyAndSync(fs: FileLayer, source: number, from: string, target: number, to: string): Promise<void> {
  const window = new Uint8Array(SCAN_WINDOW_BYTES);
  for (let position = 0; ; ) {
    const read = readAt(fs, source, from, window, window.length, position);
    if (read === 0) break;
    writeOrThrow(fs, target, to, window.subarray(0, read), position);
    position += read;
  }
  try {
    await fs.fdatasync(target);
  } catch (error) {
    throw ioError(to, 'fdatasync', error);
  }
}

function closeQuietly(fs: FileLayer, fd: number): void {
  try {
    fs.close(fd);
  } catch {
    // Already failing; the first error is the one to report.
  }
}

/**
 * Writes the valid records of `analysis.path` (every byte outside its damaged stretches) into
 * `<path>.tmp`, behind a fresh segment header with the same ids, and syncs it. Records keep their
 * bytes; only their offsets change. Returns the tmp path; the caller renames it over the segment.
 */
export async function writeSalvagedSegment(fs: FileLayer, analysis: SegmentAnalysis, clockMs: number): Promise<string> {
  const tmpPath = analysis.path + TMP_SUFFIX;
  // A leftover of an interrupted repair: we hold the lock, so no one else is writing it.
  if (fs.exists(tmpPath)) unlinkOrThrow(fs, tmpPath);
  const createdAtMs = analysis.header?.createdAtMs ?? clockMs;
  try {
    const writer = await SegmentWriter.create(fs, tmpPath, { generationId: analysis.generationId, segmentId: analysis.segmentId, createdAtMs });
    try {
      copyKeptRecords(fs, analysis, writer);
      await writer.sync();
    } finally {
      writer.close();
    }
    checkSalvagedSegment(fs, analysis, tmpPath);
  } catch (error) {
    // Recovery would remove the tmp file on the next open anyway; leave nothing half-written behind.
    try {
      if (fs.exists(tmpPath)) fs.unlink(tmpPath);
    } catch {
      // The write error is the one to report.
    }
    throw error;
  }
  return tmpPath;
}

/**
 * Walks the damaged file again with the record cursor and appends every record the analysis kept.
 * Under the lock the file cannot have changed, so a walk that meets damage the analysis did not
 * list is reported rather than copied.
 */
function copyKeptRecords(fs: FileLayer, analysis: SegmentAnalysis, writer: SegmentWriter): void {
  // A non-last segment shorter than its header: nothing to walk, nothing kept.
  if (analysis.fileBytes <= SEGMENT_HEADER_BYTES) return;
  const dropped = new Set(analysis.damage.filter((stretch) => stretch.kind !== 'segment-header').map((stretch) => stretch.offset));
  const cursor = RecordCursor.open(fs, analysis.path, { isLastSegment: analysis.isLast, bodies: true });
  try {
    for (const item of cursor) {
      // Damage, or a record whose batch does not load: the analysis lists both by their offset.
      if (dropped.has(item.fileOffset)) continue;
      if (item.kind === 'damage') throw segmentCorrupt(analysis.path, item.fileOffset, `changed while being repaired: ${item.problem}`);
      writer.append(storedRecord(item));
    }
  } finally {
    cursor.close();
  }
}

/**
 * The record as stored: its header re-encoded, byte-identical since a valid header has no free
 * bits (§3.2: flags and reserved are 0, the CRC is computed), and the body the cursor CRC-checked.
 */
function storedRecord(record: CursorRecord): Uint8Array {
  const bytes = new Uint8Array(record.recordLength);
  writeRecordHeader(bytes, 0, record.header);
  bytes.set(record.body!, RECORD_HEADER_BYTES);
  return bytes;
}

/** Reads the new file back as recovery will: every record valid, as many as planned. */
function checkSalvagedSegment(fs: FileLayer, analysis: SegmentAnalysis, tmpPath: string): void {
  let records = 0;
  const cursor = RecordCursor.open(fs, tmpPath, { isLastSegment: false, bodies: true });
  try {
    assert(cursor.segmentHeader !== null, `salvaged ${tmpPath} has a bad segment header: ${cursor.segmentHeaderProblem}`);
    for (const item of cursor) {
      assert(item.kind === 'record', `salvaged ${tmpPath} is damaged at offset ${item.fileOffset}`);
      records++;
    }
    assert(records === analysis.recordsKept, `salvaged ${tmpPath} holds ${records} records; want ${analysis.recordsKept}`);
    assert(cursor.position === analysis.bytesAfter, `salvaged ${tmpPath} ends at ${cursor.position}; want ${analysis.bytesAfter}`);
  } finally {
    cursor.close();
  }
}

/** Cuts a torn tail, the one in-place change (as recovery does on open), and syncs the file. */
export async function truncateSegment(fs: FileLayer, path: string, length: number): Promise<void> {
  const fd = openFile(fs, path, 'append');
  try {
    fs.truncate(fd, length);
    await fs.fdatasync(fd);
  } catch (error) {
    throw ioError(path, 'truncate torn tail', error);
  } finally {
    fs.close(fd);
  }
}

export function unlinkOrThrow(fs: FileLayer, path: string): void {
  try {
    fs.unlink(path);
  } catch (error) {
    throw ioError(path, 'unlink', error);
  }
}

export function renameOrThrow(fs: FileLayer, from: string, to: string): void {
  try {
    fs.rename(from, to);
  } catch (error) {
    throw ioError(from, `rename to ${to}`, error);
  }
}

export async function fsyncDirOrThrow(fs: FileLayer, dir: string): Promise<void> {
  try {
    await fs.fsyncDir(dir);
  } catch (error) {
    throw ioError(dir, 'fsync directory', error);
  }
}


function writeOrThrow(fs: FileLayer, fd: number, path: string, bytes: Uint8Array, position: number): void {
  try {
    fs.write(fd, bytes, 0, bytes.length, position);
  } catch (error) {
    throw ioError(path, 'write', error);
  }
}
