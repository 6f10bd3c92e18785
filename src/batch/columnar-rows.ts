/**
 * ColumnarRows: what every writer of batch version 2 (data-format.md §2.7) shares, whatever it
 * reads its spans from: the rows in arrival order, the column streams they are written into, the
 * trace runs, the per-row fields finish() orders by run (parents, the search section, span ids),
 * and finish() itself, which lays the sections out.
 *
 * Two writers extend it, each with the dictionary that suits its input:
 * - ColumnarBatchEncoder adds span objects (SpanInput) and keys its dictionary by JS string;
 * - ColumnarRecordEncoder adds span records (§2.5 msgpack, as the OTLP receivers and the SDK
 *   exporter write them) and keys its dictionary by UTF-8 bytes, so no string is ever decoded.
 *
 * A row is written in four steps, all-or-nothing: openRow() marks where everything stands,
 * the writer appends the row's column entries, then either commitRow() keeps it or rollbackRow()
 * takes every byte, string and run of it back (the span failed a check, or the batch is full).
 */
import {
  BATCH_END_MAGIC,
  BATCH_FOOTER_BYTES,
  BATCH_MAGIC,
  BATCH_SPANS_LIMIT,
  SPAN_ID_BYTES,
  SPAN_RECORD_BYTES_MAX,
  TRACE_ID_BYTES,
  WRITER_RETAINED_BYTES_MAX,
  WRITER_RETAINED_ENTRIES_MAX,
} from '../constants.js';
import { crc32c } from '../codec/crc32c.js';
import { readU32LE, writeU16LE, writeU32LE, writeU64LE } from '../codec/little-endian.js';
import { assert, invalidArgument } from '../errors.js';
import { ByteOut, UVARINT_BYTES_MAX, copyBytes, sameBytes } from './byte-stream.js';
import {
  COLUMN,
  COLUMN_COUNT,
  COLUMN_DIRECTORY_BYTES,
  COLUMNAR_BATCH_VERSION,
  COLUMNAR_HEADER_BYTES,
  COLUMNAR_HEADER_OFFSET,
  PARENT_EXTERNAL,
  PARENT_NONE,
  PARENT_ROW_BASE,
  ROW_SPAN_ID_BYTES,
  RUN_ENTRY_BYTES,
  RUN_INDEXED_COLUMNS,
  SEARCH_PART_LENGTH_BYTES,
} from './columnar-layout.js';

/** The streams rows are written into in arrival order: columns 2–11 (§2.7.5); 0, 1 and 12 wait for finish(). */
export const STREAM_FIRST = COLUMN.flags;
export const STREAMS = COLUMN.links + 1 - STREAM_FIRST;
const ROWS_INITIAL = 256;
const RUNS_INITIAL = 64;
/** Run-table slots per run: kept at most a quarter full, so probes stay short. */
const RUN_SLOTS_PER_RUN = 4;
/** Most bytes a row adds to the parent columns and the search section (varints at their widest). */
const ROW_FIXED_BYTES_MAX = UVARINT_BYTES_MAX + SPAN_ID_BYTES + UVARINT_BYTES_MAX + 2 + 2 * UVARINT_BYTES_MAX + ROW_SPAN_ID_BYTES;
const NO_RUN = -1;
/** What a run adds past its rows: its trailer entry, its rootRow (search section) and its column-12 entry. */
const RUN_BYTES_MAX = RUN_ENTRY_BYTES + UVARINT_BYTES_MAX + RUN_INDEXED_COLUMNS.length * UVARINT_BYTES_MAX;
/** Offsets in `ids`: the row's trace id, span id and parent span id. */
export const IDS_SPAN_AT = TRACE_ID_BYTES;
export const IDS_PARENT_AT = TRACE_ID_BYTES + SPAN_ID_BYTES;

/** The batch dictionary as the rows need it (§2.7.3): its bytes, and marks to roll a row back to. */
export interface RowDictionary {
  readonly out: ByteOut;
  readonly count: number;
  readonly byteLength: number;
  mark(): number;
  rollback(mark: number, byteMark: number): void;
  reset(): void;
}

