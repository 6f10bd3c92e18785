/**
 * The 48-byte batch header (data-format.md §2.1). Reading checks only what the header itself can
 * prove (magic, CRC, version, flags, reserved); how its lengths fit the batch is validate.ts's job.
 */
import {
  BATCH_FOOTER_BYTES,
  BATCH_FORMAT_VERSION,
  BATCH_HEADER_BYTES,
  BATCH_MAGIC,
  UNIX_NANO_MAX,
} from '../constants.js';
import { crc32c } from '../codec/crc32c.js';
import { TraceKvError, assert, batchCorrupt } from '../errors.js';
import { readU16LE, readU32LE, readU64LE, writeU16LE, writeU32LE, writeU64LE } from '../codec/little-endian.js';
import { hex32 } from '../codec/little-endian.js';
import { U32_MAX } from './input-checks.js';
import { COLUMNAR_BATCH_VERSION, COLUMNAR_HEADER_BYTES, COLUMNAR_HEADER_OFFSET } from './columnar-layout.js';

export interface BatchHeader {
  spanCount: number;
  commonLength: number;
  spansLength: number;
  trailerLength: number;
  minStartTimeUnixNano: bigint;
  maxStartTimeUnixNano: bigint;
}

/** Field offsets inside the header, as in the §2.1 table. */
export const HEADER_OFFSET = {
  magic: 0,
  version: 4,
  flags: 6,
  spanCount: 8,
  commonLength: 12,
  spansLength: 16,
  trailerLength: 20,
  minStartTimeUnixNano: 24,
  maxStartTimeUnixNano: 32,
  headerCrc: 40,
  reserved: 44,
} as const;

const BATCH_BYTES_MIN_FOR_HEADER = BATCH_HEADER_BYTES + BATCH_FOOTER_BYTES;

/** Where the trailer starts in a batch with this header (§2): after the header, common and span sections. */
export function trailerOffsetOf(header: BatchHeader): number {
  return BATCH_HEADER_BYTES + header.commonLength + header.spansLength;
}

/** Writes the whole header into `into[0, 48)`, headerCrc included. */
export function writeBatchHeader(into: Uint8Array, header: BatchHeader): void {
  assert(into.length >= BATCH_HEADER_BYTES, `header buffer is ${into.length} bytes; want ≥ ${BATCH_HEADER_BYTES}`);
  for (const field of ['spanCount', 'commonLength', 'spansLength', 'trailerLength'] as const) {
    const value = header[field];
    assert(Number.isInteger(value) && value >= 0 && value <= U32_MAX, `header ${field} ${value} is not a u32`);
  }
  for (const field of ['minStartTimeUnixNano', 'maxStartTimeUnixNano'] as const) {
    const value = header[field];
    assert(value >= 0n && value <= UNIX_NANO_MAX, `header ${field} ${value} is not a u64`);
  }
  writeU32LE(into, HEADER_OFFSET.magic, BATCH_MAGIC);
  writeU16LE(into, HEADER_OFFSET.version, BATCH_FORMAT_VERSION);
  writeU16LE(into, HEADER_OFFSET.flags, 0);
  writeU32LE(into, HEADER_OFFSET.spanCount, header.spanCount);
  writeU32LE(into, HEADER_OFFSET.commonLength, header.commonLength);
  writeU32LE(into, HEADER_OFFSET.spansLength, header.spansLength);
  writeU32LE(into, HEADER_OFFSET.trailerLength, header.trailerLength);
  writeU64LE(into, HEADER_OFFSET.minStartTimeUnixNano, header.minStartTimeUnixNano);
  writeU64LE(into, HEADER_OFFSET.maxStartTimeUnixNano, header.maxStartTimeUnixNano);
  writeU32LE(into, HEADER_OFFSET.headerCrc, crc32c(into, 0, HEADER_OFFSET.headerCrc));
  writeU32LE(into, HEADER_OFFSET.reserved, 0);
}

