/**
 * The 48-byte header in front of every record body (data-format.md §3.2). Its CRC covers the
 * lengths, so a damaged length is reported as corruption and never read as a short (torn) record.
 *
 * One field checker serves both readers: `readRecordHeader` (throws with got/want) and
 * `isRecordHeaderValid` (recovery calls it at every byte offset after damage, so it allocates
 * nothing until the cheap checks pass and the CRC has to be computed).
 */
import { crc32c } from '../codec/crc32c.js';
import {
  BATCH_BYTES_LIMIT,
  BATCH_SPANS_LIMIT,
  CODEC_NONE,
  CODEC_ZSTD,
  RECORD_FORMAT_VERSION,
  RECORD_HEADER_BYTES,
  RECORD_MAGIC,
  UNIX_NANO_MAX,
} from '../constants.js';
import { assert, segmentCorrupt } from '../errors.js';
import { hex32, isU32, readU16LE, readU32LE, readU64LE, writeU16LE, writeU32LE, writeU64LE } from '../codec/little-endian.js';

export interface RecordHeader {
  codec: number;
  /** Bytes of the stored body after the header. */
  bodyLength: number;
  /** Bytes of the batch once decompressed. */
  rawLength: number;
  spanCount: number;
  /** CRC of the body as stored. */
  bodyCrc: number;
  minStartTimeUnixNano: bigint;
  maxStartTimeUnixNano: bigint;
}

import { RECORD_BODY_BYTES_MAX } from '../constants.js';
export { RECORD_BODY_BYTES_MAX };

/** Bytes [0, 44) are covered by the CRC stored at 44 (§3.2). */
const HEADER_CRC_AT = 44;
/** Where bodyLength sits in a record header (§3.2), for the search past damage that reads headers in place. */
export const RECORD_BODY_LENGTH_AT = 8;

// Why a field check failed. Numbers, not strings, so the scanning path allocates nothing.
const OK = 0;
const BAD_MAGIC = 1;
const BAD_VERSION = 2;
const BAD_CODEC = 3;
const BAD_FLAGS = 4;
const BAD_RESERVED = 5;
const BAD_BODY_LENGTH = 6;
const BAD_RAW_LENGTH = 7;
const BAD_RAW_LENGTH_FOR_NONE = 8;
const BAD_SPAN_COUNT = 9;
const BAD_TIME_RANGE = 10;
const BAD_CRC = 11;

/** The field checks, in an order that rejects random bytes at the first (magic) compare. */
function headerProblem(bytes: Uint8Array, at: number): number {
  if (readU32LE(bytes, at) !== RECORD_MAGIC) return BAD_MAGIC;
  if (bytes[at + 4] !== RECORD_FORMAT_VERSION) return BAD_VERSION;
  const codec = bytes[at + 5];
  if (codec !== CODEC_NONE && codec !== CODEC_ZSTD) return BAD_CODEC;
  if (readU16LE(bytes, at + 6) !== 0) return BAD_FLAGS;
  if (readU32LE(bytes, at + 40) !== 0) return BAD_RESERVED;
  const bodyLength = readU32LE(bytes, at + RECORD_BODY_LENGTH_AT);
  const rawLength = readU32LE(bytes, at + 12);
  if (bodyLength > RECORD_BODY_BYTES_MAX) return BAD_BODY_LENGTH;
  if (rawLength > BATCH_BYTES_LIMIT) return BAD_RAW_LENGTH;
  if (codec === CODEC_NONE && rawLength !== bodyLength) return BAD_RAW_LENGTH_FOR_NONE;
  const spanCount = readU32LE(bytes, at + 16);
  if (spanCount < 1 || spanCount > BATCH_SPANS_LIMIT) return BAD_SPAN_COUNT;
  // min ≤ max on the u64s, compared as (high, low) u32 pairs to stay free of bigints.
  const minHigh = readU32LE(bytes, at + 28);
  const maxHigh = readU32LE(bytes, at + 36);
  if (minHigh > maxHigh || (minHigh === maxHigh && readU32LE(bytes, at + 24) > readU32LE(bytes, at + 32))) {
    return BAD_TIME_RANGE;
  }
  if (readU32LE(bytes, at + HEADER_CRC_AT) !== crc32c(bytes, at, at + HEADER_CRC_AT)) return BAD_CRC;
  return OK;
}

/**
 * True when the 48 bytes at `at` are a valid record header by §3.2 (everything but the body, which
 * the caller checks against the file). Never throws; false when fewer than 48 bytes remain.
 */
export function isRecordHeaderValid(bytes: Uint8Array, at: number): boolean {
  if (at < 0 || bytes.length - at < RECORD_HEADER_BYTES) return false;
  return headerProblem(bytes, at) === OK;
}