export interface RowLimits {
  batchBytesMax: number;
  batchSpansMax: number;
  common: Uint8Array;
}

export abstract class ColumnarRows<D extends RowDictionary> {
  protected common: Uint8Array;
  protected readonly batchBytesMax: number;
  protected readonly batchSpansMax: number;
  protected readonly streams: ByteOut[] = Array.from({ length: STREAMS }, () => new ByteOut());
  protected rows = 0;
  /** Per row, in arrival order. */
  private rowRun = new Uint32Array(ROWS_INITIAL);
  private spanIds = new Uint8Array(ROWS_INITIAL * SPAN_ID_BYTES);
  private parentIds = new Uint8Array(ROWS_INITIAL * SPAN_ID_BYTES);
  private hasParent = new Uint8Array(ROWS_INITIAL);
  protected starts = new BigUint64Array(ROWS_INITIAL);
  protected durations = new BigInt64Array(ROWS_INITIAL);
  /** The same memory as `starts` and `durations`, as u32 halves (low first): for writers that hold times as halves. */
  protected startWords = new Uint32Array(this.starts.buffer);
  protected durationWords = new Uint32Array(this.durations.buffer);
  private nameIds = new Uint32Array(ROWS_INITIAL);
  private kinds = new Uint8Array(ROWS_INITIAL);
  private statusCodes = new Uint8Array(ROWS_INITIAL);
  /** Where each row's entries start in each stream: row × STREAMS. */
  private streamStarts = new Uint32Array(ROWS_INITIAL * STREAMS);
  /** The trace runs, in order of their first span. */
  private runs = 0;
  // The per-run tables, sized by allocateRuns().
  private runTraceIds!: Uint8Array;
  private runRows!: Uint32Array;
  /** Open addressing over run trace ids: slot → run + 1 (0 empty). */
  private runSlots!: Int32Array;
  // finish()'s scratch, kept from batch to batch: for small batches (an OTLP request's, an SDK
  // export's, ~50–100 spans) allocating a dozen arrays per batch cost more than filling them.
  private runFirstScratch!: Uint32Array;
  private runFilledScratch!: Uint32Array;
  private orderScratch = new Uint32Array(ROWS_INITIAL);
  private finalRowScratch = new Uint32Array(ROWS_INITIAL);
  private spanIdSlotsScratch = new Int32Array(ROWS_INITIAL * 2);
  private readonly parentColumn = new ByteOut();
  private readonly parentIdColumn = new ByteOut();
  private readonly searchSpans = new ByteOut();
  private readonly searchRuns = new ByteOut();
  private readonly runAttributeBytes = new ByteOut();
  private readonly reordered: ByteOut[] = Array.from({ length: STREAMS }, () => new ByteOut());
  /** The row being written: its trace id at 0, span id at IDS_SPAN_AT, parent span id at IDS_PARENT_AT. */
  protected readonly ids = new Uint8Array(TRACE_ID_BYTES + SPAN_ID_BYTES + SPAN_ID_BYTES);
  // Where the open row started, for rollbackRow().
  private dictionaryMark = 0;
  private dictionaryBytes = 0;
  private runsBefore = 0;

  protected constructor(
    protected readonly dictionary: D,
    limits: RowLimits,
  ) {
    this.batchBytesMax = limits.batchBytesMax;
    this.batchSpansMax = limits.batchSpansMax;
    this.common = limits.common;
    this.allocateRuns();
    this.checkCommonFits();
  }

  /** The per-run tables at their starting size, empty. */
  private allocateRuns(): void {
    this.runTraceIds = new Uint8Array(RUNS_INITIAL * TRACE_ID_BYTES);
    this.runRows = new Uint32Array(RUNS_INITIAL);
    this.runSlots = new Int32Array(RUNS_INITIAL * RUN_SLOTS_PER_RUN);
    this.runFirstScratch = new Uint32Array(RUNS_INITIAL);
    this.runFilledScratch = new Uint32Array(RUNS_INITIAL);
  }

  get spanCount(): number {
    return this.rows;
  }

