/**
 * The 64-byte header of a version-2 (columnar) batch (data-format.md §2.7.1) and how its section
 * lengths fit the batch. Reading checks what the header proves on its own, then the limits and the
 * section sum; the trailer, dictionary and search section are columnar-view.ts's job.
 */
import { BATCH_FOOTER_BYTES, BATCH_MAGIC } from '../constants.js';
import { crc32c } from '../codec/crc32c.js';
import { hex32, readU16LE, readU32LE, readU64LE } from '../codec/little-endian.js';
import { TraceKvError, batchCorrupt, invalidArgument } from '../errors.js';
import {
  COLUMNAR_BATCH_VERSION,
  COLUMNAR_HEADER_BYTES,
  COLUMNAR_HEADER_OFFSET as AT,
  ROW_SPAN_ID_BYTES,
  RUN_ENTRY_BYTES,
} from './columnar-layout.js';
import type { BatchLimits } from './validate.js';

export interface ColumnarHeader {
  spanCount: number;
  runCount: number;
  commonLength: number;
  dictionaryLength: number;
  columnsLength: number;
  searchLength: number;
  minStartTimeUnixNano: bigint;
  maxStartTimeUnixNano: bigint;
  dictionaryCount: number;
}

/** Header and footer: the least a batch must hold before any of its fields can be read. */
export const COLUMNAR_BATCH_BYTES_MIN = COLUMNAR_HEADER_BYTES + BATCH_FOOTER_BYTES;

/** The §2.7.2 trailer's length: run entries, then one span id per row. */
export function columnarTrailerLength(spanCount: number, runCount: number): number {
  return runCount * RUN_ENTRY_BYTES + spanCount * ROW_SPAN_ID_BYTES;
}

/**
 * The §2.6 order, for version 2: size first (an oversized batch is refused for its size whatever its
 * bytes say), then magic, then the version before the CRC (§2.7.1: the CRC's place depends on the
 * version), then the CRC, then what the CRC vouches for.
 */
export function readColumnarHeader(bytes: Uint8Array, limits: BatchLimits): ColumnarHeader {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument(`batch: got ${typeof bytes}; want a Uint8Array`);
  if (bytes.length > limits.batchBytesMax) {
    throw new TraceKvError('ERR_BATCH_TOO_LARGE', `batch length got ${bytes.length}; want ≤ batchBytesMax ${limits.batchBytesMax}`);
  }
  if (bytes.length < COLUMNAR_BATCH_BYTES_MIN) {
    throw batchCorrupt(`batch length got ${bytes.length}; want ≥ ${COLUMNAR_BATCH_BYTES_MIN} (version-2 header + footer)`, 0);
  }
  const magic = readU32LE(bytes, AT.magic);
  if (magic !== BATCH_MAGIC) throw batchCorrupt(`batch magic got ${hex32(magic)}; want ${hex32(BATCH_MAGIC)}`, AT.magic);
  const version = readU16LE(bytes, AT.version);
  if (version !== COLUMNAR_BATCH_VERSION) {
    throw batchCorrupt(`batch version got ${version}; want ${COLUMNAR_BATCH_VERSION} (the columnar reader)`, AT.version);
  }
  const storedCrc = readU32LE(bytes, AT.headerCrc);
  const actualCrc = crc32c(bytes, 0, AT.headerCrc);
  if (storedCrc !== actualCrc) {
    throw batchCorrupt(
      `batch headerCrc got ${hex32(storedCrc)}; want ${hex32(actualCrc)} (CRC of bytes [0, ${AT.headerCrc}))`,
      AT.headerCrc,
    );
  }
  const flags = readU16LE(bytes, AT.flags);
  if (flags !== 0) throw batchCorrupt(`batch flags got ${flags}; want 0 (no flags defined)`, AT.flags);
  for (const at of [AT.reserved1, AT.reserved2]) {
    const reserved = readU32LE(bytes, at);
    if (reserved !== 0) throw batchCorrupt(`batch reserved field at ${at} got ${hex32(reserved)}; want 0`, at);
  }
  const header: ColumnarHeader = {
    spanCount: readU32LE(bytes, AT.spanCount),
    runCount: readU32LE(bytes, AT.runCount),
    commonLength: readU32LE(bytes, AT.commonLength),
    dictionaryLength: readU32LE(bytes, AT.dictionaryLength),
    columnsLength: readU32LE(bytes, AT.columnsLength),
    searchLength: readU32LE(bytes, AT.searchLength),
    minStartTimeUnixNano: readU64LE(bytes, AT.minStartTimeUnixNano),
    maxStartTimeUnixNano: readU64LE(bytes, AT.maxStartTimeUnixNano),
    dictionaryCount: readU32LE(bytes, AT.dictionaryCount),
  };
  checkCounts(header, limits);
  checkSectionSum(bytes, header);
  return header;
}

function checkCounts(header: ColumnarHeader, limits: BatchLimits): void {
  const { spanCount, runCount } = header;
  if (spanCount < 1) throw batchCorrupt(`batch spanCount got 0; want ≥ 1`, AT.spanCount);
  // batchSpansMax ≤ BATCH_SPANS_LIMIT (65,535, §2.7.1) is asserted, so this is min(65535, batchSpansMax).
  if (spanCount > limits.batchSpansMax) {
    throw new TraceKvError('ERR_BATCH_TOO_LARGE', `batch spanCount got ${spanCount}; want ≤ batchSpansMax ${limits.batchSpansMax}`, {
      offset: AT.spanCount,
    });
  }
  if (runCount < 1 || runCount > spanCount) {
    throw batchCorrupt(`batch runCount got ${runCount}; want 1..spanCount ${spanCount}`, AT.runCount);
  }
  if (header.minStartTimeUnixNano > header.maxStartTimeUnixNano) {
    throw batchCorrupt(
      `batch minStartTimeUnixNano got ${header.minStartTimeUnixNano}; want ≤ maxStartTimeUnixNano ${header.maxStartTimeUnixNano}`,
      AT.minStartTimeUnixNano,
    );
  }
}

function checkSectionSum(bytes: Uint8Array, header: ColumnarHeader): void {
  const { commonLength, dictionaryLength, columnsLength, searchLength } = header;
  const trailerLength = columnarTrailerLength(header.spanCount, header.runCount);
  // Each term is below 2^32 (the trailer below 2^21), so the sum is exact in a double.
  const total = COLUMNAR_HEADER_BYTES + commonLength + dictionaryLength + columnsLength + searchLength + trailerLength + BATCH_FOOTER_BYTES;
  if (total !== bytes.length) {
    throw batchCorrupt(
      `batch sections sum to ${total} bytes (64 + common ${commonLength} + dictionary ${dictionaryLength} + columns ${columnsLength} + search ${searchLength} + trailer ${trailerLength} + 8); want the batch length ${bytes.length}`,
      AT.commonLength,
    );
  }
}
