/**
 * The one walker of a segment file's records (data-format.md §3.2, §5.5). Recovery, verify,
 * inspect, info, ls, dump and repair all read segments through it, so they cannot disagree on what
 * is a record, where a walk goes on after damage, or what is a torn tail.
 *
 * It yields, in file order, valid records and damaged stretches, one item per `next()` call; the
 * caller pauses by not calling it. Its rules (data-format.md §3.4):
 * - A record is valid when its header is (record-header.ts), its whole body is in the file, and,
 *   when the cursor reads bodies, the body CRC matches.
 * - **Resync**: after an invalid record at offset X, the walk goes on at the first offset > X that
 *   holds a valid record header whose body fits in the file. Bodies are not CRC-checked by the
 *   search: a valid header is already 2^-32 unlikely by chance. The record found there is then read
 *   like any other, and may itself be damage. The stretch [X, that offset) is one damage item.
 * - **Torn tail**: damage with nothing valid after it, in the last segment of its generation. A crash
 *   mid-append leaves exactly that: only bytes after the last acknowledged record, which never lead
 *   to a valid record header. A record whose header is valid but whose body CRC fails is judged by
 *   the same rule as any other damage, whether or not it is whole. Damage with nothing valid after
 *   it anywhere else is corruption.
 * - A segment header that does not decode is reported by `segmentHeaderProblem`; when the file is
 *   the last segment and at most 32 bytes long, its creation was torn (`tornCreation`), because the
 *   header is synced before any record is written.
 *
 * Memory stays bounded whatever the file size: one record (≤ RECORD_BODY_BYTES_MAX) at a time, and
 * the search past damage reads SCAN_WINDOW_BYTES windows.
 */
import { crc32c } from '../codec/crc32c.js';
import { hex32, readU32LE } from '../codec/little-endian.js';
import { RECORD_HEADER_BYTES, RECORD_MAGIC, SCAN_WINDOW_BYTES, SEGMENT_HEADER_BYTES } from '../constants.js';
import { assert, TraceKvError } from '../errors.js';
import { openFile, readAt, sizeOfOpenFile, type FileLayer } from '../io/file-layer.js';
import { describeRecordHeaderProblem, isRecordHeaderValid, readRecordHeader, RECORD_BODY_LENGTH_AT, type RecordHeader } from './record-header.js';
import { decodeSegmentHeader, type SegmentHeader } from './segment-header.js';

/** Windows overlap by one header minus a byte, so a header straddling two windows is seen whole. */
const WINDOW_OVERLAP_BYTES = RECORD_HEADER_BYTES - 1;
/** The first byte of every record header; the search jumps between its occurrences. */
const RECORD_MAGIC_FIRST_BYTE = RECORD_MAGIC & 0xff;

export interface CursorRecord {
  kind: 'record';
  fileOffset: number;
  /** RECORD_HEADER_BYTES + bodyLength: the index entry's recordLength. */
  recordLength: number;
  header: RecordHeader;
  /** With `bodies`: the body as stored, its CRC checked, a fresh buffer the caller may keep. Null otherwise. */
  body: Uint8Array | null;
}

export interface CursorDamage {
  kind: 'damage';
  /** Where the invalid bytes start. */
  fileOffset: number;
  /** Bytes from fileOffset to nextOffset, or to the end of the file. */
  bytes: number;
  /** Why the bytes at fileOffset are not a valid record ("got …; want …"). */
  problem: string;
  /** The resync point: the next valid record header, where the walk goes on; null when nothing valid follows. */
  nextOffset: number | null;
  /** Nothing valid follows and this is the last segment: a torn tail (§5.5), not corruption. */
  torn: boolean;
  /** The record header at fileOffset when it is valid (its body is cut short or fails its CRC); null otherwise. */
  header: RecordHeader | null;
  /** A valid header and its whole body are there, and only the body CRC fails: written whole, then damaged. */
  wholeRecord: boolean;
}

export type CursorItem = CursorRecord | CursorDamage;

export interface RecordCursorOptions {
  /** Only the last segment of a generation may end in a torn tail (§3.3). */
  isLastSegment: boolean;
  /** Read every body and check its CRC (recovery, verify --deep, inspect, dump, repair); otherwise headers only. */
  bodies: boolean;
  /** Offset of the first record to read; SEGMENT_HEADER_BYTES (the default) means the first record. */
  fromOffset?: number;
}

