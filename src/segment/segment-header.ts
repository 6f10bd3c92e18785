/**
 * The 32-byte header at offset 0 of every segment file (data-format.md §3.1). It ties the file to
 * its generation and id, so a segment copied or renamed into the wrong place is caught on open.
 */
import { crc32c } from '../codec/crc32c.js';
import { SEGMENT_FORMAT_VERSION, SEGMENT_HEADER_BYTES, SEGMENT_MAGIC } from '../constants.js';
import { assert, segmentCorrupt } from '../errors.js';
import { hex32, isU32, readU16LE, readU32LE, writeU16LE, writeU32LE } from '../codec/little-endian.js';

export interface SegmentHeader {
  generationId: number;
  segmentId: number;
  /** Wall clock at creation, ms since the epoch; kept a number, so it must be a safe integer. */
  createdAtMs: number;
}

/** Bytes [0, 28) are covered by the CRC stored at 28 (§3.1). */
const HEADER_CRC_AT = 28;
const TWO_POW_32 = 0x1_0000_0000;
/** createdAtMs's high u32 word above this would not fit a JS number exactly (2^53 − 1). */
const SAFE_HIGH_WORD_MAX = 0x1f_ffff;

export function encodeSegmentHeader(header: SegmentHeader): Uint8Array {
  assert(isU32(header.generationId), `generationId ${header.generationId} is not a u32`);
  assert(isU32(header.segmentId), `segmentId ${header.segmentId} is not a u32`);
  assert(
    Number.isSafeInteger(header.createdAtMs) && header.createdAtMs >= 0,
    `createdAtMs ${header.createdAtMs} is not a non-negative safe integer`,
  );
  const bytes = new Uint8Array(SEGMENT_HEADER_BYTES);
  writeU32LE(bytes, 0, SEGMENT_MAGIC);
  writeU16LE(bytes, 4, SEGMENT_FORMAT_VERSION);
  writeU16LE(bytes, 6, 0);
  writeU32LE(bytes, 8, header.generationId);
  writeU32LE(bytes, 12, header.segmentId);
  writeU32LE(bytes, 16, header.createdAtMs % TWO_POW_32);
  writeU32LE(bytes, 20, Math.floor(header.createdAtMs / TWO_POW_32));
  writeU32LE(bytes, 24, 0);
  writeU32LE(bytes, HEADER_CRC_AT, crc32c(bytes, 0, HEADER_CRC_AT));
  return bytes;
}

/** Every failure is ERR_SEGMENT_CORRUPT at offset 0 of `file`; the CRC is checked before any field. */
export function decodeSegmentHeader(bytes: Uint8Array, file: string): SegmentHeader {
  const fail = (problem: string) => segmentCorrupt(file, 0, `segment header: ${problem}`);
  if (bytes.length < SEGMENT_HEADER_BYTES) {
    throw fail(`got ${bytes.length} bytes; want ${SEGMENT_HEADER_BYTES}`);
  }
  // The CRC comes first: a header that fails it tells nothing trustworthy about its fields.
  const crcStored = readU32LE(bytes, HEADER_CRC_AT);
  const crcComputed = crc32c(bytes, 0, HEADER_CRC_AT);
  if (crcStored !== crcComputed) throw fail(`headerCrc got ${hex32(crcStored)}; want ${hex32(crcComputed)}`);
  const magic = readU32LE(bytes, 0);
  if (magic !== SEGMENT_MAGIC) throw fail(`magic got ${hex32(magic)}; want ${hex32(SEGMENT_MAGIC)}`);
  const version = readU16LE(bytes, 4);
  if (version !== SEGMENT_FORMAT_VERSION) throw fail(`version got ${version}; want ${SEGMENT_FORMAT_VERSION}`);
  const flags = readU16LE(bytes, 6);
  if (flags !== 0) throw fail(`flags got ${flags}; want 0`);
  const reserved = readU32LE(bytes, 24);
  if (reserved !== 0) throw fail(`reserved got ${reserved}; want 0`);
  const createdLow = readU32LE(bytes, 16);
  const createdHigh = readU32LE(bytes, 20);
  if (createdHigh > SAFE_HIGH_WORD_MAX) {
    throw fail(`createdAtMs high word got ${hex32(createdHigh)}; want ≤ ${hex32(SAFE_HIGH_WORD_MAX)}`);
  }
  return {
    generationId: readU32LE(bytes, 8),
    segmentId: readU32LE(bytes, 12),
    createdAtMs: createdHigh * TWO_POW_32 + createdLow,
  };
}