  /** Another common section (resource and scope) for the next batch; only between batches. */
  replaceCommon(common: Uint8Array): void {
    assert(this.rows === 0, `replaceCommon with ${this.rows} spans in the batch`);
    if (common.length > SPAN_RECORD_BYTES_MAX) {
      throw invalidArgument(`resource and scope: encoded size got ${common.length} bytes; want ≤ ${SPAN_RECORD_BYTES_MAX}`);
    }
    this.common = common;
    this.checkCommonFits();
  }

  private checkCommonFits(): void {
    if (this.byteLengthBound() + ROW_FIXED_BYTES_MAX + RUN_ENTRY_BYTES > this.batchBytesMax) {
      throw invalidArgument(`resource and scope: encoded common section got ${this.common.length} bytes; want a size that leaves room for one span within batchBytesMax ${this.batchBytesMax}`);
    }
  }

  /** Opens row `spanCount` for writing: marks the streams, the dictionary and the runs. */
  protected openRow(): number {
    const row = this.rows;
    this.ensureRows(row + 1);
    const base = row * STREAMS;
    for (let s = 0; s < STREAMS; s++) this.streamStarts[base + s] = this.streams[s]!.length;
    this.dictionaryMark = this.dictionary.mark();
    this.dictionaryBytes = this.dictionary.byteLength;
    this.runsBefore = this.runs;
    return row;
  }

  /** Takes back what was written for the open row: its stream entries, new strings and a run it opened. */
  protected rollbackRow(row: number): void {
    const base = row * STREAMS;
    for (let s = 0; s < STREAMS; s++) this.streams[s]!.truncate(this.streamStarts[base + s]!);
    this.dictionary.rollback(this.dictionaryMark, this.dictionaryBytes);
    if (this.runs > this.runsBefore) this.dropLastRun();
  }

  /** Whether the batch, with the open row, still fits batchBytesMax. */
  protected rowFits(): boolean {
    return this.byteLengthBound() <= this.batchBytesMax;
  }

  /**
   * Keeps the open row, in run `run`, with ids from `ids` (the parent only when `parent`); its start
   * and duration the writer has put in `starts`/`durations` (or their words) at `row`.
   */
  protected commitRow(row: number, run: number, parent: boolean, nameId: number, kind: number, statusCode: number): void {
    this.runRows[run]!++;
    this.rowRun[row] = run;
    const ids = this.ids;
    copyBytes(ids, IDS_SPAN_AT, IDS_PARENT_AT, this.spanIds, row * SPAN_ID_BYTES);
    this.hasParent[row] = parent ? 1 : 0;
    if (parent) copyBytes(ids, IDS_PARENT_AT, ids.length, this.parentIds, row * SPAN_ID_BYTES);
    this.nameIds[row] = nameId;
    this.kinds[row] = kind;
    this.statusCodes[row] = statusCode;
    this.rows = row + 1;
  }