export class RecordCursor implements Iterable<CursorItem> {
  readonly path: string;
  readonly fileSize: number;
  /** The decoded segment header, or null when it is damaged (see segmentHeaderProblem). */
  readonly segmentHeader: SegmentHeader | null;
  /** Why the segment header does not decode ("got …; want …"), or null. */
  readonly segmentHeaderProblem: string | null;
  private offset: number;
  private done = false;
  private readonly scratch = new Uint8Array(RECORD_HEADER_BYTES);

  /**
   * A cursor over the segment open as `fd`, which stays the caller's. Reads the segment header now.
   * Throws ERR_SEGMENT_CORRUPT when a fromOffset past the first record lies past the end of the file,
   * ERR_IO on a read error.
   */
  constructor(
    private readonly fs: FileLayer,
    private readonly fd: number,
    path: string,
    private readonly options: RecordCursorOptions,
  ) {
    this.path = path;
    this.fileSize = sizeOfOpenFile(fs, fd, path);
    const from = options.fromOffset ?? SEGMENT_HEADER_BYTES;
    assert(Number.isSafeInteger(from) && from >= SEGMENT_HEADER_BYTES, `fromOffset ${from} invalid`);
    const decoded = readSegmentHeader(fs, fd, path);
    this.segmentHeader = decoded.header;
    this.segmentHeaderProblem = decoded.problem;
    this.offset = from;
    // A file shorter than its segment header holds no record: a walk from the first record has
    // nothing to read, and segmentHeaderProblem says why. Any later start past the end means the
    // caller's offset (an index's coverage end) points at bytes the file does not have.
    if (from > this.fileSize && from > SEGMENT_HEADER_BYTES) {
      throw new TraceKvError('ERR_SEGMENT_CORRUPT', `${path} at offset ${from}: walk starts past the end: file size got ${this.fileSize}; want ≥ ${from}`, {
        file: path,
        offset: from,
      });
    }
  }

  /** Opens `path` read-only for one walk; close() closes the file. */
  static open(fs: FileLayer, path: string, options: RecordCursorOptions): OwnedRecordCursor {
    const fd = openFile(fs, path, 'read');
    try {
      return new OwnedRecordCursor(fs, fd, path, options);
    } catch (error) {
      closeQuietly(fs, fd);
      throw error;
    }
  }

  /**
   * A last segment of at most 32 bytes whose segment header does not decode: its creation was torn
   * (the header is synced before any record is written), so it never held anything acknowledged.
   */
  get tornCreation(): boolean {
    return this.segmentHeader === null && this.options.isLastSegment && this.fileSize <= SEGMENT_HEADER_BYTES;
  }

  /** Where the next item starts: after the last record, the end of the valid data once the walk is done. */
  get position(): number {
    return this.offset;
  }

  /** The next record or damaged stretch, or null at the end of the file (or after a damage item with nothing valid after it). */
  next(): CursorItem | null {
    if (this.done || this.offset >= this.fileSize) {
      this.done = true;
      return null;
    }
    const at = this.offset;
    const item = this.readRecord(at);
    if (item.kind === 'record') {
      this.offset = at + item.recordLength;
      return item;
    }
    const found = findRecordHeaderAfter(this.fs, this.fd, this.path, at + 1, this.fileSize);
    item.nextOffset = found === -1 ? null : found;
    item.torn = found === -1 && this.options.isLastSegment;
    item.bytes = (found === -1 ? this.fileSize : found) - at;
    if (found === -1) this.done = true;
    else this.offset = found;
    return item;
  }

  *[Symbol.iterator](): Iterator<CursorItem> {
    for (let item = this.next(); item !== null; item = this.next()) yield item;
  }

  /** The record at `at`, or a damage item whose resync fields next() fills in. */
  private readRecord(at: number): CursorRecord | CursorDamage {
    const remaining = this.fileSize - at;
    if (remaining < RECORD_HEADER_BYTES) {
      return damage(at, `record header got ${remaining} bytes before end of file; want ${RECORD_HEADER_BYTES}`, null, false);
    }
    const read = readAt(this.fs, this.fd, this.path, this.scratch, RECORD_HEADER_BYTES, at);
    const problem = describeRecordHeaderProblem(this.scratch.subarray(0, read), 0);
    if (problem !== null) return damage(at, problem, null, false);
    const header = readRecordHeader(this.scratch, 0, this.path, at);
    const recordLength = RECORD_HEADER_BYTES + header.bodyLength;
    if (recordLength > remaining) return damage(at, `record got ${remaining} bytes before end of file; want ${recordLength}`, header, false);
    if (!this.options.bodies) return { kind: 'record', fileOffset: at, recordLength, header, body: null };
    const body = new Uint8Array(header.bodyLength);
    const bodyRead = readAt(this.fs, this.fd, this.path, body, header.bodyLength, at + RECORD_HEADER_BYTES);
    // A short read means the file shrank under us (a live writer cannot do that; a truncation can).
    if (bodyRead < header.bodyLength) return damage(at, `record body got ${bodyRead} bytes; want ${header.bodyLength}`, header, false);
    const crc = crc32c(body);
    if (crc !== header.bodyCrc) return damage(at, `record bodyCrc got ${hex32(crc)}; want ${hex32(header.bodyCrc)}`, header, true);
    return { kind: 'record', fileOffset: at, recordLength, header, body };
  }
}

