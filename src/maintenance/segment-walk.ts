/**
 * Walks every record of a segment file for the operator commands (info, ls, inspect, verify),
 * reading only: unlike recovery's scanSegment (src/segment/segment-scan.ts), which stops at the
 * first invalid record, this walk reports the damage and goes on from the next valid record
 * header, so one bad byte does not hide the rest of the file.
 *
 * Damage is judged by the rules of data-format.md §5.5 pass 3: an invalid record with no valid
 * record header after it is a torn tail when the file is the last segment of its generation (a
 * live writer may be mid-append there), and corruption anywhere else.
 *
 * Memory stays bounded: one record header (and with `withBody` one body, ≤ RECORD_BODY_BYTES_MAX)
 * at a time, and the search past damage reads fixed windows.
 */
import { crc32c } from '../codec/crc32c.js';
import { hex32 } from '../codec/little-endian.js';
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES } from '../constants.js';
import { readAt, type FileLayer } from '../io/file-layer.js';
import { findValidRecordAfter } from '../segment/segment-scan.js';
import { describeRecordHeaderProblem, readRecordHeader, type RecordHeader } from '../segment/record-header.js';

export interface WalkedRecord {
  kind: 'record';
  fileOffset: number;
  /** RECORD_HEADER_BYTES + bodyLength. */
  recordLength: number;
  header: RecordHeader;
  /** The body as stored, with `withBody`; null otherwise. */
  body: Uint8Array | null;
  /** Whether the body CRC matched, with `withBody`; null otherwise. */
  bodyCrcOk: boolean | null;
}

export interface WalkedDamage {
  kind: 'damage';
  /** Where the invalid bytes start. */
  fileOffset: number;
  /** Why they are invalid ("got …; want …"). */
  problem: string;
  /** The next valid record header, where the walk goes on; null when nothing valid follows. */
  nextOffset: number | null;
  /**
   * True for a torn tail: the last segment of its generation ends in bytes that hold no valid
   * record. Normal beside a live writer, and what recovery would cut away; not corruption.
   */
  torn: boolean;
  /** Bytes from fileOffset to nextOffset, or to the end of the file. */
  bytes: number;
}

export type WalkItem = WalkedRecord | WalkedDamage;

export interface WalkOptions {
  /** Only the last segment of a generation may end in a torn tail (§3.3). */
  isLastSegment: boolean;
  /** Read every body and check its CRC (inspect, verify --deep); otherwise headers only. */
  withBody: boolean;
}

/** The segment header of an open file, or why it is invalid: the record cursor's reading of it. */
export { readSegmentHeader as readSegmentHeaderOf } from '../segment/record-cursor.js';

/**
 * Yields the records and damaged stretches of the segment open as `fd`, in file order, from the
 * first record (offset 32) to `fileSize`. The segment header is the caller's (readSegmentHeaderOf).
 * A record whose header is valid but whose body CRC fails is yielded as a record with
 * `bodyCrcOk: false` (its header CRC vouches for its length, so the walk goes on right after it),
 * except at the very end of the last segment, where recovery would call it torn, and so does this.
 */
export function* walkSegmentRecords(fs: FileLayer, fd: number, path: string, fileSize: number, options: WalkOptions): Generator<WalkItem> {
  const scratch = new Uint8Array(RECORD_HEADER_BYTES);
  let offset = SEGMENT_HEADER_BYTES;
  while (offset < fileSize) {
    const item = readRecord(fs, fd, path, offset, fileSize, scratch, options.withBody);
    if (typeof item === 'string' || (item.bodyCrcOk === false && isTornEnd(item, fileSize, options))) {
      const problem = typeof item === 'string' ? item : `record bodyCrc got ${hex32(crc32c(item.body!))}; want ${hex32(item.header.bodyCrc)}`;
      const found = findValidRecordAfter(fs, fd, path, offset + 1, fileSize);
      const next = found === -1 ? null : found;
      const torn = next === null && options.isLastSegment;
      const why = next === null && !torn ? `${problem}; nothing valid follows, and only the last segment of a generation may have a torn tail` : problem;
      yield { kind: 'damage', fileOffset: offset, problem: why, nextOffset: next, torn, bytes: (next ?? fileSize) - offset };
      if (next === null) return;
      offset = next;
      continue;
    }
    yield item;
    offset += item.recordLength;
  }
}

function isTornEnd(record: WalkedRecord, fileSize: number, options: WalkOptions): boolean {
  return options.isLastSegment && record.fileOffset + record.recordLength === fileSize;
}

/** The record at `offset`, or why its header is invalid or its body is missing. */
function readRecord(
  fs: FileLayer,
  fd: number,
  path: string,
  offset: number,
  fileSize: number,
  scratch: Uint8Array,
  withBody: boolean,
): WalkedRecord | string {
  const remaining = fileSize - offset;
  if (remaining < RECORD_HEADER_BYTES) return `record header got ${remaining} bytes before end of file; want ${RECORD_HEADER_BYTES}`;
  const read = readAt(fs, fd, path, scratch, RECORD_HEADER_BYTES, offset);
  const problem = describeRecordHeaderProblem(scratch.subarray(0, read), 0);
  if (problem !== null) return problem;
  const header = readRecordHeader(scratch, 0, path, offset);
  const recordLength = RECORD_HEADER_BYTES + header.bodyLength;
  if (recordLength > remaining) return `record got ${remaining} bytes before end of file; want ${recordLength}`;
  if (!withBody) return { kind: 'record', fileOffset: offset, recordLength, header, body: null, bodyCrcOk: null };
  const body = new Uint8Array(header.bodyLength);
  const bodyRead = readAt(fs, fd, path, body, header.bodyLength, offset + RECORD_HEADER_BYTES);
  if (bodyRead < header.bodyLength) return `record body got ${bodyRead} bytes; want ${header.bodyLength}`;
  return { kind: 'record', fileOffset: offset, recordLength, header, body, bodyCrcOk: crc32c(body) === header.bodyCrc };
}

