/**
 * The search section of a version-2 batch (data-format.md §2.7.4), read once at open into typed
 * arrays, one slot per row: the store checks it on append and search reads it without decoding a
 * span. u64 values are kept as u32 halves so no row costs a bigint (see columnar-view.ts).
 */
import { u64Below, u64Hi, u64Lo } from '../codec/little-endian.js';
import { batchCorrupt } from '../errors.js';
import { ByteIn, ByteInError, UVARINT_BYTES_MAX } from './byte-stream.js';
import type { ColumnarHeader } from './columnar-header.js';

/** OTLP SpanKind values are 0 (UNSPECIFIED) to 5 (CONSUMER), §2.5. */
export const SPAN_KIND_MAX = 5;
/** OTLP StatusCode values are 0 (UNSET) to 2 (ERROR), §2.5. */
export const STATUS_CODE_MAX = 2;
const TWO_POW_32 = 2 ** 32;
const U32_BYTES = 4;
/** SearchSpans' u32 arrays (nameIds, the start and duration halves), then its two u8 arrays. */
const U32_ARRAYS = 5;
const SEARCH_ROW_BYTES = U32_ARRAYS * U32_BYTES + 2;
/** The high half's top bit: set when a two's-complement int64 is negative. */
const BITS_PER_VARINT_BYTE = 7;
/** The tenth byte of a u64 uvarint holds bit 63 only. */
const LAST_VARINT_BYTE_MAX = 1;

export interface SearchSpans {
  nameIds: Uint32Array;
  kinds: Uint8Array;
  statusCodes: Uint8Array;
  /** startTimeUnixNano, as u32 halves. */
  startHi: Uint32Array;
  startLo: Uint32Array;
  /** endTimeUnixNano − startTimeUnixNano as a two's-complement int64, in u32 halves. */
  durationHi: Uint32Array;
  durationLo: Uint32Array;
}

/** The spans part, [start, end) of the batch: exactly spanCount entries and nothing after. */
export function readSearchSpans(bytes: Uint8Array, start: number, end: number, header: ColumnarHeader): SearchSpans {
  const { spanCount, dictionaryCount } = header;
  // One backing store for the seven arrays: every stored record read opens a view, and seven
  // off-heap allocations a view showed up in bulk reads' profiles. The u32 arrays come first, so
  // each starts 4-byte aligned.
  const store = new ArrayBuffer(spanCount * SEARCH_ROW_BYTES);
  const u32 = (slot: number) => new Uint32Array(store, slot * U32_BYTES * spanCount, spanCount);
  const u8At = U32_ARRAYS * U32_BYTES * spanCount;
  const spans: SearchSpans = {
    nameIds: u32(0),
    startHi: u32(1),
    startLo: u32(2),
    durationHi: u32(3),
    durationLo: u32(4),
    kinds: new Uint8Array(store, u8At, spanCount),
    statusCodes: new Uint8Array(store, u8At + spanCount, spanCount),
  };
  const minHi = u64Hi(header.minStartTimeUnixNano);
  const minLo = u64Lo(header.minStartTimeUnixNano);
  const maxHi = u64Hi(header.maxStartTimeUnixNano);
  const maxLo = u64Lo(header.maxStartTimeUnixNano);
  const input = new ByteIn(bytes, start, end);
  // Row 0's delta is from minStartTimeUnixNano (§2.7.4).
  let previousHi = minHi;
  let previousLo = minLo;
  let row = 0;
  let entryAt = start;
  try {
    for (; row < spanCount; row++) {
      entryAt = input.pos;
      const nameId = input.uvarint();
      if (nameId >= dictionaryCount) throw searchCorrupt(row, `nameId got ${nameId}; want < dictionaryCount ${dictionaryCount}`, entryAt);
      spans.nameIds[row] = nameId;
      const kind = input.u8();
      if (kind > SPAN_KIND_MAX) throw searchCorrupt(row, `kind got ${kind}; want ≤ ${SPAN_KIND_MAX}`, input.pos - 1);
      spans.kinds[row] = kind;
      const statusCode = input.u8();
      if (statusCode > STATUS_CODE_MAX) throw searchCorrupt(row, `statusCode got ${statusCode}; want ≤ ${STATUS_CODE_MAX}`, input.pos - 1);
      spans.statusCodes[row] = statusCode;

      const deltaAt = input.pos;
      readSvarintHalves(input);
      // start = previous + delta mod 2^64 (§2.7.4: two starts may differ by more than an int64
      // holds, so the delta wraps), in halves; the header's range is what bounds a start.
      let lo = previousLo + halfLo;
      const carryLo = lo >= TWO_POW_32 ? 1 : 0;
      lo -= carryLo * TWO_POW_32;
      let hi = previousHi + halfHi + carryLo;
      if (hi >= TWO_POW_32) hi -= TWO_POW_32;
      if (u64Below(hi, lo, minHi, minLo) || u64Below(maxHi, maxLo, hi, lo)) {
        const delta = BigInt.asIntN(64, (BigInt(halfHi) << 32n) | BigInt(halfLo));
        const previous = (BigInt(previousHi) << 32n) | BigInt(previousLo);
        throw searchCorrupt(
          row,
          `startDelta got ${delta}, a start of ${BigInt.asUintN(64, previous + delta)}; want a start within the header's [${header.minStartTimeUnixNano}, ${header.maxStartTimeUnixNano}]`,
          deltaAt,
        );
      }
      spans.startHi[row] = hi;
      spans.startLo[row] = lo;
      previousHi = hi;
      previousLo = lo;

      readSvarintHalves(input);
      spans.durationHi[row] = halfHi;
      spans.durationLo[row] = halfLo;
    }
  } catch (error) {
    if (!(error instanceof ByteInError)) throw error;
    throw searchCorrupt(row, error.message, input.pos);
  }
  if (!input.done) {
    throw batchCorrupt(`search section spans part: ${spanCount} entries end at ${input.pos}; want the part's end ${end}`, input.pos);
  }
  return spans;
}

