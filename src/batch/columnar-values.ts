/**
 * Column readers of a version-2 batch (data-format.md §2.7.5): one ByteIn per column, string ids
 * resolved through the dictionary, AnyValues built or skipped structurally, and every fault turned
 * into ERR_SPAN_CORRUPT naming the row and the column. Everything here is a plain function of a
 * ColumnCursor, so the decoder's row loop makes no closure per value.
 */
import { ATTRIBUTE_NESTING_MAX } from '../constants.js';
import { readU32LE } from '../codec/little-endian.js';
import { TraceKvError } from '../errors.js';
import { ByteIn, ByteInError } from './byte-stream.js';
import { COLUMN, COLUMN_COUNT, COLUMN_DIRECTORY_BYTES, RUN_INDEXED_COLUMNS, VALUE_TAG, VALUE_TAG_MAX } from './columnar-layout.js';
import type { ColumnarView } from './columnar-view.js';
import type { Attributes, AttributeValue } from './types.js';

/** Column names by number, for messages: "row 12, column attributeValues: …". */
export const COLUMN_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, index] of Object.entries(COLUMN)) names[index] = name;
  return names;
})();
/** Stands for the search section in ColumnCursor.column: the end time comes from there, not a column. */
export const SEARCH_SECTION = -1;
/** The least an inline attribute pair (events, links) takes: a 1-byte key id and a 1-byte tag. */
export const PAIR_BYTES_MIN = 2;
export const F64_BYTES = 8;
/** The directory: a u8 columnCount, then a u32 length per column. */
const COLUMN_COUNT_BYTES = 1;
const COLUMN_LENGTH_BYTES = 4;

export class ColumnCursor {
  readonly view: ColumnarView;
  readonly columns: ByteIn[];
  /** One DataView per decode, for doubles: ByteIn.f64 would build one per value. */
  readonly data: DataView;
  /** Where the decode is: the row and column an error names. */
  row = 0;
  column = 0;
  /** The last decoded row's parent-column entry: the decoder finds each run's first root with it. */
  parentEntry = 0;
  /**
   * Where AnyValues are read from (§2.7.5): a span's attributes take tags from attributeValueTags
   * and the rest from attributeValues; events and links hold both inline, in one column.
   */
  tags!: ByteIn;
  payload!: ByteIn;
  tagsColumn = 0;
  payloadColumn = 0;

  /**
   * Column 12 read whole: where run r starts in RUN_INDEXED_COLUMNS[k] is entry r × 3 + k, an
   * absolute offset; entry runCount × 3 + k is the column's end.
   */
  readonly runAttributeStarts: Uint32Array;

  constructor(view: ColumnarView) {
    this.view = view;
    this.columns = openColumns(view);
    this.data = new DataView(view.bytes.buffer, view.bytes.byteOffset, view.bytes.byteLength);
    this.runAttributeStarts = readRunIndex(view, this.columns);
  }

  /** Puts the attribute columns at the start of run `run` (runCount: their ends), by column 12. */
  jumpToRun(run: number): void {
    for (let k = 0; k < RUN_INDEXED_COLUMNS.length; k++) this.columns[RUN_INDEXED_COLUMNS[k]!].pos = this.runAttributeStarts[run * RUN_INDEXED_COLUMNS.length + k]!;
  }

  /** Checks that the attribute columns stand where column 12 says run `run` ends (ERR_SPAN_CORRUPT if not). */
  checkRunEnd(run: number): void {
    for (let k = 0; k < RUN_INDEXED_COLUMNS.length; k++) {
      const column = RUN_INDEXED_COLUMNS[k]!;
      const want = this.runAttributeStarts[(run + 1) * RUN_INDEXED_COLUMNS.length + k]!;
      if (this.columns[column].pos !== want) {
        this.column = column;
        throw this.corrupt(`run ${run} ends at ${this.columns[column].pos}; column runAttributeBytes says ${want}`);
      }
    }
  }