  /** The batch of every span added since the last finish(); the writer starts empty again. */
  finish(): Uint8Array {
    if (this.rows === 0) throw invalidArgument('finish(): the batch holds no span; add one first');
    const rows = this.rows;
    const runs = this.runs;
    // Rows in run order: run r's rows start at runFirst[r], in arrival order within the run.
    if (this.runFirstScratch.length < runs) {
      this.runFirstScratch = new Uint32Array(2 * runs);
      this.runFilledScratch = new Uint32Array(2 * runs);
    }
    if (this.orderScratch.length < rows) {
      this.orderScratch = new Uint32Array(2 * rows);
      this.finalRowScratch = new Uint32Array(2 * rows);
    }
    const runFirst = this.runFirstScratch;
    runFirst[0] = 0;
    for (let r = 1; r < runs; r++) runFirst[r] = runFirst[r - 1]! + this.runRows[r - 1]!;
    const filled = this.runFilledScratch.fill(0, 0, runs);
    const order = this.orderScratch; // final row → arrival row
    const finalRow = this.finalRowScratch; // arrival row → final row
    let inOrder = true;
    for (let row = 0; row < rows; row++) {
      const run = this.rowRun[row]!;
      const at = runFirst[run]! + filled[run]!++;
      order[at] = row;
      finalRow[row] = at;
      if (at !== row) inOrder = false;
    }

    // Columns 0 and 1: parents, as rows of the run where the parent is there.
    const parentColumn = this.parentColumn;
    const parentIdColumn = this.parentIdColumn;
    parentColumn.reset();
    parentIdColumn.reset();
    const bySpanId = this.spanIdTable();
    for (let at = 0; at < rows; at++) {
      const row = order[at]!;
      if (this.hasParent[row] === 0) {
        parentColumn.uvarint(PARENT_NONE);
        continue;
      }
      const parentRow = bySpanId.find(this.parentIds, row * SPAN_ID_BYTES, this.rowRun, this.rowRun[row]!);
      if (parentRow === NO_RUN || parentRow === row) {
        parentColumn.uvarint(PARENT_EXTERNAL);
        parentIdColumn.rawRange(this.parentIds, row * SPAN_ID_BYTES, (row + 1) * SPAN_ID_BYTES);
      } else {
        parentColumn.uvarint(PARENT_ROW_BASE + zigzag(finalRow[parentRow]! - at));
      }
    }

    // The search section: spans in final row order, then each run's first root. Times are read
    // as u32 halves of the bigint arrays' own memory, so a row costs no bigint unless a delta or
    // duration is too large for a double (then svarintOfHalves takes the bigint path).
    let minRow = 0;
    let maxRow = 0;
    for (let row = 1; row < rows; row++) {
      const start = this.starts[row]!;
      if (start < this.starts[minRow]!) minRow = row;
      if (start > this.starts[maxRow]!) maxRow = row;
    }
    const minStart = this.starts[minRow]!;
    const maxStart = this.starts[maxRow]!;
    const startWords = this.startWords;
    const durationWords = this.durationWords;
    const searchSpans = this.searchSpans;
    searchSpans.reset();
    let previousLo = startWords[2 * minRow]!;
    let previousHi = startWords[2 * minRow + 1]!;
    for (let at = 0; at < rows; at++) {
      const row = order[at]!;
      searchSpans.uvarint(this.nameIds[row]!);
      searchSpans.u8(this.kinds[row]!);
      searchSpans.u8(this.statusCodes[row]!);
      const lo = startWords[2 * row]!;
      const hi = startWords[2 * row + 1]!;
      // Modulo 2^64, as an int64 (§2.7.4): two u64 starts may differ by more than an int64 holds.
      if (!svarintOfHalves(searchSpans, (hi - previousHi) | 0, lo - previousLo)) {
        searchSpans.svarint(BigInt.asIntN(64, this.starts[row]! - (at === 0 ? minStart : this.starts[order[at - 1]!]!)));
      }
      previousLo = lo;
      previousHi = hi;
      if (!svarintOfHalves(searchSpans, durationWords[2 * row + 1]! | 0, durationWords[2 * row]!)) searchSpans.svarint(this.durations[row]!);
    }
    const searchRuns = this.searchRuns;
    searchRuns.reset();
    for (let r = 0; r < runs; r++) {
      let root = 0;
      for (let i = 0; i < this.runRows[r]!; i++) {
        if (this.hasParent[order[runFirst[r]! + i]!] === 0) {
          root = i + 1;
          break;
        }
      }
      searchRuns.uvarint(root);
    }

    // Columns 2–10: whole when rows arrived in run order, else row by row.
    const columns: Uint8Array[] = [parentColumn.view(), parentIdColumn.view()];
    for (let s = 0; s < STREAMS; s++) {
      const stream = this.streams[s]!;
      if (inOrder) {
        columns.push(stream.view());
        continue;
      }
      const out = this.reordered[s]!;
      out.reset();
      for (let at = 0; at < rows; at++) {
        const row = order[at]!;
        const from = this.streamStarts[row * STREAMS + s]!;
        const to = row + 1 < rows ? this.streamStarts[(row + 1) * STREAMS + s]! : stream.length;
        out.rawRange(stream.bytes, from, to);
      }
      columns.push(out.view());
    }

    columns.push(this.runAttributeColumn(order, runFirst));

    const dictionary = this.dictionary.out.view();
    let columnsLength = COLUMN_DIRECTORY_BYTES;
    for (const column of columns) columnsLength += column.length;
    const searchLength = 2 * SEARCH_PART_LENGTH_BYTES + searchSpans.length + searchRuns.length;
    const trailerLength = runs * RUN_ENTRY_BYTES + rows * ROW_SPAN_ID_BYTES;
    const total = COLUMNAR_HEADER_BYTES + this.common.length + dictionary.length + columnsLength + searchLength + trailerLength + BATCH_FOOTER_BYTES;
    const batch = new Uint8Array(total);
    const H = COLUMNAR_HEADER_OFFSET;
    writeU32LE(batch, H.magic, BATCH_MAGIC);
    writeU16LE(batch, H.version, COLUMNAR_BATCH_VERSION);
    writeU32LE(batch, H.spanCount, rows);
    writeU32LE(batch, H.runCount, runs);
    writeU32LE(batch, H.commonLength, this.common.length);
    writeU32LE(batch, H.dictionaryLength, dictionary.length);
    writeU32LE(batch, H.columnsLength, columnsLength);
    writeU32LE(batch, H.searchLength, searchLength);
    writeU64LE(batch, H.minStartTimeUnixNano, minStart);
    writeU64LE(batch, H.maxStartTimeUnixNano, maxStart);
    writeU32LE(batch, H.dictionaryCount, this.dictionary.count);
    writeU32LE(batch, H.headerCrc, crc32c(batch, 0, H.headerCrc));
    let at = COLUMNAR_HEADER_BYTES;
    batch.set(this.common, at);
    at += this.common.length;
    batch.set(dictionary, at);
    at += dictionary.length;
    batch[at++] = COLUMN_COUNT;
    for (const column of columns) {
      writeU32LE(batch, at, column.length);
      at += 4;
    }
    for (const column of columns) {
      batch.set(column, at);
      at += column.length;
    }
    for (const part of [searchSpans, searchRuns]) {
      writeU32LE(batch, at, part.length);
      batch.set(part.view(), at + SEARCH_PART_LENGTH_BYTES);
      at += SEARCH_PART_LENGTH_BYTES + part.length;
    }
    for (let r = 0; r < runs; r++) {
      copyBytes(this.runTraceIds, r * TRACE_ID_BYTES, (r + 1) * TRACE_ID_BYTES, batch, at);
      writeU32LE(batch, at + TRACE_ID_BYTES, this.runRows[r]!);
      at += RUN_ENTRY_BYTES;
    }
    for (let final = 0; final < rows; final++) {
      const row = order[final]!;
      copyBytes(this.spanIds, row * SPAN_ID_BYTES, (row + 1) * SPAN_ID_BYTES, batch, at);
      at += ROW_SPAN_ID_BYTES;
    }
    writeU32LE(batch, at, crc32c(batch, 0, at));
    writeU32LE(batch, at + 4, BATCH_END_MAGIC);
    this.reset();
    return batch;
  }

