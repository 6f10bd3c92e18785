/**
 * A version-2 (columnar) batch opened the way the store opens it (data-format.md §2.7): header,
 * footer, trailer, dictionary and search section checked, and the columns left opaque, so opening
 * never decodes a span. What the search section says per row is decoded once, here, into typed
 * arrays: a search or a lookup then reads numbers, with no object per span.
 *
 * u64 times are held as u32 halves (hi, lo), as BatchView holds them: a Float64Array would round
 * every start time (all past 2^53 ns) and durations past ~104 days, and a BigInt64Array would cost
 * a bigint per span at open. Only the accessors that hand a time to a caller build a bigint.
 */
import { isUtf8 } from 'node:buffer';
import { BATCH_FOOTER_BYTES, SPAN_ID_BYTES, TRACE_ID_BYTES } from '../constants.js';
import { readU32LE, u64Below, u64Hi, u64Lo } from '../codec/little-endian.js';
import { assert, batchCorrupt } from '../errors.js';
import { ByteIn, ByteInError } from './byte-stream.js';
import {
  type ColumnarHeader,
  columnarTrailerLength,
  readColumnarHeader,
} from './columnar-header.js';
import { COLUMNAR_HEADER_BYTES, COLUMNAR_HEADER_OFFSET, RUN_ENTRY_BYTES, SEARCH_PART_LENGTH_BYTES } from './columnar-layout.js';
import { readSearchSpans, readSearchRuns, type SearchSpans } from './columnar-search.js';
import { bytesToHex, isZeroId } from './ids.js';
import { type BatchLimits, checkBatchFooter, resolveBatchLimits } from './validate.js';

const TWO_POW_32 = 2 ** 32;
/** Below this high half, hi × 2^32 + lo is a safe integer and one BigInt() builds the value. */
const SAFE_HI_LIMIT = 2 ** 21;

/** Validates `bytes` as a version-2 batch (§2.7) without reading its columns; limits default to the hard limits. */
export function openColumnarBatch(bytes: Uint8Array, limits?: Partial<BatchLimits>): ColumnarView {
  const header = readColumnarHeader(bytes, resolveBatchLimits(limits));
  return new ColumnarView(bytes, header, FULL_CHECKS);
}

/**
 * What open checks beyond the structure. All are on for a batch from a client. A batch read back
 * from a record whose body CRC matched is the very bytes that passed them on append (§3.2), so the
 * read path skips them: on a W1 batch the batch CRC costs ~40 µs, the UTF-8 pass ~10 µs and the
 * id checks (a hex string and a Map entry per run) ~15 µs, of an open that reads all of its rows.
 */
export interface ColumnarChecks {
  /** Recompute the footer's batchCrc (§2.3). */
  batchCrc: boolean;
  /** Check every dictionary string is UTF-8 (§2.7.3). */
  utf8: boolean;
  /** Check the trailer's ids: trace ids non-zero and distinct across runs, span ids non-zero (§2.7.2). */
  ids: boolean;
}

const FULL_CHECKS: ColumnarChecks = Object.freeze({ batchCrc: true, utf8: true, ids: true });

export class ColumnarView {
  /** The batch format version (§2.7.1), to tell this view from a version-1 BatchView. */
  readonly version = 2 as const;
  readonly bytes: Uint8Array;
  readonly header: ColumnarHeader;
  readonly spanCount: number;
  readonly runCount: number;
  readonly dictionaryCount: number;
  readonly minStartTimeUnixNano: bigint;
  readonly maxStartTimeUnixNano: bigint;
  /** Absolute offsets of the sections, in batch order; each ends where the next starts. */
  readonly commonStart = COLUMNAR_HEADER_BYTES;
  readonly dictionaryStart: number;
  readonly columnsStart: number;
  readonly searchStart: number;
  readonly trailerStart: number;
  readonly footerStart: number;
  private readonly spanIdsStart: number;
  private readonly runFirstRows: Uint32Array;
  private readonly runRowCounts: Uint32Array;
  private readonly runRootRows: Uint32Array;
  private readonly search: SearchSpans;
  private readonly minHi: number;
  private readonly minLo: number;
  private readonly stringStarts: Uint32Array;
  private readonly stringEnds: Uint32Array;
  private readonly strings: (string | undefined)[];
  /**
   * The batch as a Buffer (no copy), for string(): Buffer's UTF-8 decode of a short string took
   * about half of TextDecoder's time (~85 against ~150 ns), and a read decodes ~25 strings a span.
   * Every string is UTF-8 (checked on append, §2.7.3), so both give the same string, and Buffer's
   * keeps a leading U+FEFF, which is data here, not a byte-order mark.
   */
  private readonly text: Buffer;