/** The runs part, [start, end): one rootRow per run, each ≤ its run's rowCount, and nothing after. */
export function readSearchRuns(bytes: Uint8Array, start: number, end: number, rowCounts: Uint32Array): Uint32Array {
  const rootRows = new Uint32Array(rowCounts.length);
  const input = new ByteIn(bytes, start, end);
  let run = 0;
  try {
    for (; run < rowCounts.length; run++) {
      const at = input.pos;
      const rootRow = input.uvarint();
      if (rootRow > rowCounts[run]) {
        throw batchCorrupt(`search section runs part, run ${run}: rootRow got ${rootRow}; want ≤ the run's rowCount ${rowCounts[run]}`, at);
      }
      rootRows[run] = rootRow;
    }
  } catch (error) {
    if (!(error instanceof ByteInError)) throw error;
    throw batchCorrupt(`search section runs part, run ${run}: ${error.message}`, input.pos);
  }
  if (!input.done) {
    throw batchCorrupt(`search section runs part: ${rowCounts.length} entries end at ${input.pos}; want the part's end ${end}`, input.pos);
  }
  return rootRows;
}

function searchCorrupt(row: number, message: string, offset: number) {
  return batchCorrupt(`search section spans part, row ${row}: ${message}`, offset);
}

/** Reads an svarint into halfHi and halfLo as a two's-complement int64: n = (z >>> 1) ^ −(z & 1), over both halves. */
function readSvarintHalves(input: ByteIn): void {
  readUvarintHalves(input);
  const sign = -(halfLo & 1);
  const lo = (((halfLo >>> 1) | ((halfHi & 1) << 31)) ^ sign) >>> 0;
  halfHi = ((halfHi >>> 1) ^ sign) >>> 0;
  halfLo = lo;
}

/** readUvarintHalves's result: module state rather than a returned pair, so a row allocates nothing. */
let halfHi = 0;
let halfLo = 0;

/** Varint bytes whose 7-bit groups fit a 28-bit int, read with shifts before the general loop. */
const FAST_VARINT_BYTES = 4;

/**
 * Reads a u64 uvarint (§2.7, at most 10 bytes, ≤ 2^64 − 1) into halfHi and halfLo. Start deltas
 * and durations are mostly 1–4 bytes: those take the shift loop, which profiled 3× faster than the
 * general one (it was a third of opening a W1 batch).
 */
function readUvarintHalves(input: ByteIn): void {
  const bytes = input.bytes;
  const end = input.end;
  let pos = input.pos;
  let lo = 0;
  for (let i = 0; i < FAST_VARINT_BYTES; i++) {
    if (pos >= end) throw new ByteInError(`varint cut at ${pos}`);
    const byte = bytes[pos++]!;
    lo |= (byte & 0x7f) << (i * BITS_PER_VARINT_BYTE);
    if (byte < 0x80) {
      input.pos = pos;
      halfHi = 0;
      halfLo = lo;
      return;
    }
  }
  input.pos = pos;
  readUvarintHalvesFrom(input, FAST_VARINT_BYTES, lo);
}

/** The rest of a uvarint whose first `from` bytes gave `lo`. */
function readUvarintHalvesFrom(input: ByteIn, from: number, lo: number): void {
  let hi = 0;
  for (let i = from; i < UVARINT_BYTES_MAX; i++) {
    const byte = input.u8();
    const bits = byte & 0x7f;
    const shift = i * BITS_PER_VARINT_BYTE;
    if (shift < 28) {
      lo += bits * 2 ** shift;
    } else if (shift === 28) {
      // Bits 28–34 straddle the halves: four to lo, three to hi.
      lo += (bits & 0x0f) * 2 ** 28;
      hi = bits >>> 4;
    } else if (i < UVARINT_BYTES_MAX - 1) {
      hi += bits * 2 ** (shift - 32);
    } else if (bits > LAST_VARINT_BYTE_MAX) {
      throw new ByteInError(`varint past 2^64 − 1 at ${input.pos}`);
    } else {
      hi += bits * 2 ** (shift - 32);
    }
    if (byte < 0x80) {
      halfHi = hi;
      halfLo = lo;
      return;
    }
  }
  throw new ByteInError(`varint longer than ${UVARINT_BYTES_MAX} bytes at ${input.pos}`);
}