  /** The ERR_SPAN_CORRUPT for `message` at the current row and column. */
  corrupt(message: string): TraceKvError {
    const where = this.column === SEARCH_SECTION ? 'search section' : `column ${COLUMN_NAMES[this.column]}`;
    const offset = this.column === SEARCH_SECTION ? this.view.searchStart : this.columns[this.column].pos;
    return new TraceKvError('ERR_SPAN_CORRUPT', `row ${this.row}, ${where}: ${message}`, { offset });
  }

  /** Points AnyValue reads at `tagsColumn` for tags and `payloadColumn` for the rest (the same column for inline values). */
  valuesFrom(tagsColumn: number, payloadColumn: number): void {
    this.tagsColumn = tagsColumn;
    this.payloadColumn = payloadColumn;
    this.tags = this.columns[tagsColumn];
    this.payload = this.columns[payloadColumn];
  }

  /** Turns a ByteInError (a read past a column's end, a bad varint) into this decode's error. */
  wrap(error: unknown): unknown {
    return error instanceof ByteInError ? this.corrupt(error.message) : error;
  }
}

/**
 * The column directory: a u8 count, a u32 length per column, the columns back to back filling the
 * section. A fault here belongs to no row; it is still a span fault, since the store never reads it.
 */
function openColumns(view: ColumnarView): ByteIn[] {
  const { bytes, columnsStart } = view;
  const columnsLength = view.searchStart - columnsStart;
  const directoryCorrupt = (message: string) =>
    new TraceKvError('ERR_SPAN_CORRUPT', `column directory: ${message}`, { offset: columnsStart });
  if (columnsLength < 1) throw directoryCorrupt(`got an empty columns section; want ≥ ${COLUMN_DIRECTORY_BYTES} bytes`);
  const columnCount = bytes[columnsStart];
  if (columnCount !== COLUMN_COUNT) throw directoryCorrupt(`columnCount got ${columnCount}; want ${COLUMN_COUNT}`);
  if (columnsLength < COLUMN_DIRECTORY_BYTES) {
    throw directoryCorrupt(`columnsLength got ${columnsLength}; want ≥ ${COLUMN_DIRECTORY_BYTES} (the directory)`);
  }
  const columns: ByteIn[] = [];
  let at = columnsStart + COLUMN_DIRECTORY_BYTES;
  for (let column = 0; column < COLUMN_COUNT; column++) {
    const length = readU32LE(bytes, columnsStart + COLUMN_COUNT_BYTES + column * COLUMN_LENGTH_BYTES);
    // Each length is a u32 and there are COLUMN_COUNT of them, so `at` stays exact; the sum is checked after.
    columns.push(new ByteIn(bytes, Math.min(at, view.searchStart), Math.min(at + length, view.searchStart)));
    at += length;
  }
  if (at !== view.searchStart) {
    throw directoryCorrupt(
      `column lengths sum to ${at - columnsStart - COLUMN_DIRECTORY_BYTES}; want columnsLength − ${COLUMN_DIRECTORY_BYTES} = ${columnsLength - COLUMN_DIRECTORY_BYTES}`,
    );
  }
  return columns;
}

/**
 * Column 12 (§2.7.5): per run, its byte length in each RUN_INDEXED_COLUMNS column, as uvarints.
 * The lengths must add up to each column's length exactly, and the column must hold nothing more.
 */
function readRunIndex(view: ColumnarView, columns: ByteIn[]): Uint32Array {
  const indexed = RUN_INDEXED_COLUMNS.length;
  const starts = new Uint32Array((view.runCount + 1) * indexed);
  const input = columns[COLUMN.runAttributeBytes];
  const corrupt = (message: string) => new TraceKvError('ERR_SPAN_CORRUPT', `column runAttributeBytes: ${message}`, { offset: input.pos });
  const at: number[] = RUN_INDEXED_COLUMNS.map((column) => columns[column].pos);
  for (let run = 0; run < view.runCount; run++) {
    for (let k = 0; k < indexed; k++) {
      starts[run * indexed + k] = at[k]!;
      let length: number;
      try {
        length = input.u32varint();
      } catch (error) {
        if (!(error instanceof ByteInError)) throw error;
        throw corrupt(`run ${run}: ${error.message}`);
      }
      at[k]! += length;
      const column = columns[RUN_INDEXED_COLUMNS[k]!];
      if (at[k]! > column.end) throw corrupt(`run ${run}: ${COLUMN_NAMES[RUN_INDEXED_COLUMNS[k]!]} lengths reach ${at[k]}; want ≤ the column's end ${column.end}`);
    }
  }
  for (let k = 0; k < indexed; k++) {
    const column = columns[RUN_INDEXED_COLUMNS[k]!];
    if (at[k] !== column.end) throw corrupt(`${COLUMN_NAMES[RUN_INDEXED_COLUMNS[k]!]} lengths sum to end at ${at[k]}; want the column's end ${column.end}`);
    starts[view.runCount * indexed + k] = at[k]!;
  }
  if (input.pos !== input.end) throw corrupt(`got ${input.end - input.pos} bytes after ${view.runCount} runs; want 0`);
  return starts;
}

