/**
 * Recovery pass 3 (data-format.md §5.5): walk a segment's records from a known-good offset, and at
 * the first invalid one decide between a torn tail (crash mid-append; only the last segment of a
 * generation may have one) and mid-file corruption (a valid record header exists further on).
 * Nothing is modified here: the caller truncates a torn tail through its FileLayer, and fails the
 * open on corruption.
 *
 * Memory stays bounded whatever the file size: records are read one at a time (each at most
 * RECORD_BODY_BYTES_MAX), and the search past damage reads fixed windows.
 */
import { crc32c } from '../codec/crc32c.js';
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES } from '../constants.js';
import { assert, segmentCorrupt, TraceKvError } from '../errors.js';
import { openFile, readAt, type FileLayer, sizeOfOpenFile } from '../io/file-layer.js';
import { hex32 } from '../codec/little-endian.js';
import { describeRecordHeaderProblem, readRecordHeader, type RecordHeader } from './record-header.js';
import { decodeSegmentHeader, type SegmentHeader } from './segment-header.js';
import { findRecordHeaderAfter } from './record-cursor.js';

import { SCAN_WINDOW_BYTES } from '../constants.js';
export { SCAN_WINDOW_BYTES };

export interface ScannedRecord {
  fileOffset: number;
  /** RECORD_HEADER_BYTES + bodyLength: the index entry's recordLength. */
  recordLength: number;
  header: RecordHeader;
}

export interface ScanOptions {
  /** Offset of the first record to check (the index coverage end); 0..32 means the first record. */
  fromOffset: number;
  /** Only the last segment of a generation may end in a torn tail (§3.3). */
  isLastSegment: boolean;
  /** Called for every valid record, header and body CRC checked, in file order. `body` is the
   * callee's to keep (a fresh buffer per record, as stored: decompress with decodeRecordBody). */
  onRecord?: (record: ScannedRecord, body: Uint8Array) => void;
}

export interface ScanResult {
  /**
   * End of the last valid record: the length the file should have. 0 means the segment header
   * itself is incomplete (a crash while creating the last segment): the whole file is torn.
   */
  endOffset: number;
  /** fileSize − endOffset: bytes of a torn tail, 0 for a clean file. */
  tornBytes: number;
  fileSize: number;
  /** The decoded segment header, or null when endOffset is 0. The caller checks its ids. */
  header: SegmentHeader | null;
}

/**
 * Scans `path` from `options.fromOffset` to its end. Throws ERR_SEGMENT_CORRUPT for mid-file
 * corruption (naming the first invalid record's offset), for any damage in a segment that is not
 * the last, and for a bad segment header; ERR_IO on read errors. onRecord's errors propagate.
 */
export function scanSegment(fs: FileLayer, path: string, options: ScanOptions): ScanResult {
  assert(Number.isSafeInteger(options.fromOffset) && options.fromOffset >= 0, `fromOffset ${options.fromOffset} invalid`);
  const fd = openFile(fs, path, 'read');
  try {
    return scanOpenSegment(fs, fd, path, options);
  } finally {
    try {
      fs.close(fd);
    } catch {
      // A read-only fd: nothing can be lost, and the scan's own outcome is what matters.
    }
  }
}

function scanOpenSegment(fs: FileLayer, fd: number, path: string, options: ScanOptions): ScanResult {
  const fileSize = sizeOfOpenFile(fs, fd, path);
  const headerBytes = new Uint8Array(SEGMENT_HEADER_BYTES);
  const headerRead = readAt(fs, fd, path, headerBytes, SEGMENT_HEADER_BYTES, 0);
  let header: SegmentHeader;
  try {
    header = decodeSegmentHeader(headerBytes.subarray(0, headerRead), path);
  } catch (error) {
    // Creation writes and syncs the header before any record is written (§3.3), so a last segment
    // with no whole header holds nothing that was ever acknowledged.
    const firstRecordWanted = options.fromOffset <= SEGMENT_HEADER_BYTES;
    if (options.isLastSegment && firstRecordWanted && fileSize <= SEGMENT_HEADER_BYTES && error instanceof TraceKvError) {
      return { endOffset: 0, tornBytes: fileSize, fileSize, header: null };
    }
    throw error;
  }
  let offset = Math.max(options.fromOffset, SEGMENT_HEADER_BYTES);
  if (offset > fileSize) {
    throw segmentCorrupt(path, offset, `scan starts past the end: file size got ${fileSize}; want ≥ ${offset}`);
  }
  const scratch = new Uint8Array(RECORD_HEADER_BYTES);
  while (offset < fileSize) {
    const record = readScannedRecord(fs, fd, path, offset, fileSize, scratch);
    if (typeof record === 'string') return judgeInvalidRecord(fs, fd, path, options, offset, fileSize, record, header);
    options.onRecord?.(record.scanned, record.body);
    offset += record.scanned.recordLength;
  }
  return { endOffset: fileSize, tornBytes: 0, fileSize, header };
}

/** The record at `offset` with its body CRC checked, or why it is invalid ("got …; want …"). */
function readScannedRecord(
  fs: FileLayer,
  fd: number,
  path: string,
  offset: number,
  fileSize: number,
  scratch: Uint8Array,
): { scanned: ScannedRecord; body: Uint8Array } | string {
  const remaining = fileSize - offset;
  if (remaining < RECORD_HEADER_BYTES) {
    return `record header got ${remaining} bytes before end of file; want ${RECORD_HEADER_BYTES}`;
  }
  const headerRead = readAt(fs, fd, path, scratch, RECORD_HEADER_BYTES, offset);
  const problem = describeRecordHeaderProblem(scratch.subarray(0, headerRead), 0);
  if (problem !== null) return problem;
  const header = readRecordHeader(scratch, 0, path, offset);
  const recordLength = RECORD_HEADER_BYTES + header.bodyLength;
  if (recordLength > remaining) {
    return `record got ${remaining} bytes before end of file; want ${recordLength}`;
  }
  const body = new Uint8Array(header.bodyLength);
  const bodyRead = readAt(fs, fd, path, body, header.bodyLength, offset + RECORD_HEADER_BYTES);
  if (bodyRead < header.bodyLength) {
    return `record body got ${bodyRead} bytes; want ${header.bodyLength}`;
  }
  const crc = crc32c(body);
  if (crc !== header.bodyCrc) return `record bodyCrc got ${hex32(crc)}; want ${hex32(header.bodyCrc)}`;
  return { scanned: { fileOffset: offset, recordLength, header }, body };
}

/** §5.5 pass 3: a torn tail if nothing valid follows the damage in the last segment, else corruption. */
function judgeInvalidRecord(
  fs: FileLayer,
  fd: number,
  path: string,
  options: ScanOptions,
  invalidOffset: number,
  fileSize: number,
  problem: string,
  header: SegmentHeader,
): ScanResult {
  const validOffset = findRecordHeaderAfter(fs, fd, path, invalidOffset + 1, fileSize);
  if (validOffset !== -1) {
    throw segmentCorrupt(path, invalidOffset, `invalid record (${problem}); a valid record follows at offset ${validOffset}`);
  }
  if (!options.isLastSegment) {
    throw segmentCorrupt(
      path,
      invalidOffset,
      `invalid record (${problem}); only the last segment of a generation may have a torn tail`,
    );
  }
  return { endOffset: invalidOffset, tornBytes: fileSize - invalidOffset, fileSize, header };
}

/** The search past damage is the record cursor's (data-format.md §3.4), so the walkers agree. */
export { findRecordHeaderAfter as findValidRecordAfter } from './record-cursor.js';
