/**
 * The 64-byte header of an index chunk file (data-format.md §4.3), both directions. On read every
 * field is checked before any of it is used: a length or count from disk decides nothing until the
 * header CRC has matched and the values are consistent.
 */
import { CHUNK_FORMAT_VERSION, CHUNK_HEADER_BYTES, CHUNK_MAGIC, UNIX_NANO_MAX } from '../constants.js';
import { crc32c } from '../codec/crc32c.js';
import { hex32 } from '../codec/little-endian.js';
import { indexCorrupt } from '../errors.js';
import {
  HEADER_CHUNK_SEQ_AT,
  HEADER_CRC_AT,
  HEADER_ENTRY_COUNT_AT,
  HEADER_FLAGS_AT,
  HEADER_FROM_FILE_OFFSET_AT,
  HEADER_FROM_SEGMENT_ID_AT,
  HEADER_GENERATION_ID_AT,
  HEADER_MAGIC_AT,
  HEADER_MAX_START_AT,
  HEADER_MIN_START_AT,
  HEADER_PARTITION_COUNT_AT,
  HEADER_RESIDENT_CRC_AT,
  HEADER_TO_FILE_OFFSET_AT,
  HEADER_TO_SEGMENT_ID_AT,
  HEADER_VERSION_AT,
  type ChunkPosition,
} from './chunk-format.js';

/** What the caller knows the file must be: from the catalog (§5.2) and the file name. */
export interface ChunkExpectation {
  readonly generationId: number;
  readonly chunkSeq: number;
  readonly partitionCount: number;
}

export interface ChunkHeader {
  readonly generationId: number;
  readonly chunkSeq: number;
  readonly partitionCount: number;
  readonly entryCount: number;
  readonly from: ChunkPosition;
  readonly to: ChunkPosition;
  readonly minStartTimeUnixNano: bigint;
  readonly maxStartTimeUnixNano: bigint;
  readonly residentCrc: number;
}