  /**
   * Column 12: per run, its byte lengths in the attribute columns (RUN_INDEXED_COLUMNS), summed
   * over its rows from the arrival-order stream offsets; rows is the final row order.
   */
  private runAttributeColumn(order: Uint32Array, runFirst: Uint32Array): Uint8Array {
    const rows = this.rows;
    const out = this.runAttributeBytes;
    out.reset();
    for (let run = 0; run < this.runs; run++) {
      const first = runFirst[run]!;
      const end = first + this.runRows[run]!;
      for (const column of RUN_INDEXED_COLUMNS) {
        const s = column - STREAM_FIRST;
        const stream = this.streams[s]!;
        let bytes = 0;
        for (let at = first; at < end; at++) {
          const row = order[at]!;
          const to = row + 1 < rows ? this.streamStarts[(row + 1) * STREAMS + s]! : stream.length;
          bytes += to - this.streamStarts[row * STREAMS + s]!;
        }
        out.uvarint(bytes);
      }
    }
    return out.view();
  }

  /** An upper bound of finish()'s length now: exact but for varint widths of the parent and search columns. */
  private byteLengthBound(): number {
    let streams = 0;
    for (const stream of this.streams) streams += stream.length;
    return (
      COLUMNAR_HEADER_BYTES + this.common.length + this.dictionary.byteLength + COLUMN_DIRECTORY_BYTES + streams +
      2 * SEARCH_PART_LENGTH_BYTES + this.rows * ROW_FIXED_BYTES_MAX + this.runs * RUN_BYTES_MAX + BATCH_FOOTER_BYTES
    );
  }