/** A uvarint string id, checked against the dictionary and resolved. */
export function readString(cursor: ColumnCursor, input: ByteIn): string {
  const id = input.uvarint();
  if (id >= cursor.view.dictionaryCount) throw cursor.corrupt(`string id got ${id}; want < dictionaryCount ${cursor.view.dictionaryCount}`);
  return cursor.view.string(id);
}

/** A uvarint "0 absent, else string id + 1". */
export function readOptionalString(cursor: ColumnCursor, input: ByteIn): string | undefined {
  const entry = input.uvarint();
  if (entry === 0) return undefined;
  if (entry > cursor.view.dictionaryCount) {
    throw cursor.corrupt(`string id got ${entry - 1}; want < dictionaryCount ${cursor.view.dictionaryCount}`);
  }
  return cursor.view.string(entry - 1);
}

/**
 * A uvarint count of items that each take at least `itemBytesMin` bytes of `input`: refused when
 * the column cannot hold that many, before any array is sized by it.
 */
export function readCount(cursor: ColumnCursor, input: ByteIn, itemBytesMin: number, what: string): number {
  const count = input.uvarint();
  const left = input.end - input.pos;
  if (count > left / itemBytesMin) {
    throw cursor.corrupt(`${what} count got ${count}; want ≤ ${Math.floor(left / itemBytesMin)} (${left} bytes left, ≥ ${itemBytesMin} per item)`);
  }
  return count;
}

/** Advances past `n` bytes, bounds-checked, without the subarray ByteIn.skip builds. */
export function advance(input: ByteIn, n: number): number {
  const at = input.pos;
  if (n > input.end - at) throw new ByteInError(`got ${input.end - at} bytes at ${at}; want ${n}`);
  input.pos = at + n;
  return at;
}

/**
 * `count` keyId + AnyValue pairs, the key ids in the payload stream (events, links, kvlists);
 * the caller has bounded `count` by the bytes left.
 */
export function readPairs(cursor: ColumnCursor, count: number, depth: number): Attributes {
  const attributes: Attributes = {};
  for (let i = 0; i < count; i++) {
    cursor.column = cursor.payloadColumn;
    const key = readString(cursor, cursor.payload);
    setOwn(attributes, key, readAnyValue(cursor, depth));
  }
  return attributes;
}

/**
 * One AnyValue from the cursor's streams. `depth` is its container's nesting, 0 for an attribute
 * map; an array or kvlist at depth ≥ 64 is refused, the rule of v1's decodeAnyValue
 * (attributes.ts), so both versions accept the same values.
 */