/** Why the header at `at` is invalid, as "got …; want …", or null when it is valid. */
export function describeRecordHeaderProblem(bytes: Uint8Array, at: number): string | null {
  const available = bytes.length - at;
  if (available < RECORD_HEADER_BYTES) return `record header got ${available} bytes; want ${RECORD_HEADER_BYTES}`;
  const u32 = (offset: number) => readU32LE(bytes, at + offset);
  switch (headerProblem(bytes, at)) {
    case OK:
      return null;
    case BAD_MAGIC:
      return `record magic got ${hex32(u32(0))}; want ${hex32(RECORD_MAGIC)}`;
    case BAD_VERSION:
      return `record version got ${bytes[at + 4]}; want ${RECORD_FORMAT_VERSION}`;
    case BAD_CODEC:
      return `record codec got ${bytes[at + 5]}; want ${CODEC_NONE} or ${CODEC_ZSTD}`;
    case BAD_FLAGS:
      return `record flags got ${readU16LE(bytes, at + 6)}; want 0`;
    case BAD_RESERVED:
      return `record reserved got ${u32(40)}; want 0`;
    case BAD_BODY_LENGTH:
      return `record bodyLength got ${u32(8)}; want ≤ ${RECORD_BODY_BYTES_MAX}`;
    case BAD_RAW_LENGTH:
      return `record rawLength got ${u32(12)}; want ≤ ${BATCH_BYTES_LIMIT}`;
    case BAD_RAW_LENGTH_FOR_NONE:
      return `record rawLength got ${u32(12)}; want bodyLength ${u32(8)} for codec ${CODEC_NONE}`;
    case BAD_SPAN_COUNT:
      return `record spanCount got ${u32(16)}; want 1..${BATCH_SPANS_LIMIT}`;
    case BAD_TIME_RANGE:
      return `record minStartTimeUnixNano ${readU64LE(bytes, at + 24)} > maxStartTimeUnixNano ${readU64LE(bytes, at + 32)}; want min ≤ max`;
    case BAD_CRC:
      return `record headerCrc got ${hex32(u32(HEADER_CRC_AT))}; want ${hex32(crc32c(bytes, at, at + HEADER_CRC_AT))}`;
    default:
      assert(false, 'unhandled record header problem code');
  }
}

/**
 * Reads and validates the header at `bytes[at]`. `fileOffset` is where those bytes sit in `file`,
 * for the error. Throws ERR_SEGMENT_CORRUPT; the body is the caller's to check (decodeRecordBody).
 */
export function readRecordHeader(bytes: Uint8Array, at: number, file: string, fileOffset: number): RecordHeader {
  const problem = describeRecordHeaderProblem(bytes, at);
  if (problem !== null) throw segmentCorrupt(file, fileOffset, problem);
  return {
    codec: bytes[at + 5],
    bodyLength: readU32LE(bytes, at + 8),
    rawLength: readU32LE(bytes, at + 12),
    spanCount: readU32LE(bytes, at + 16),
    bodyCrc: readU32LE(bytes, at + 20),
    minStartTimeUnixNano: readU64LE(bytes, at + 24),
    maxStartTimeUnixNano: readU64LE(bytes, at + 32),
  };
}

/** Writes all 48 bytes (reserved zeroed, CRC computed). A header that breaks §3.2 is a caller bug. */
export function writeRecordHeader(into: Uint8Array, at: number, header: RecordHeader): void {
  writeRecordHeaderFields(
    into,
    at,
    header.codec,
    header.bodyLength,
    header.rawLength,
    header.spanCount,
    header.bodyCrc,
    header.minStartTimeUnixNano,
    header.maxStartTimeUnixNano,
  );
}

/** writeRecordHeader without the header object, for the append path. */
export function writeRecordHeaderFields(
  into: Uint8Array,
  at: number,
  codec: number,
  bodyLength: number,
  rawLength: number,
  spanCount: number,
  bodyCrc: number,
  minStart: bigint,
  maxStart: bigint,
): void {
  assert(at >= 0 && into.length - at >= RECORD_HEADER_BYTES, `record header at ${at} does not fit ${into.length} bytes`);
  assert(codec === CODEC_NONE || codec === CODEC_ZSTD, `record codec ${codec} unknown`);
  assert(isU32(bodyLength) && bodyLength <= RECORD_BODY_BYTES_MAX, `record bodyLength ${bodyLength} out of range`);
  assert(isU32(rawLength) && rawLength <= BATCH_BYTES_LIMIT, `record rawLength ${rawLength} out of range`);
  assert(codec !== CODEC_NONE || rawLength === bodyLength, 'codec none needs rawLength = bodyLength');
  assert(Number.isInteger(spanCount) && spanCount >= 1 && spanCount <= BATCH_SPANS_LIMIT, `record spanCount ${spanCount} out of range`);
  assert(isU32(bodyCrc), `record bodyCrc ${bodyCrc} is not a u32`);
  assert(minStart >= 0n && minStart <= maxStart && maxStart <= UNIX_NANO_MAX, `record time range ${minStart}..${maxStart} invalid`);
  writeU32LE(into, at, RECORD_MAGIC);
  into[at + 4] = RECORD_FORMAT_VERSION;
  into[at + 5] = codec;
  writeU16LE(into, at + 6, 0);
  writeU32LE(into, at + 8, bodyLength);
  writeU32LE(into, at + 12, rawLength);
  writeU32LE(into, at + 16, spanCount);
  writeU32LE(into, at + 20, bodyCrc);
  writeU64LE(into, at + 24, minStart);
  writeU64LE(into, at + 32, maxStart);
  writeU32LE(into, at + 40, 0);
  writeU32LE(into, at + HEADER_CRC_AT, crc32c(into, at, at + HEADER_CRC_AT));
}
