/**
 * The read-only half of `tracekv repair`: walks one whole segment file record by record
 * (data-format.md §3.2) and decides what repair does with it. Nothing is written here.
 *
 * The decision follows recovery pass 3 (§5.5) so that repair fixes exactly what makes an open
 * fail or cut: damage in the last segment with no valid record header after it is a torn tail
 * (truncate); any other damage is mid-file corruption (salvage into a new file). A last segment of
 * at most 32 bytes without a valid header was being created and held nothing (remove).
 *
 * Salvage keeps only fully valid records (header, body present, body CRC), and after damage
 * searches forward byte by byte for the next such record, as the scan does for headers.
 * Memory stays bounded: one record at a time, and fixed windows for the search.
 */
import { crc32c } from '../codec/crc32c.js';
import { hex32, readU32LE } from '../codec/little-endian.js';
import { RECORD_HEADER_BYTES, RECORD_MAGIC, SCAN_WINDOW_BYTES, SEGMENT_HEADER_BYTES } from '../constants.js';
import { TraceKvError, ioError } from '../errors.js';
import { openFile, type FileLayer, sizeOfOpenFile } from '../io/file-layer.js';
import { describeRecordHeaderProblem, isRecordHeaderValid, readRecordHeader } from '../segment/record-header.js';
import { decodeSegmentHeader, type SegmentHeader } from '../segment/segment-header.js';

/** Windows overlap by one header minus a byte, so a header straddling two windows is seen whole. */
const WINDOW_OVERLAP_BYTES = RECORD_HEADER_BYTES - 1;
/** The first byte of every record header; the search jumps between its occurrences. */
const RECORD_MAGIC_FIRST_BYTE = RECORD_MAGIC & 0xff;
/** Where bodyLength and bodyCrc sit in a record header (§3.2). */
const BODY_LENGTH_AT = 8;
const BODY_CRC_AT = 20;

export type SegmentAction = 'none' | 'truncate' | 'salvage' | 'remove';

/**
 * - `segment-header`: the 32-byte segment header is damaged (salvage writes a fresh one).
 * - `damage`: invalid bytes with a valid record after them, or any damage in a segment that is not the last.
 * - `torn-tail`: invalid bytes at the end of the last segment with no valid record header after them.
 */
export type StretchKind = 'segment-header' | 'damage' | 'torn-tail';

export interface DamagedStretch {
  kind: StretchKind;
  offset: number;
  bytes: number;
  /** Why the bytes at `offset` are not a valid record, "got …; want …". */
  problem: string;
  /** spanCount of the record header at `offset` when that header is valid (body damaged or cut short); null otherwise. */
  spans: number | null;
  /** A whole record sits at `offset` (valid header, body present) and only its body CRC fails: it was written whole, then damaged. */
  wholeRecord: boolean;
}

export interface SegmentAnalysis {
  generationId: number;
  segmentId: number;
  path: string;
  isLast: boolean;
  fileBytes: number;
  /** The decoded segment header, or null when it is damaged. */
  header: SegmentHeader | null;
  action: SegmentAction;
  /** Valid records (and their spans) that stay in the file after repair. */
  recordsKept: number;
  spansKept: number;
  /** File length after repair: fileBytes when untouched, 0 when removed. */
  bytesAfter: number;
  damage: DamagedStretch[];
}

type RecordCheck =
  | { valid: true; recordLength: number; spans: number }
  | { valid: false; problem: string; spans: number | null; wholeRecord: boolean };

interface OpenSegment {
  fs: FileLayer;
  fd: number;
  path: string;
  fileBytes: number;
}

export function analyzeSegment(fs: FileLayer, path: string, ids: { generationId: number; segmentId: number }, isLast: boolean): SegmentAnalysis {
  const fd = openFile(fs, path, 'read');
  try {
    const fileBytes = sizeOfOpenFile(fs, fd, path);
    return walkSegment({ fs, fd, path, fileBytes }, { ...ids, path, isLast, fileBytes });
  } finally {
    fs.close(fd);
  }
}

function walkSegment(
  file: OpenSegment,
  base: Pick<SegmentAnalysis, 'generationId' | 'segmentId' | 'path' | 'isLast' | 'fileBytes'>,
): SegmentAnalysis {
  const { fileBytes } = file;
  const result: SegmentAnalysis = { ...base, header: null, action: 'none', recordsKept: 0, spansKept: 0, bytesAfter: fileBytes, damage: [] };
  const headerProblem = readSegmentHeader(file, result);
  if (headerProblem !== null) {
    const stretch = { offset: 0, bytes: Math.min(SEGMENT_HEADER_BYTES, fileBytes), problem: headerProblem, spans: null, wholeRecord: false };
    // §5.5 pass 3: the header is written and synced before any record, so such a file held nothing.
    if (base.isLast && fileBytes <= SEGMENT_HEADER_BYTES) {
      return { ...result, action: 'remove', bytesAfter: 0, damage: [{ kind: 'torn-tail', ...stretch }] };
    }
    result.action = 'salvage';
    result.damage.push({ kind: 'segment-header', ...stretch });
  }
  let keptBytes = 0;
  let offset = SEGMENT_HEADER_BYTES;
  const scratch = new Uint8Array(RECORD_HEADER_BYTES);
  while (offset < fileBytes) {
    const record = checkRecord(file, offset, scratch);
    if (record.valid) {
      result.recordsKept++;
      result.spansKept += record.spans;
      keptBytes += record.recordLength;
      offset += record.recordLength;
      continue;
    }
    const nothingValidAfter = base.isLast && findNextRecord(file, offset + 1, false) === -1;
    if (result.action === 'none' && nothingValidAfter) {
      result.action = 'truncate';
      result.bytesAfter = offset;
      result.damage.push({ kind: 'torn-tail', offset, bytes: fileBytes - offset, ...problemOf(record) });
      return result;
    }
    result.action = 'salvage';
    const next = nothingValidAfter ? -1 : findNextRecord(file, offset + 1, true);
    const end = next === -1 ? fileBytes : next;
    result.damage.push({ kind: nothingValidAfter ? 'torn-tail' : 'damage', offset, bytes: end - offset, ...problemOf(record) });
    offset = end;
  }
  if (result.action === 'salvage') result.bytesAfter = SEGMENT_HEADER_BYTES + keptBytes;
  return result;
}