  /** Runs every check of §2.7 that needs no column; use openColumnarBatch (or, for a stored batch, openStoredBatch). */
  constructor(bytes: Uint8Array, header: ColumnarHeader, checks: ColumnarChecks) {
    this.bytes = bytes;
    this.text = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.header = header;
    this.spanCount = header.spanCount;
    this.runCount = header.runCount;
    this.dictionaryCount = header.dictionaryCount;
    this.minStartTimeUnixNano = header.minStartTimeUnixNano;
    this.maxStartTimeUnixNano = header.maxStartTimeUnixNano;
    this.minHi = u64Hi(header.minStartTimeUnixNano);
    this.minLo = u64Lo(header.minStartTimeUnixNano);
    this.dictionaryStart = this.commonStart + header.commonLength;
    this.columnsStart = this.dictionaryStart + header.dictionaryLength;
    this.searchStart = this.columnsStart + header.columnsLength;
    this.trailerStart = this.searchStart + header.searchLength;
    this.spanIdsStart = this.trailerStart + header.runCount * RUN_ENTRY_BYTES;
    this.footerStart = this.trailerStart + columnarTrailerLength(header.spanCount, header.runCount);
    assert(this.footerStart + BATCH_FOOTER_BYTES === bytes.length, `ColumnarView over ${bytes.length} bytes; header sums to ${this.footerStart + BATCH_FOOTER_BYTES}`);

    checkBatchFooter(bytes, checks.batchCrc);
    this.runFirstRows = new Uint32Array(this.runCount);
    this.runRowCounts = new Uint32Array(this.runCount);
    this.readRuns(checks.ids);
    if (checks.ids) this.checkSpanIds();
    this.stringStarts = new Uint32Array(this.dictionaryCount);
    this.stringEnds = new Uint32Array(this.dictionaryCount);
    this.strings = new Array<string | undefined>(this.dictionaryCount);
    this.readDictionary(checks.utf8);
    const parts = this.searchParts();
    this.search = readSearchSpans(bytes, parts.spansStart, parts.spansEnd, header);
    this.runRootRows = readSearchRuns(bytes, parts.runsStart, parts.runsEnd, this.runRowCounts);
  }

  // --- runs and rows (§2.7.2) ---

  runFirstRow(run: number): number {
    return this.runFirstRows[this.runAt(run)];
  }

  runRowCount(run: number): number {
    return this.runRowCounts[this.runAt(run)];
  }

  /** The trace id's bytes, a subarray of the batch (no copy). */
  runTraceId(run: number): Uint8Array {
    const at = this.runEntryAt(run);
    return this.bytes.subarray(at, at + TRACE_ID_BYTES);
  }

  /** Absolute offset of run `run`'s trace id bytes, for hashing in place. */
  runTraceIdOffset(run: number): number {
    return this.runEntryAt(run);
  }

  /** Whether run `run`'s trace id equals the 16 bytes at `traceId[at]`, as BatchView.traceIdEquals. Allocation-free. */
  runTraceIdEquals(run: number, traceId: Uint8Array, at: number): boolean {
    const bytes = this.bytes;
    const runAt = this.runEntryAt(run);
    for (let k = 0; k < TRACE_ID_BYTES; k++) if (bytes[runAt + k] !== traceId[at + k]) return false;
    return true;
  }

  runTraceIdHex(run: number): string {
    return bytesToHex(this.bytes, this.runEntryAt(run), TRACE_ID_BYTES);
  }

  /** §2.7.4 as stored: 0 when the run has no root, else 1 + the root's row counted from the run's first row. */
  runRootRow(run: number): number {
    return this.runRootRows[this.runAt(run)];
  }

  /** The run holding `row`: a binary search of the run table, which is in row order. */
  runOf(row: number): number {
    this.rowAt(row);
    let low = 0;
    let high = this.runCount - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.runFirstRows[middle] <= row) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** Row `row`'s span id bytes, a subarray of the batch (no copy). */
  spanId(row: number): Uint8Array {
    const at = this.spanIdAt(row);
    return this.bytes.subarray(at, at + SPAN_ID_BYTES);
  }

  /** Absolute offset of row `row`'s span id bytes, for reading them in place. */
  spanIdOffset(row: number): number {
    return this.spanIdAt(row);
  }

  spanIdHex(row: number): string {
    return bytesToHex(this.bytes, this.spanIdAt(row), SPAN_ID_BYTES);
  }

  // --- the search section, per row (§2.7.4) ---

  nameId(row: number): number {
    return this.search.nameIds[this.rowAt(row)];
  }

  kind(row: number): number {
    return this.search.kinds[this.rowAt(row)];
  }

  statusCode(row: number): number {
    return this.search.statusCodes[this.rowAt(row)];
  }