/** A cursor that owns its file descriptor. */
export class OwnedRecordCursor extends RecordCursor {
  private readonly owned: { fs: FileLayer; fd: number };

  constructor(fs: FileLayer, fd: number, path: string, options: RecordCursorOptions) {
    super(fs, fd, path, options);
    this.owned = { fs, fd };
  }

  /** Closes the file. A read-only fd: nothing can be lost, so a close error is dropped. */
  close(): void {
    closeQuietly(this.owned.fs, this.owned.fd);
  }
}

/**
 * The one sentence every command uses to say what a damage item means: a torn tail, damage the
 * walk got past, or damage at the end of a segment that may not have a tail.
 */
export function describeDamage(item: CursorDamage): string {
  if (item.torn) return `invalid record (${item.problem}); nothing valid follows: a torn tail`;
  if (item.nextOffset !== null) return `invalid record (${item.problem}); a valid record follows at offset ${item.nextOffset}`;
  return `invalid record (${item.problem}); nothing valid follows, and only the last segment of a generation may have a torn tail`;
}

function damage(fileOffset: number, problem: string, header: RecordHeader | null, wholeRecord: boolean): CursorDamage {
  return { kind: 'damage', fileOffset, bytes: 0, problem, nextOffset: null, torn: false, header, wholeRecord };
}

/** The segment header of an open file, or why it does not decode (without the file and offset, which the caller names). */
export function readSegmentHeader(fs: FileLayer, fd: number, path: string): { header: SegmentHeader | null; problem: string | null } {
  const bytes = new Uint8Array(SEGMENT_HEADER_BYTES);
  const read = readAt(fs, fd, path, bytes, SEGMENT_HEADER_BYTES, 0);
  try {
    return { header: decodeSegmentHeader(bytes.subarray(0, read), path), problem: null };
  } catch (error) {
    if (!(error instanceof TraceKvError)) throw error;
    const prefix = `${path} at offset 0: `;
    return { header: null, problem: error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message };
  }
}

/** The first offset ≥ `from` holding a valid record header whose body fits in the file, or -1. */
export function findRecordHeaderAfter(fs: FileLayer, fd: number, path: string, from: number, fileSize: number): number {
  if (fileSize - from < RECORD_HEADER_BYTES) return -1;
  const window = new Uint8Array(Math.min(SCAN_WINDOW_BYTES, fileSize - from));
  let windowStart = from;
  for (;;) {
    const wanted = Math.min(window.length, fileSize - windowStart);
    const read = readAt(fs, fd, path, window, wanted, windowStart);
    const bytes = window.subarray(0, read);
    const lastHeaderAt = read - RECORD_HEADER_BYTES;
    // indexOf is native and skips zero-filled or random stretches far faster than a JS loop.
    let at = bytes.indexOf(RECORD_MAGIC_FIRST_BYTE);
    while (at !== -1 && at <= lastHeaderAt) {
      if (isRecordHeaderValid(bytes, at)) {
        const recordEnd = windowStart + at + RECORD_HEADER_BYTES + readU32LE(bytes, at + RECORD_BODY_LENGTH_AT);
        if (recordEnd <= fileSize) return windowStart + at;
      }
      at = bytes.indexOf(RECORD_MAGIC_FIRST_BYTE, at + 1);
    }
    // Stop at end of file, or if it shrank under us (nothing more to read).
    if (windowStart + read >= fileSize || read < wanted) return -1;
    windowStart += read - WINDOW_OVERLAP_BYTES;
  }
}

function closeQuietly(fs: FileLayer, fd: number): void {
  try {
    fs.close(fd);
  } catch {
    // A read-only fd: nothing can be lost, and the walk's own outcome is what matters.
  }
}