function problemOf(record: RecordCheck & { valid: false }): Pick<DamagedStretch, 'problem' | 'spans' | 'wholeRecord'> {
  return { problem: record.problem, spans: record.spans, wholeRecord: record.wholeRecord };
}

/** Decodes the segment header into `result.header`; returns why it is damaged, or null. */
function readSegmentHeader(file: OpenSegment, result: SegmentAnalysis): string | null {
  const bytes = new Uint8Array(SEGMENT_HEADER_BYTES);
  const read = preadOrThrow(file, bytes, SEGMENT_HEADER_BYTES, 0);
  try {
    result.header = decodeSegmentHeader(bytes.subarray(0, read), file.path);
    return null;
  } catch (error) {
    if (!(error instanceof TraceKvError)) throw error;
    return error.message;
  }
}

/** Checks the record at `offset` as §3.2 defines valid (short of decompressing the body). */
function checkRecord(file: OpenSegment, offset: number, scratch: Uint8Array): RecordCheck {
  const remaining = file.fileBytes - offset;
  if (remaining < RECORD_HEADER_BYTES) {
    return invalid(`record header got ${remaining} bytes before end of file; want ${RECORD_HEADER_BYTES}`, null, false);
  }
  const read = preadOrThrow(file, scratch, RECORD_HEADER_BYTES, offset);
  const problem = describeRecordHeaderProblem(scratch.subarray(0, read), 0);
  if (problem !== null) return invalid(problem, null, false);
  const header = readRecordHeader(scratch, 0, file.path, offset);
  const recordLength = RECORD_HEADER_BYTES + header.bodyLength;
  if (recordLength > remaining) {
    return invalid(`record got ${remaining} bytes before end of file; want ${recordLength}`, header.spanCount, false);
  }
  const crc = bodyCrcAt(file, offset + RECORD_HEADER_BYTES, header.bodyLength);
  if (crc !== header.bodyCrc) {
    return invalid(`record bodyCrc got ${hex32(crc)}; want ${hex32(header.bodyCrc)}`, header.spanCount, true);
  }
  return { valid: true, recordLength, spans: header.spanCount };
}

function invalid(problem: string, spans: number | null, wholeRecord: boolean): RecordCheck {
  return { valid: false, problem, spans, wholeRecord };
}

function bodyCrcAt(file: OpenSegment, position: number, bodyLength: number): number {
  const body = new Uint8Array(bodyLength);
  const read = preadOrThrow(file, body, bodyLength, position);
  // A short read means the file shrank under us; the CRC of what is there will not match.
  return crc32c(body, 0, read);
}

/**
 * The first offset ≥ `from` holding a valid record header whose body fits in the file, or -1.
 * With `checkBody` the body CRC must match too (a record salvage can keep); without it, this is
 * recovery's test for "a valid record follows" (§5.5 pass 3), which decides torn tail vs corruption.
 */
function findNextRecord(file: OpenSegment, from: number, checkBody: boolean): number {
  const { fileBytes } = file;
  if (fileBytes - from < RECORD_HEADER_BYTES) return -1;
  const window = new Uint8Array(Math.min(SCAN_WINDOW_BYTES, fileBytes - from));
  let windowStart = from;
  for (;;) {
    const wanted = Math.min(window.length, fileBytes - windowStart);
    const read = preadOrThrow(file, window, wanted, windowStart);
    const bytes = window.subarray(0, read);
    const lastHeaderAt = read - RECORD_HEADER_BYTES;
    // indexOf is native and skips zero-filled or random stretches far faster than a JS loop.
    let at = bytes.indexOf(RECORD_MAGIC_FIRST_BYTE);
    while (at !== -1 && at <= lastHeaderAt) {
      if (isRecordHeaderValid(bytes, at)) {
        const bodyLength = readU32LE(bytes, at + BODY_LENGTH_AT);
        const bodyStart = windowStart + at + RECORD_HEADER_BYTES;
        const fits = bodyStart + bodyLength <= fileBytes;
        if (fits && (!checkBody || bodyCrcAt(file, bodyStart, bodyLength) === readU32LE(bytes, at + BODY_CRC_AT))) {
          return windowStart + at;
        }
      }
      at = bytes.indexOf(RECORD_MAGIC_FIRST_BYTE, at + 1);
    }
    if (windowStart + read >= fileBytes || read < wanted) return -1;
    windowStart += read - WINDOW_OVERLAP_BYTES;
  }
}

function preadOrThrow(file: OpenSegment, into: Uint8Array, length: number, position: number): number {
  try {
    return file.fs.pread(file.fd, into, 0, length, position);
  } catch (error) {
    throw ioError(file.path, 'pread', error);
  }
}