  /** The run of the trace id at ids[0, 16), a new one if the batch has none yet. */
  protected runOf(ids: Uint8Array): number {
    const mask = this.runSlots.length - 1;
    for (let slot = traceSlot(ids, 0) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.runSlots[slot]!;
      if (entry === 0) break;
      if (sameBytes(this.runTraceIds, (entry - 1) * TRACE_ID_BYTES, ids, 0, TRACE_ID_BYTES)) return entry - 1;
    }
    const run = this.runs;
    if ((run + 1) * TRACE_ID_BYTES > this.runTraceIds.length) {
      this.runTraceIds = grownBytes(this.runTraceIds, this.runTraceIds.length * 2);
      this.runRows = grownU32(this.runRows, this.runRows.length * 2);
    }
    copyBytes(ids, 0, TRACE_ID_BYTES, this.runTraceIds, run * TRACE_ID_BYTES);
    this.runRows[run] = 0;
    this.runs = run + 1;
    if (this.runs * RUN_SLOTS_PER_RUN > this.runSlots.length) this.rehashRuns(this.runSlots.length * 2);
    else this.placeRun(run);
    return run;
  }

  private placeRun(run: number): void {
    const mask = this.runSlots.length - 1;
    let slot = traceSlot(this.runTraceIds, run * TRACE_ID_BYTES) & mask;
    while (this.runSlots[slot] !== 0) slot = (slot + 1) & mask;
    this.runSlots[slot] = run + 1;
  }

  private rehashRuns(slots: number): void {
    this.runSlots = new Int32Array(slots);
    for (let run = 0; run < this.runs; run++) this.placeRun(run);
  }

  /** Undoes the run runOf() just added (the span that opened it did not fit). */
  private dropLastRun(): void {
    this.runs--;
    this.rehashRuns(this.runSlots.length);
  }

  /** Span ids of every row, for finding a parent's row within its run. */
  private spanIdTable(): { find(ids: Uint8Array, at: number, rowRun: Uint32Array, run: number): number } {
    const rows = this.rows;
    let size = 4;
    while (size < rows * 2) size *= 2;
    if (this.spanIdSlotsScratch.length < size) this.spanIdSlotsScratch = new Int32Array(size);
    const slots = this.spanIdSlotsScratch.fill(0, 0, size);
    const mask = size - 1;
    const spanIds = this.spanIds;
    for (let row = 0; row < rows; row++) {
      let slot = readU32LE(spanIds, row * SPAN_ID_BYTES) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = row + 1;
    }
    return {
      // The first row added with that span id in `run`, or NO_RUN.
      find(ids, at, rowRun, run) {
        let found = NO_RUN;
        for (let slot = readU32LE(ids, at) & mask; slots[slot] !== 0; slot = (slot + 1) & mask) {
          const row = slots[slot]! - 1;
          if (rowRun[row] === run && sameBytes(spanIds, row * SPAN_ID_BYTES, ids, at, SPAN_ID_BYTES) && (found === NO_RUN || row < found)) found = row;
        }
        return found;
      },
    };
  }

  private ensureRows(rows: number): void {
    if (rows <= this.rowRun.length) return;
    this.resizeRows(Math.min(Math.max(rows, this.rowRun.length * 2), BATCH_SPANS_LIMIT));
  }