export function decodeChunkHeader(path: string, header: Uint8Array, expected: ChunkExpectation): ChunkHeader {
  const view = new DataView(header.buffer, header.byteOffset, CHUNK_HEADER_BYTES);
  const u32 = (at: number): number => view.getUint32(at, true);
  const mismatch = (at: number, field: string, got: number | bigint | string, want: number | bigint | string): Error =>
    indexCorrupt(path, at, `${field} got ${got}; want ${want}`);

  if (u32(HEADER_MAGIC_AT) !== CHUNK_MAGIC) throw mismatch(HEADER_MAGIC_AT, 'magic', hex32(u32(HEADER_MAGIC_AT)), hex32(CHUNK_MAGIC));
  const crcGot = crc32c(header, 0, HEADER_CRC_AT);
  if (crcGot !== u32(HEADER_CRC_AT)) throw mismatch(HEADER_CRC_AT, 'header CRC of [0, 60)', hex32(crcGot), `${hex32(u32(HEADER_CRC_AT))} (stored)`);
  const version = view.getUint16(HEADER_VERSION_AT, true);
  if (version !== CHUNK_FORMAT_VERSION) throw mismatch(HEADER_VERSION_AT, 'version', version, CHUNK_FORMAT_VERSION);
  const flags = view.getUint16(HEADER_FLAGS_AT, true);
  if (flags !== 0) throw mismatch(HEADER_FLAGS_AT, 'flags', hex32(flags), 0);
  const generationId = u32(HEADER_GENERATION_ID_AT);
  if (generationId !== expected.generationId) throw mismatch(HEADER_GENERATION_ID_AT, 'generationId', generationId, expected.generationId);
  const chunkSeq = u32(HEADER_CHUNK_SEQ_AT);
  if (chunkSeq !== expected.chunkSeq) throw mismatch(HEADER_CHUNK_SEQ_AT, 'chunkSeq', chunkSeq, `${expected.chunkSeq} (file name)`);
  const partitionCount = u32(HEADER_PARTITION_COUNT_AT);
  if (partitionCount !== expected.partitionCount) {
    throw mismatch(HEADER_PARTITION_COUNT_AT, 'partitionCount', partitionCount, `${expected.partitionCount} (generation metadata)`);
  }
  const entryCount = u32(HEADER_ENTRY_COUNT_AT);
  const from = { segmentId: u32(HEADER_FROM_SEGMENT_ID_AT), fileOffset: u32(HEADER_FROM_FILE_OFFSET_AT) };
  const to = { segmentId: u32(HEADER_TO_SEGMENT_ID_AT), fileOffset: u32(HEADER_TO_FILE_OFFSET_AT) };
  if (from.segmentId > to.segmentId || (from.segmentId === to.segmentId && from.fileOffset > to.fileOffset)) {
    throw mismatch(HEADER_TO_SEGMENT_ID_AT, 'coverage end', position(to), `≥ coverage start ${position(from)}`);
  }
  const minStart = view.getBigUint64(HEADER_MIN_START_AT, true);
  const maxStart = view.getBigUint64(HEADER_MAX_START_AT, true);
  if (entryCount === 0 && minStart !== UNIX_NANO_MAX) throw mismatch(HEADER_MIN_START_AT, 'minStartTimeUnixNano of an empty chunk', minStart, UNIX_NANO_MAX);
  if (entryCount === 0 && maxStart !== 0n) throw mismatch(HEADER_MAX_START_AT, 'maxStartTimeUnixNano of an empty chunk', maxStart, 0);
  if (entryCount !== 0 && minStart > maxStart) throw mismatch(HEADER_MAX_START_AT, 'maxStartTimeUnixNano', maxStart, `≥ min ${minStart}`);
  return Object.freeze({
    generationId,
    chunkSeq,
    partitionCount,
    entryCount,
    from: Object.freeze(from),
    to: Object.freeze(to),
    minStartTimeUnixNano: minStart,
    maxStartTimeUnixNano: maxStart,
    residentCrc: u32(HEADER_RESIDENT_CRC_AT),
  });
}

/** Writes every header field and the header CRC into bytes [0, 64) of `into`. */
export function writeChunkHeader(into: Uint8Array, header: ChunkHeader): void {
  const view = new DataView(into.buffer, into.byteOffset, CHUNK_HEADER_BYTES);
  view.setUint32(HEADER_MAGIC_AT, CHUNK_MAGIC, true);
  view.setUint16(HEADER_VERSION_AT, CHUNK_FORMAT_VERSION, true);
  view.setUint16(HEADER_FLAGS_AT, 0, true);
  view.setUint32(HEADER_GENERATION_ID_AT, header.generationId, true);
  view.setUint32(HEADER_CHUNK_SEQ_AT, header.chunkSeq, true);
  view.setUint32(HEADER_PARTITION_COUNT_AT, header.partitionCount, true);
  view.setUint32(HEADER_ENTRY_COUNT_AT, header.entryCount, true);
  view.setUint32(HEADER_FROM_SEGMENT_ID_AT, header.from.segmentId, true);
  view.setUint32(HEADER_FROM_FILE_OFFSET_AT, header.from.fileOffset, true);
  view.setUint32(HEADER_TO_SEGMENT_ID_AT, header.to.segmentId, true);
  view.setUint32(HEADER_TO_FILE_OFFSET_AT, header.to.fileOffset, true);
  view.setBigUint64(HEADER_MIN_START_AT, header.minStartTimeUnixNano, true);
  view.setBigUint64(HEADER_MAX_START_AT, header.maxStartTimeUnixNano, true);
  view.setUint32(HEADER_RESIDENT_CRC_AT, header.residentCrc, true);
  view.setUint32(HEADER_CRC_AT, crc32c(into, 0, HEADER_CRC_AT), true);
}

function position(p: ChunkPosition): string {
  return `(${p.segmentId}, ${p.fileOffset})`;
}
