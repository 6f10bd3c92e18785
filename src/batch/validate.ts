/**
 * The append-time check of a client batch, data-format.md §2.6, in its order. The store runs this
 * on every append and never decodes a span, so it must be cheap: one pass over the trailer,
 * start times compared as u32 halves, nothing allocated per span (one DataView per batch).
 */
import {
  BATCH_BYTES_LIMIT,
  BATCH_END_MAGIC,
  BATCH_FOOTER_BYTES,
  BATCH_HEADER_BYTES,
  BATCH_SPANS_LIMIT,
  TRAILER_ENTRY_BYTES,
} from '../constants.js';
import { crc32c } from '../codec/crc32c.js';
import { assert, batchCorrupt, invalidArgument, TraceKvError } from '../errors.js';
import { type BatchHeader, HEADER_OFFSET, readBatchHeader, trailerOffsetOf } from './header.js';
import { hex32, readU32LE, u64Below } from '../codec/little-endian.js';

export interface BatchLimits {
  batchBytesMax: number;
  batchSpansMax: number;
}

/** Field offsets inside a trailer entry, as in the §2.2 table. */
export const TRAILER_OFFSET = {
  traceId: 0,
  spanId: 16,
  offset: 24,
  length: 28,
  startTimeUnixNano: 32,
} as const;

/** Returns the header of a batch that passed every §2.6 check; throws a TraceKvError otherwise. */
export function validateBatch(bytes: Uint8Array, limits: BatchLimits): BatchHeader {
  return checkBatch(bytes, limits, true);
}

/**
 * The read-side check of a batch taken from a record whose body CRC matched: every structural
 * check of §2.6, but not the whole-batch CRC again. The body CRC already proved these are the
 * exact bytes that passed validateBatch on append; recomputing it costs ~50 µs per 256 KiB read.
 * `withBatchCrc` recomputes it all the same, for verify --deep, which checks everything.
 */
export function validateStoredBatch(bytes: Uint8Array, withBatchCrc = false): BatchHeader {
  return checkBatch(bytes, STORED_BATCH_LIMITS, withBatchCrc);
}

/** A stored batch is checked against the format's limits, not a store's: those may have changed since it was written. */
export const STORED_BATCH_LIMITS: Readonly<BatchLimits> = Object.freeze({ batchBytesMax: BATCH_BYTES_LIMIT, batchSpansMax: BATCH_SPANS_LIMIT });

function checkBatch(bytes: Uint8Array, limits: BatchLimits, withBatchCrc: boolean): BatchHeader {
  limits = resolveBatchLimits(limits); // asserts them: the caller resolved them already
  if (!(bytes instanceof Uint8Array)) throw invalidArgument(`batch: got ${typeof bytes}; want a Uint8Array`);
  // Size first: an oversized batch is refused for its size whatever its bytes say.
  if (bytes.length > limits.batchBytesMax) {
    throw new TraceKvError(
      'ERR_BATCH_TOO_LARGE',
      `batch length got ${bytes.length}; want ≤ batchBytesMax ${limits.batchBytesMax}`,
    );
  }
  const header = readBatchHeader(bytes);
  checkSections(bytes, header, limits);
  checkBatchFooter(bytes, withBatchCrc);
  checkTrailer(bytes, header);
  return header;
}

/**
 * Limits for either batch version: each defaults to the format's hard limit. They come from the
 * store's validated options or the caller's code, never from a batch, so a bad one is a bug.
 */
export function resolveBatchLimits(limits?: Partial<BatchLimits>): BatchLimits {
  const resolved = {
    batchBytesMax: limits?.batchBytesMax ?? BATCH_BYTES_LIMIT,
    batchSpansMax: limits?.batchSpansMax ?? BATCH_SPANS_LIMIT,
  };
  assert(
    Number.isInteger(resolved.batchBytesMax) && resolved.batchBytesMax > 0 && resolved.batchBytesMax <= BATCH_BYTES_LIMIT,
    `batchBytesMax ${resolved.batchBytesMax} outside (0, ${BATCH_BYTES_LIMIT}]`,
  );
  assert(
    Number.isInteger(resolved.batchSpansMax) && resolved.batchSpansMax > 0 && resolved.batchSpansMax <= BATCH_SPANS_LIMIT,
    `batchSpansMax ${resolved.batchSpansMax} outside (0, ${BATCH_SPANS_LIMIT}]`,
  );
  return resolved;
}