/**
 * Checks in the order that names the real fault: the CRC before version and flags, so a flipped
 * version byte reads as damage, and a version we do not know with a good CRC reads as a version.
 */
export function readBatchHeader(bytes: Uint8Array): BatchHeader {
  if (bytes.length < BATCH_BYTES_MIN_FOR_HEADER) {
    throw batchCorrupt(`batch length got ${bytes.length}; want ≥ ${BATCH_BYTES_MIN_FOR_HEADER} (header + footer)`, 0);
  }
  const magic = readU32LE(bytes, HEADER_OFFSET.magic);
  if (magic !== BATCH_MAGIC) throw batchCorrupt(`batch magic got ${hex32(magic)}; want ${hex32(BATCH_MAGIC)}`, 0);
  if (isColumnarHeader(bytes)) {
    // A well-formed version-2 header keeps its CRC elsewhere (§2.7.1): a batch for the columnar reader, not damage.
    throw new TraceKvError('ERR_BATCH_UNSUPPORTED', `batch version got ${COLUMNAR_BATCH_VERSION} (columnar, §2.7); this reader takes version ${BATCH_FORMAT_VERSION}: open it with openAnyBatch or openColumnarBatch`, {
      offset: HEADER_OFFSET.version,
    });
  }
  const storedCrc = readU32LE(bytes, HEADER_OFFSET.headerCrc);
  const actualCrc = crc32c(bytes, 0, HEADER_OFFSET.headerCrc);
  if (storedCrc !== actualCrc) {
    throw batchCorrupt(
      `batch headerCrc got ${hex32(storedCrc)}; want ${hex32(actualCrc)} (CRC of bytes [0, ${HEADER_OFFSET.headerCrc}))`,
      HEADER_OFFSET.headerCrc,
    );
  }
  const version = readU16LE(bytes, HEADER_OFFSET.version);
  if (version !== BATCH_FORMAT_VERSION) {
    // The CRC matched: this is a well-formed batch from a newer (or older) writer, not damage.
    throw new TraceKvError('ERR_BATCH_UNSUPPORTED', `batch version got ${version}; want ${BATCH_FORMAT_VERSION}`, {
      offset: HEADER_OFFSET.version,
    });
  }
  const flags = readU16LE(bytes, HEADER_OFFSET.flags);
  if (flags !== 0) throw batchCorrupt(`batch flags got ${hex16(flags)}; want 0x0000 (no flags defined)`, HEADER_OFFSET.flags);
  const reserved = readU32LE(bytes, HEADER_OFFSET.reserved);
  if (reserved !== 0) throw batchCorrupt(`batch reserved got ${hex32(reserved)}; want 0`, HEADER_OFFSET.reserved);
  return {
    spanCount: readU32LE(bytes, HEADER_OFFSET.spanCount),
    commonLength: readU32LE(bytes, HEADER_OFFSET.commonLength),
    spansLength: readU32LE(bytes, HEADER_OFFSET.spansLength),
    trailerLength: readU32LE(bytes, HEADER_OFFSET.trailerLength),
    minStartTimeUnixNano: readU64LE(bytes, HEADER_OFFSET.minStartTimeUnixNano),
    maxStartTimeUnixNano: readU64LE(bytes, HEADER_OFFSET.maxStartTimeUnixNano),
  };
}


function hex16(value: number): string {
  return `0x${value.toString(16).padStart(4, '0')}`;
}

/** True for a version-2 header whose own CRC (§2.7.1, at offset 60) matches. */
function isColumnarHeader(bytes: Uint8Array): boolean {
  if (readU16LE(bytes, HEADER_OFFSET.version) !== COLUMNAR_BATCH_VERSION || bytes.length < COLUMNAR_HEADER_BYTES) return false;
  return readU32LE(bytes, COLUMNAR_HEADER_OFFSET.headerCrc) === crc32c(bytes, 0, COLUMNAR_HEADER_OFFSET.headerCrc);
}