export function readAnyValue(cursor: ColumnCursor, depth: number): AttributeValue {
  cursor.column = cursor.tagsColumn;
  const tag = cursor.tags.u8();
  cursor.column = cursor.payloadColumn;
  const payload = cursor.payload;
  switch (tag) {
    case VALUE_TAG.string:
      return readString(cursor, payload);
    case VALUE_TAG.false:
      return false;
    case VALUE_TAG.true:
      return true;
    case VALUE_TAG.int:
      return payload.svarint();
    case VALUE_TAG.double:
      // Every bit of the double, -0 included (v1 loses its sign: msgpack writes it as the integer 0).
      return cursor.data.getFloat64(advance(payload, F64_BYTES), true);
    case VALUE_TAG.bytes: {
      const length = payload.uvarint();
      // A plain Uint8Array copy, as v1's: it outlives the batch buffer and is never a Buffer.
      return new Uint8Array(payload.take(length));
    }
    case VALUE_TAG.array: {
      checkDepth(cursor, depth);
      const count = readNestedCount(cursor, 'array', 0);
      const items = new Array<AttributeValue>(count);
      for (let i = 0; i < count; i++) items[i] = readAnyValue(cursor, depth + 1);
      return items;
    }
    case VALUE_TAG.kvlist: {
      checkDepth(cursor, depth);
      return readPairs(cursor, readNestedCount(cursor, 'kvlist', 1), depth + 1);
    }
    default:
      cursor.column = cursor.tagsColumn;
      throw cursor.corrupt(`AnyValue tag got ${tag}; want 0..${VALUE_TAG_MAX}`);
  }
}

/**
 * An array's or kvlist's count, from the payload stream. Each item takes a tag byte, and a kvlist
 * entry also a key byte in the payload stream (`payloadBytesPerItem`): one stream when inline.
 */
function readNestedCount(cursor: ColumnCursor, what: string, payloadBytesPerItem: number): number {
  const { tags, payload } = cursor;
  const count = payload.uvarint();
  const tagsLeft = tags.end - tags.pos;
  const payloadLeft = payload.end - payload.pos;
  const fits = tags === payload ? count * (1 + payloadBytesPerItem) <= tagsLeft : count <= tagsLeft && count * payloadBytesPerItem <= payloadLeft;
  if (!fits) {
    throw cursor.corrupt(`${what} count got ${count}; want one the columns can hold (${tagsLeft} tag bytes, ${payloadLeft} payload bytes left)`);
  }
  return count;
}

/** Skips one AnyValue by its structure, building nothing; bounded by the same nesting rule. */
export function skipAnyValue(cursor: ColumnCursor, depth: number): void {
  cursor.column = cursor.tagsColumn;
  const tag = cursor.tags.u8();
  cursor.column = cursor.payloadColumn;
  const payload = cursor.payload;
  switch (tag) {
    case VALUE_TAG.string:
    case VALUE_TAG.int:
      payload.skipVarint();
      return;
    case VALUE_TAG.false:
    case VALUE_TAG.true:
      return;
    case VALUE_TAG.double:
      advance(payload, F64_BYTES);
      return;
    case VALUE_TAG.bytes:
      advance(payload, payload.uvarint());
      return;
    case VALUE_TAG.array: {
      checkDepth(cursor, depth);
      // Each item takes a tag byte or throws, so even a huge count ends at the column's end.
      const count = payload.uvarint();
      for (let i = 0; i < count; i++) skipAnyValue(cursor, depth + 1);
      return;
    }
    case VALUE_TAG.kvlist: {
      checkDepth(cursor, depth);
      skipPairs(cursor, payload.uvarint(), depth + 1);
      return;
    }
    default:
      cursor.column = cursor.tagsColumn;
      throw cursor.corrupt(`AnyValue tag got ${tag}; want 0..${VALUE_TAG_MAX}`);
  }
}

export function skipPairs(cursor: ColumnCursor, count: number, depth: number): void {
  for (let i = 0; i < count; i++) {
    cursor.column = cursor.payloadColumn;
    cursor.payload.skipVarint();
    skipAnyValue(cursor, depth);
  }
}

function checkDepth(cursor: ColumnCursor, depth: number): void {
  if (depth >= ATTRIBUTE_NESTING_MAX) {
    throw cursor.corrupt(`nesting got > ${ATTRIBUTE_NESTING_MAX}; want ≤ ${ATTRIBUTE_NESTING_MAX}`);
  }
}

/**
 * As attributes.ts's setOwn: plain assignment of "__proto__" would set the prototype instead of
 * storing the attribute. A repeated key keeps its first place and takes its last value, which is
 * what v1 gives (msgpack map → Map → object).
 */
export function setOwn(target: Attributes, key: string, value: AttributeValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