  startTimeUnixNano(row: number): bigint {
    const i = this.rowAt(row);
    const hi = this.search.startHi[i];
    const lo = this.search.startLo[i];
    // Open checked start ≥ min; a start near min costs one BigInt rather than four.
    if (hi - this.minHi < SAFE_HI_LIMIT) return this.minStartTimeUnixNano + BigInt((hi - this.minHi) * TWO_POW_32 + (lo - this.minLo));
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Whether min ≤ start(row) ≤ max, bounds inclusive and split by u64Hi/u64Lo, as BatchView's. Allocation-free. */
  startTimeInRange(row: number, minHi: number, minLo: number, maxHi: number, maxLo: number): boolean {
    const i = this.rowAt(row);
    const hi = this.search.startHi[i];
    const lo = this.search.startLo[i];
    return !u64Below(hi, lo, minHi, minLo) && !u64Below(maxHi, maxLo, hi, lo);
  }

  /** endTimeUnixNano − startTimeUnixNano, signed. */
  durationNano(row: number): bigint {
    const i = this.rowAt(row);
    const hi = this.search.durationHi[i] | 0;
    const lo = this.search.durationLo[i];
    if (hi >= -SAFE_HI_LIMIT && hi < SAFE_HI_LIMIT) return BigInt(hi * TWO_POW_32 + lo);
    return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo));
  }

  /**
   * start + duration. Open does not check that it is a u64 (the store has no use for the end), so
   * on a damaged batch this can lie outside [0, 2^64); the decoder refuses such a span.
   */
  endTimeUnixNano(row: number): bigint {
    return this.startTimeUnixNano(row) + this.durationNano(row);
  }

  // --- the dictionary (§2.7.3) ---

  /** String `id`, decoded on first use and cached: a batch's names repeat across its rows. */
  string(id: number): string {
    if (!(id >= 0 && id < this.dictionaryCount && Number.isInteger(id))) assert(false, `string id ${id} outside [0, ${this.dictionaryCount})`);
    let value = this.strings[id];
    if (value === undefined) {
      value = this.text.toString('utf8', this.stringStarts[id], this.stringEnds[id]);
      this.strings[id] = value;
    }
    return value;
  }

  // --- sections as bytes ---

  /** The common section (§2.4) as a subarray of the batch. */
  commonBytes(): Uint8Array {
    return this.bytes.subarray(this.commonStart, this.dictionaryStart);
  }

  /** The columns section (§2.7.5), opaque here, as a subarray of the batch. */
  columnsBytes(): Uint8Array {
    return this.bytes.subarray(this.columnsStart, this.searchStart);
  }

  // --- open-time checks ---

  /** §2.7.2 run entries: row counts ≥ 1 summing to spanCount; with `ids`, non-zero distinct trace ids. */
  private readRuns(ids: boolean): void {
    // Runs are few (a batch holds a few traces), so one hex string per run is cheap.
    const runOfTraceId = ids ? new Map<string, number>() : null;
    let row = 0;
    for (let run = 0; run < this.runCount; run++) {
      const at = this.trailerStart + run * RUN_ENTRY_BYTES;
      if (ids) {
        if (isZeroId(this.bytes, at, TRACE_ID_BYTES)) throw batchCorrupt(`trailer run ${run}: traceId got all zeros; want a non-zero id`, at);
        const traceIdHex = bytesToHex(this.bytes, at, TRACE_ID_BYTES);
        const earlier = runOfTraceId!.get(traceIdHex);
        if (earlier !== undefined) {
          throw batchCorrupt(`trailer run ${run}: traceId got ${traceIdHex}, already run ${earlier}'s; want distinct across runs`, at);
        }
        runOfTraceId!.set(traceIdHex, run);
      }
      const rowCount = readU32LE(this.bytes, at + TRACE_ID_BYTES);
      if (rowCount < 1) throw batchCorrupt(`trailer run ${run}: rowCount got 0; want ≥ 1`, at + TRACE_ID_BYTES);
      if (rowCount > this.spanCount - row) {
        throw batchCorrupt(
          `trailer run ${run}: rowCount got ${rowCount}; want ≤ ${this.spanCount - row} (spanCount ${this.spanCount} less the ${row} rows of earlier runs)`,
          at + TRACE_ID_BYTES,
        );
      }
      this.runFirstRows[run] = row;
      this.runRowCounts[run] = rowCount;
      row += rowCount;
    }
    if (row !== this.spanCount) {
      throw batchCorrupt(`trailer rowCounts sum to ${row}; want spanCount ${this.spanCount}`, this.trailerStart);
    }
  }

  private checkSpanIds(): void {
    for (let row = 0; row < this.spanCount; row++) {
      const at = this.spanIdsStart + row * SPAN_ID_BYTES;
      if ((readU32LE(this.bytes, at) | readU32LE(this.bytes, at + 4)) === 0) {
        throw batchCorrupt(`trailer row ${row}: spanId got all zeros; want a non-zero id`, at);
      }
    }
  }

  /**
   * §2.7.3, with UTF-8 checked here rather than on first decode: the store takes names from the
   * dictionary for search at append, so a bad string must refuse the batch then, not surface as a
   * span error once the batch is durable. isUtf8 is native and linear; it costs one subarray per
   * distinct string, not per span.
   */
  private readDictionary(utf8: boolean): void {
    const { dictionaryCount, dictionaryLength } = this.header;
    // Each string takes at least its 1-byte length: bounds the tables before they are allocated.
    if (dictionaryCount > dictionaryLength) {
      throw batchCorrupt(
        `batch dictionaryCount got ${dictionaryCount}; want ≤ dictionaryLength ${dictionaryLength} (≥ 1 byte per string)`,
        COLUMNAR_HEADER_OFFSET.dictionaryCount,
      );
    }
    const input = new ByteIn(this.bytes, this.dictionaryStart, this.columnsStart);
    for (let id = 0; id < dictionaryCount; id++) {
      let start: number;
      try {
        const length = input.u32varint();
        start = input.pos;
        input.skip(length);
      } catch (error) {
        if (!(error instanceof ByteInError)) throw error;
        throw batchCorrupt(`dictionary string ${id} of ${dictionaryCount}: ${error.message}`, input.pos);
      }
      if (utf8 && !isAscii(this.bytes, start, input.pos) && !isUtf8(this.bytes.subarray(start, input.pos))) {
        throw batchCorrupt(`dictionary string ${id}: got bytes that are not UTF-8; want well-formed UTF-8`, start);
      }
      this.stringStarts[id] = start;
      this.stringEnds[id] = input.pos;
    }
    if (input.pos !== this.columnsStart) {
      throw batchCorrupt(
        `dictionary: ${dictionaryCount} strings end at ${input.pos}; want the section's end ${this.columnsStart} (dictionaryLength ${dictionaryLength})`,
        input.pos,
      );
    }
  }

  /** §2.7.4: two parts, each a u32 length then its bytes, filling searchLength exactly. */
  private searchParts(): { spansStart: number; spansEnd: number; runsStart: number; runsEnd: number } {
    const spansEnd = this.searchPartEnd(this.searchStart, 'spans');
    const runsEnd = this.searchPartEnd(spansEnd, 'runs');
    if (runsEnd !== this.trailerStart) {
      throw batchCorrupt(
        `search section: its parts end at ${runsEnd}; want the section's end ${this.trailerStart} (searchLength ${this.header.searchLength})`,
        runsEnd,
      );
    }
    return {
      spansStart: this.searchStart + SEARCH_PART_LENGTH_BYTES,
      spansEnd,
      runsStart: spansEnd + SEARCH_PART_LENGTH_BYTES,
      runsEnd,
    };
  }

  private searchPartEnd(at: number, part: string): number {
    const left = this.trailerStart - at;
    if (left < SEARCH_PART_LENGTH_BYTES) {
      throw batchCorrupt(`search section ${part} part: got ${left} bytes for its length; want ${SEARCH_PART_LENGTH_BYTES}`, at);
    }
    const length = readU32LE(this.bytes, at);
    if (length > left - SEARCH_PART_LENGTH_BYTES) {
      throw batchCorrupt(
        `search section ${part} part: length got ${length}; want ≤ ${left - SEARCH_PART_LENGTH_BYTES} (the bytes left in the section)`,
        at,
      );
    }
    return at + SEARCH_PART_LENGTH_BYTES + length;
  }

  private runEntryAt(run: number): number {
    return this.trailerStart + this.runAt(run) * RUN_ENTRY_BYTES;
  }

  /** Returns `run` after asserting it is one. */
  private runAt(run: number): number {
    if (!(run >= 0 && run < this.runCount && Number.isInteger(run))) assert(false, `run ${run} outside [0, ${this.runCount})`);
    return run;
  }

  private spanIdAt(row: number): number {
    return this.spanIdsStart + this.rowAt(row) * SPAN_ID_BYTES;
  }

  /** Returns `row` after asserting it is one: a bad row is the caller's bug, not bad bytes. */
  private rowAt(row: number): number {
    // The message is built only on failure: an eager template string would allocate per call.
    if (!(row >= 0 && row < this.spanCount && Number.isInteger(row))) assert(false, `row ${row} outside [0, ${this.spanCount})`);
    return row;
  }
}

/**
 * True when bytes[start, end) are all ASCII, which is UTF-8: most names, keys and values are, and
 * this loop spares them isUtf8's call and subarray (a tenth of opening a W1 batch, profiled).
 */
function isAscii(bytes: Uint8Array, start: number, end: number): boolean {
  let any = 0;
  for (let i = start; i < end; i++) any |= bytes[i]!;
  return any < 0x80;
}