function checkSections(bytes: Uint8Array, header: BatchHeader, limits: BatchLimits): void {
  const { spanCount, commonLength, spansLength, trailerLength } = header;
  if (spanCount < 1) throw batchCorrupt(`batch spanCount got 0; want ≥ 1`, HEADER_OFFSET.spanCount);
  if (spanCount > limits.batchSpansMax) {
    throw new TraceKvError(
      'ERR_BATCH_TOO_LARGE',
      `batch spanCount got ${spanCount}; want ≤ batchSpansMax ${limits.batchSpansMax}`,
      { offset: HEADER_OFFSET.spanCount },
    );
  }
  if (trailerLength !== spanCount * TRAILER_ENTRY_BYTES) {
    throw batchCorrupt(
      `batch trailerLength got ${trailerLength}; want spanCount ${spanCount} × ${TRAILER_ENTRY_BYTES} = ${spanCount * TRAILER_ENTRY_BYTES}`,
      HEADER_OFFSET.trailerLength,
    );
  }
  // Each length is a u32, so the sum stays far below 2^53 and is exact.
  const total = BATCH_HEADER_BYTES + commonLength + spansLength + trailerLength + BATCH_FOOTER_BYTES;
  if (total !== bytes.length) {
    throw batchCorrupt(
      `batch sections sum to ${total} bytes (48 + common ${commonLength} + spans ${spansLength} + trailer ${trailerLength} + 8); want the batch length ${bytes.length}`,
      HEADER_OFFSET.commonLength,
    );
  }
}

/** §2.3, the same for both versions: the end magic first (cheap, catches truncation), then (when asked) the CRC of everything before the footer. */
export function checkBatchFooter(bytes: Uint8Array, withBatchCrc: boolean): void {
  const footerAt = bytes.length - BATCH_FOOTER_BYTES;
  const endMagic = readU32LE(bytes, footerAt + 4);
  if (endMagic !== BATCH_END_MAGIC) {
    throw batchCorrupt(`batch endMagic got ${hex32(endMagic)}; want ${hex32(BATCH_END_MAGIC)}`, footerAt + 4);
  }
  if (!withBatchCrc) return;
  const storedCrc = readU32LE(bytes, footerAt);
  const actualCrc = crc32c(bytes, 0, footerAt);
  if (storedCrc !== actualCrc) {
    throw batchCorrupt(
      `batch batchCrc got ${hex32(storedCrc)}; want ${hex32(actualCrc)} (CRC of bytes [0, ${footerAt}))`,
      footerAt,
    );
  }
}

/**
 * §2.2 invariants for every entry. The hot loop: numbers only, no bigint, no subarray. It reads
 * through one DataView, which V8 compiles to plain loads (~5× faster than assembling u32s from
 * bytes); ids are tested for zero as OR-ed u32 words.
 */
function checkTrailer(bytes: Uint8Array, header: BatchHeader): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const minHi = view.getUint32(HEADER_OFFSET.minStartTimeUnixNano + 4, true);
  const minLo = view.getUint32(HEADER_OFFSET.minStartTimeUnixNano, true);
  const maxHi = view.getUint32(HEADER_OFFSET.maxStartTimeUnixNano + 4, true);
  const maxLo = view.getUint32(HEADER_OFFSET.maxStartTimeUnixNano, true);
  const { spanCount, spansLength } = header;
  const trailerStart = trailerOffsetOf(header);
  let expectedOffset = 0;
  for (let i = 0; i < spanCount; i++) {
    const entry = trailerStart + i * TRAILER_ENTRY_BYTES;
    const traceId = entry + TRAILER_OFFSET.traceId;
    const traceIdWords =
      view.getUint32(traceId, true) |
      view.getUint32(traceId + 4, true) |
      view.getUint32(traceId + 8, true) |
      view.getUint32(traceId + 12, true);
    if (traceIdWords === 0) throw batchCorrupt(`trailer entry ${i}: traceId got all zeros; want a non-zero id`, traceId);
    const spanId = entry + TRAILER_OFFSET.spanId;
    if ((view.getUint32(spanId, true) | view.getUint32(spanId + 4, true)) === 0) {
      throw batchCorrupt(`trailer entry ${i}: spanId got all zeros; want a non-zero id`, spanId);
    }
    const offset = view.getUint32(entry + TRAILER_OFFSET.offset, true);
    if (offset !== expectedOffset) {
      throw batchCorrupt(
        `trailer entry ${i}: offset got ${offset}; want ${expectedOffset} (records are contiguous)`,
        entry + TRAILER_OFFSET.offset,
      );
    }
    const length = view.getUint32(entry + TRAILER_OFFSET.length, true);
    if (length < 1 || offset + length > spansLength) {
      throw batchCorrupt(
        `trailer entry ${i}: length got ${length}; want 1..${spansLength - offset} (record must end within spansLength ${spansLength})`,
        entry + TRAILER_OFFSET.length,
      );
    }
    expectedOffset = offset + length;
    const startAt = entry + TRAILER_OFFSET.startTimeUnixNano;
    const startHi = view.getUint32(startAt + 4, true);
    const startLo = view.getUint32(startAt, true);
    if (u64Below(startHi, startLo, minHi, minLo) || u64Below(maxHi, maxLo, startHi, startLo)) {
      throw batchCorrupt(
        `trailer entry ${i}: startTimeUnixNano got ${view.getBigUint64(startAt, true)}; want within the header's [${header.minStartTimeUnixNano}, ${header.maxStartTimeUnixNano}]`,
        startAt,
      );
    }
  }
  if (expectedOffset !== spansLength) {
    throw batchCorrupt(
      `trailer records end at ${expectedOffset}; want spansLength ${spansLength} (records fill the section)`,
      trailerStart,
    );
  }
}