  /** Every per-row array at `size` rows, keeping the rows that fit. */
  private resizeRows(size: number): void {
    this.rowRun = grownU32(this.rowRun, size);
    this.spanIds = grownBytes(this.spanIds, size * SPAN_ID_BYTES);
    this.parentIds = grownBytes(this.parentIds, size * SPAN_ID_BYTES);
    this.hasParent = grownBytes(this.hasParent, size);
    const starts = new BigUint64Array(size);
    starts.set(this.starts.subarray(0, Math.min(size, this.starts.length)));
    this.starts = starts;
    this.startWords = new Uint32Array(starts.buffer);
    const durations = new BigInt64Array(size);
    durations.set(this.durations.subarray(0, Math.min(size, this.durations.length)));
    this.durations = durations;
    this.durationWords = new Uint32Array(durations.buffer);
    this.nameIds = grownU32(this.nameIds, size);
    this.kinds = grownBytes(this.kinds, size);
    this.statusCodes = grownBytes(this.statusCodes, size);
    this.streamStarts = grownU32(this.streamStarts, size * STREAMS);
  }

  /** Drops every row added since the last finish(): the writer starts empty. */
  reset(): void {
    this.rows = 0;
    this.runs = 0;
    this.dictionary.reset();
    // Buffers and tables sized by the largest batch so far are kept only up to the WRITER_RETAINED
    // limits, so that a writer living as long as the daemon does not hold one huge batch for ever.
    for (const stream of this.streams) stream.resetBounded(WRITER_RETAINED_BYTES_MAX);
    for (const out of this.reordered) out.resetBounded(WRITER_RETAINED_BYTES_MAX);
    this.parentColumn.resetBounded(WRITER_RETAINED_BYTES_MAX);
    this.parentIdColumn.resetBounded(WRITER_RETAINED_BYTES_MAX);
    this.searchSpans.resetBounded(WRITER_RETAINED_BYTES_MAX);
    this.searchRuns.resetBounded(WRITER_RETAINED_BYTES_MAX);
    this.runAttributeBytes.resetBounded(WRITER_RETAINED_BYTES_MAX);
    if (this.rowRun.length > WRITER_RETAINED_ENTRIES_MAX) {
      this.resizeRows(ROWS_INITIAL);
      this.orderScratch = new Uint32Array(ROWS_INITIAL);
      this.finalRowScratch = new Uint32Array(ROWS_INITIAL);
      this.spanIdSlotsScratch = new Int32Array(ROWS_INITIAL * 2);
    }
    if (this.runRows.length > WRITER_RETAINED_ENTRIES_MAX) this.allocateRuns();
    else this.runSlots.fill(0);
  }
}

/** Below this high half (in magnitude), hi × 2^32 + lo is far inside a double's exact range. */
const HALVES_EXACT_HI_LIMIT = 2 ** 20;

/**
 * Writes the svarint of the signed value hi × 2^32 + lo (hi an int32, lo in (−2^32, 2^32)) and
 * returns true when that is exact as a number (|value| < 2^52, so its zigzag is a safe integer);
 * else writes nothing and returns false, and the caller writes the bigint. Deltas of starts and
 * durations are small almost always, and a number costs no allocation.
 */
export function svarintOfHalves(out: ByteOut, hi: number, lo: number): boolean {
  if (hi <= -HALVES_EXACT_HI_LIMIT || hi >= HALVES_EXACT_HI_LIMIT) return false;
  out.uvarint(zigzag(hi * 2 ** 32 + lo));
  return true;
}

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** A trace id's slot hash: trace ids are random, so their first bytes spread well. */
function traceSlot(bytes: Uint8Array, at: number): number {
  return (readU32LE(bytes, at) ^ readU32LE(bytes, at + 12)) >>> 0;
}


function grownBytes(array: Uint8Array, length: number): Uint8Array<ArrayBuffer> {
  const next = new Uint8Array(length);
  next.set(array.subarray(0, Math.min(array.length, length)));
  return next;
}

function grownU32(array: Uint32Array, length: number): Uint32Array<ArrayBuffer> {
  const next = new Uint32Array(length);
  next.set(array.subarray(0, Math.min(array.length, length)));
  return next;
}
