/**
 * Reading a version-2 (columnar) batch back into spans (data-format.md §2.7): the whole batch, or
 * only some rows, skipping the earlier rows' column entries without building their values
 * (§2.7.5). A decoded span is exactly what v1's decoder gives for the same input span: same
 * defaults, same types, optional properties left off rather than set to undefined.
 */
import { SPAN_ID_BYTES, TRACE_ID_BYTES, UNIX_NANO_MAX } from '../constants.js';
import { TraceKvError, assert } from '../errors.js';
import { type ByteIn, ByteInError } from './byte-stream.js';
import { COLUMN, COLUMN_COUNT, PARENT_EXTERNAL, PARENT_ROW_BASE, VALUE_TAG } from './columnar-layout.js';
import {
  ColumnCursor,
  F64_BYTES,
  PAIR_BYTES_MIN,
  SEARCH_SECTION,
  advance,
  readAnyValue,
  readCount,
  readOptionalString,
  readPairs,
  readString,
  setOwn,
  skipAnyValue,
  skipPairs,
} from './columnar-values.js';
import { type ColumnarView, openColumnarBatch } from './columnar-view.js';
import { decodeCommon } from './common.js';
import type { BatchCommon, DecodedBatch } from './decoder.js';
import { bytesToHex, isZeroId } from './ids.js';
import { U32_MAX } from './input-checks.js';
import type { Attributes, Span, SpanEvent, SpanLink, SpanStatus } from './types.js';
import type { BatchLimits } from './validate.js';

/** The least an event takes: timeOffset, nameId, attribute count and droppedAttributesCount, a byte each. */
const EVENT_BYTES_MIN = 4;
/** The least a link takes: its two ids, then traceState, attribute count, dropped count and flags, a byte each. */
const LINK_BYTES_MIN = TRACE_ID_BYTES + SPAN_ID_BYTES + 4;

/** Opens (every store check; limits default to the hard limits) and decodes every row in row order. */
export function decodeColumnarBatch(bytes: Uint8Array, limits?: Partial<BatchLimits>): DecodedBatch {
  const view = openColumnarBatch(bytes, limits);
  const common = decodeColumnarCommon(view);
  return { resource: common.resource, scope: common.scope, spans: decodeColumnarRows(view, common, 0, view.spanCount) };
}

/** The common section, as §2.4; a fault is ERR_BATCH_CORRUPT at the section's version-2 offset. */
export function decodeColumnarCommon(view: ColumnarView): BatchCommon {
  try {
    return decodeCommon(view.commonBytes());
  } catch (error) {
    // decodeCommon names offset 48, where version 1's common section starts; here it starts at 64.
    if (!(error instanceof TraceKvError) || error.code !== 'ERR_BATCH_CORRUPT') throw error;
    throw new TraceKvError('ERR_BATCH_CORRUPT', error.message, { offset: view.commonStart, cause: error });
  }
}

/** The rows of run `run`, a whole trace of the batch. */
export function decodeColumnarRun(view: ColumnarView, common: BatchCommon, run: number): Span[] {
  return decodeColumnarRows(view, common, view.runFirstRow(run), view.runRowCount(run));
}

/**
 * Rows [firstRow, firstRow + rowCount). Each column is read from its start, skipping earlier rows
 * structurally; the check that every column ends exactly after the last row runs only when the
 * range reaches it, and run `k`'s stored rootRow is checked against the parent column when the
 * range holds all of run `k`.
 */
export function decodeColumnarRows(view: ColumnarView, common: BatchCommon, firstRow: number, rowCount: number): Span[] {
  assert(
    Number.isInteger(firstRow) && Number.isInteger(rowCount) && firstRow >= 0 && rowCount >= 0 && firstRow + rowCount <= view.spanCount,
    `rows [${firstRow}, ${firstRow + rowCount}) outside [0, ${view.spanCount})`,
  );
  const spans = new Array<Span>(rowCount);
  if (rowCount === 0) return spans;
  let cursor = new ColumnCursor(view);
  try {
    try {
      skipRows(cursor, firstRow);
    } catch (error) {
      // Damage among the skipped rows: skip again row by row, to name the row it is in.
      cursor = new ColumnCursor(view);
      for (let row = 0; row < firstRow; row++) skipRow(cursor, row);
      throw error;
    }
    let run = view.runOf(firstRow);
    let runFirst = view.runFirstRow(run);
    let runEnd = runFirst + view.runRowCount(run);
    let traceIdHex = view.runTraceIdHex(run);
    let rootRow = -1;
    for (let i = 0; i < rowCount; i++) {
      const row = firstRow + i;
      if (row === runEnd) {
        run++;
        runFirst = row;
        runEnd = row + view.runRowCount(run);
        traceIdHex = view.runTraceIdHex(run);
        rootRow = -1;
      }
      spans[i] = decodeRow(cursor, common, row, runFirst, runEnd, traceIdHex);
      if (rootRow < 0 && cursor.parentEntry === 0) rootRow = row;
      if (row === runEnd - 1) {
        cursor.checkRunEnd(run);
        if (runFirst >= firstRow) checkRootRow(cursor, run, runFirst, rootRow);
      }
    }
    if (firstRow + rowCount === view.spanCount) checkConsumed(cursor);
  } catch (error) {
    throw cursor.wrap(error);
  }
  return spans;
}

function decodeRow(cursor: ColumnCursor, common: BatchCommon, row: number, runFirst: number, runEnd: number, traceIdHex: string): Span {
  const { view, columns } = cursor;
  cursor.row = row;
  cursor.column = COLUMN.parent;
  const parentEntry = columns[COLUMN.parent].uvarint();
  cursor.parentEntry = parentEntry;
  let parentSpanId: string | undefined;
  if (parentEntry === PARENT_EXTERNAL) parentSpanId = readExternalParent(cursor);
  else if (parentEntry >= PARENT_ROW_BASE) parentSpanId = view.spanIdHex(parentRowOf(cursor, parentEntry, runFirst, runEnd));
  cursor.column = COLUMN.flags;
  const flags = readOptionalU32(cursor, columns[COLUMN.flags], 'flags');
  cursor.column = COLUMN.traceState;
  const traceState = readOptionalString(cursor, columns[COLUMN.traceState]);
  cursor.column = COLUMN.statusMessage;
  const statusMessage = readOptionalString(cursor, columns[COLUMN.statusMessage]);
  cursor.column = COLUMN.dropped;
  const dropped = columns[COLUMN.dropped];
  const droppedAttributesCount = dropped.u32varint();
  const droppedEventsCount = dropped.u32varint();
  const droppedLinksCount = dropped.u32varint();
  const attributes = readRowAttributes(cursor);
  const start = view.startTimeUnixNano(row);
  cursor.column = COLUMN.events;
  const events = readEvents(cursor, columns[COLUMN.events], start);
  cursor.column = COLUMN.links;
  const links = readLinks(cursor, columns[COLUMN.links]);
  cursor.column = SEARCH_SECTION;
  const end = start + view.durationNano(row);
  if (end < 0n || end > UNIX_NANO_MAX) throw cursor.corrupt(`endTimeUnixNano got ${end}; want a u64`);
  const status: SpanStatus = { code: view.statusCode(row) as SpanStatus['code'] };
  // v1 reads a status message '' as none: OTLP cannot tell them apart.
  if (statusMessage !== undefined && statusMessage !== '') status.message = statusMessage;

  // Built in v1's property order (span-codec.ts), so both versions' spans share one shape.
  const span: Span = {
    traceId: traceIdHex,
    spanId: view.spanIdHex(row),
    name: view.string(view.nameId(row)),
    kind: view.kind(row),
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    attributes,
    droppedAttributesCount,
    events,
    droppedEventsCount,
    links,
    droppedLinksCount,
    status,
    resource: common.resource,
    scope: common.scope,
  };
  if (parentSpanId !== undefined) span.parentSpanId = parentSpanId;
  if (traceState !== undefined) span.traceState = traceState;
  if (flags !== undefined) span.flags = flags;
  return span;
}

function readExternalParent(cursor: ColumnCursor): string {
  cursor.column = COLUMN.parentIds;
  const at = advance(cursor.columns[COLUMN.parentIds], SPAN_ID_BYTES);
  // As v1: an all-zero id means "none" in OTLP, and the encoder writes entry 0 for that.
  if (isZeroId(cursor.view.bytes, at, SPAN_ID_BYTES)) throw cursor.corrupt(`parent id got all zeros; want a non-zero id`);
  return bytesToHex(cursor.view.bytes, at, SPAN_ID_BYTES);
}

/** Entry p ≥ 2 names row r + unzigzag(p − 2), which must be another row of the same run. */
function parentRowOf(cursor: ColumnCursor, entry: number, runFirst: number, runEnd: number): number {
  const zigzag = entry - PARENT_ROW_BASE;
  const delta = zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  const parentRow = cursor.row + delta;
  if (delta === 0 || parentRow < runFirst || parentRow >= runEnd) {
    throw cursor.corrupt(`parent entry ${entry} got row ${parentRow}; want a row of the run [${runFirst}, ${runEnd}) other than ${cursor.row}`);
  }
  return parentRow;
}

/** A uvarint "0 absent, else value + 1" for a u32 value (span and link flags). */
function readOptionalU32(cursor: ColumnCursor, input: ByteIn, what: string): number | undefined {
  const entry = input.uvarint();
  if (entry === 0) return undefined;
  if (entry - 1 > U32_MAX) throw cursor.corrupt(`${what} got ${entry - 1}; want ≤ ${U32_MAX}`);
  return entry - 1;
}

function readRowAttributes(cursor: ColumnCursor): Attributes {
  const { columns } = cursor;
  cursor.column = COLUMN.attributeCounts;
  const count = columns[COLUMN.attributeCounts].uvarint();
  const keys = columns[COLUMN.attributeKeys];
  cursor.valuesFrom(COLUMN.attributeValueTags, COLUMN.attributeValues);
  // Each attribute takes at least a key byte and a tag byte (a boolean has no payload).
  const left = Math.min(keys.end - keys.pos, cursor.tags.end - cursor.tags.pos);
  if (count > left) {
    throw cursor.corrupt(`attribute count got ${count}; want ≤ ${left} (bytes left in attributeKeys and attributeValueTags, ≥ 1 per attribute)`);
  }
  const attributes: Attributes = {};
  for (let i = 0; i < count; i++) {
    cursor.column = COLUMN.attributeKeys;
    const key = readString(cursor, keys);
    setOwn(attributes, key, readAnyValue(cursor, 0));
  }
  return attributes;
}

function readEvents(cursor: ColumnCursor, input: ByteIn, start: bigint): SpanEvent[] {
  const count = readCount(cursor, input, EVENT_BYTES_MIN, 'event');
  cursor.valuesFrom(COLUMN.events, COLUMN.events);
  const events = new Array<SpanEvent>(count);
  for (let i = 0; i < count; i++) {
    const timeUnixNano = start + input.svarint();
    if (timeUnixNano < 0n || timeUnixNano > UNIX_NANO_MAX) throw cursor.corrupt(`events[${i}].timeUnixNano got ${timeUnixNano}; want a u64`);
    const name = readString(cursor, input);
    const attributes = readPairs(cursor, readCount(cursor, input, PAIR_BYTES_MIN, 'event attribute'), 0);
    events[i] = { timeUnixNano, name, attributes, droppedAttributesCount: input.u32varint() };
  }
  return events;
}

function readLinks(cursor: ColumnCursor, input: ByteIn): SpanLink[] {
  const bytes = cursor.view.bytes;
  const count = readCount(cursor, input, LINK_BYTES_MIN, 'link');
  cursor.valuesFrom(COLUMN.links, COLUMN.links);
  const links = new Array<SpanLink>(count);
  for (let i = 0; i < count; i++) {
    const traceIdAt = advance(input, TRACE_ID_BYTES);
    if (isZeroId(bytes, traceIdAt, TRACE_ID_BYTES)) throw cursor.corrupt(`links[${i}].traceId got all zeros; want a non-zero id`);
    const spanIdAt = advance(input, SPAN_ID_BYTES);
    if (isZeroId(bytes, spanIdAt, SPAN_ID_BYTES)) throw cursor.corrupt(`links[${i}].spanId got all zeros; want a non-zero id`);
    const traceState = readOptionalString(cursor, input);
    const attributes = readPairs(cursor, readCount(cursor, input, PAIR_BYTES_MIN, 'link attribute'), 0);
    const link: SpanLink = {
      traceId: bytesToHex(bytes, traceIdAt, TRACE_ID_BYTES),
      spanId: bytesToHex(bytes, spanIdAt, SPAN_ID_BYTES),
      attributes,
      droppedAttributesCount: input.u32varint(),
    };
    if (traceState !== undefined) link.traceState = traceState;
    const flags = readOptionalU32(cursor, input, 'link flags');
    if (flags !== undefined) link.flags = flags;
    links[i] = link;
  }
  return links;
}

/**
 * Steps over one row's entries in every column, building nothing. Each loop iteration consumes
 * at least one byte or throws, so a corrupt count cannot spin past its column's end.
 */
/** Columns holding one uvarint per row. */
const ONE_VARINT_COLUMNS = [COLUMN.flags, COLUMN.traceState, COLUMN.statusMessage] as const;
/** The per-row lists and how to skip a row of each. */
const LIST_COLUMNS = [
  [COLUMN.events, skipEvents],
  [COLUMN.links, skipLinks],
] as const;

/**
 * Skips the entries of rows [0, rows) column by column, building nothing: a tight loop per column
 * instead of twelve dispatches per row (reading the last trace of a 1,000-span W1 batch skipped
 * ~11,000 attribute entries one row at a time), and the attribute columns of whole runs by column
 * 12's lengths. Structure is checked as it goes: varint lengths, the parent ids the parent column
 * calls for, and the tags of every AnyValue skipped one by one.
 */
function skipRows(cursor: ColumnCursor, rows: number): void {
  if (rows === 0) return;
  const { columns } = cursor;
  cursor.row = rows - 1;
  cursor.column = COLUMN.parent;
  const parents = columns[COLUMN.parent];
  let externals = 0;
  for (let row = 0; row < rows; row++) if (parents.uvarint() === PARENT_EXTERNAL) externals++;
  cursor.column = COLUMN.parentIds;
  advance(columns[COLUMN.parentIds], externals * SPAN_ID_BYTES);
  for (const column of ONE_VARINT_COLUMNS) {
    cursor.column = column;
    columns[column].skipVarints(rows);
  }
  cursor.column = COLUMN.dropped;
  columns[COLUMN.dropped].skipVarints(3 * rows);
  // Attributes: column 12 takes the attribute columns straight to the run holding row `rows`; only
  // that run's rows before it are skipped attribute by attribute.
  const view = cursor.view;
  const run = view.runOf(rows);
  const runFirst = view.runFirstRow(run);
  cursor.column = COLUMN.attributeCounts;
  const counts = columns[COLUMN.attributeCounts];
  counts.skipVarints(runFirst);
  let attributes = 0;
  for (let row = runFirst; row < rows; row++) attributes += counts.uvarint();
  cursor.jumpToRun(run);
  cursor.column = COLUMN.attributeKeys;
  columns[COLUMN.attributeKeys].skipVarints(attributes);
  cursor.valuesFrom(COLUMN.attributeValueTags, COLUMN.attributeValues);
  skipFlatValues(cursor, attributes);
  for (const [column, skip] of LIST_COLUMNS) {
    cursor.column = column;
    const input = columns[column];
    for (let row = 0; row < rows; row++) {
      // Most rows have none: a single 0 byte.
      if (input.pos < input.end && input.bytes[input.pos] === 0) input.pos++;
      else skip(cursor, input);
    }
  }
}

/** Skips one row's entries in every column: the slow path, run only to name the row a damaged skip was in. */
function skipRow(cursor: ColumnCursor, row: number): void {
  const { columns } = cursor;
  cursor.row = row;
  cursor.column = COLUMN.parent;
  if (columns[COLUMN.parent].uvarint() === PARENT_EXTERNAL) {
    cursor.column = COLUMN.parentIds;
    advance(columns[COLUMN.parentIds], SPAN_ID_BYTES);
  }
  cursor.column = COLUMN.flags;
  columns[COLUMN.flags].skipVarint();
  cursor.column = COLUMN.traceState;
  columns[COLUMN.traceState].skipVarint();
  cursor.column = COLUMN.statusMessage;
  columns[COLUMN.statusMessage].skipVarint();
  cursor.column = COLUMN.dropped;
  const dropped = columns[COLUMN.dropped];
  dropped.skipVarint();
  dropped.skipVarint();
  dropped.skipVarint();
  cursor.column = COLUMN.attributeCounts;
  const attributeCount = columns[COLUMN.attributeCounts].uvarint();
  cursor.column = COLUMN.attributeKeys;
  for (let i = 0; i < attributeCount; i++) columns[COLUMN.attributeKeys].skipVarint();
  cursor.valuesFrom(COLUMN.attributeValueTags, COLUMN.attributeValues);
  for (let i = 0; i < attributeCount; i++) skipAnyValue(cursor, 0);
  cursor.column = COLUMN.events;
  skipEvents(cursor, columns[COLUMN.events]);
  cursor.column = COLUMN.links;
  skipLinks(cursor, columns[COLUMN.links]);
}


/**
 * Skips `count` attribute values: strings, ints, booleans and doubles in one loop over the tags
 * (a string's id or an int is one varint of the payload), arrays, kvlists and bytes by their
 * structure.
 */
function skipFlatValues(cursor: ColumnCursor, count: number): void {
  const { tags, payload } = cursor;
  const tagBytes = tags.bytes;
  for (let i = 0; i < count; i++) {
    if (tags.pos >= tags.end) throw new ByteInError(`got the end at ${tags.pos}; want 1 more byte`);
    const tag = tagBytes[tags.pos]!;
    if (tag === VALUE_TAG.string || tag === VALUE_TAG.int) {
      // A run of varint payloads (most attribute values are strings) is skipped in one scan.
      let varints = 1;
      tags.pos++;
      while (i + 1 < count && tags.pos < tags.end && (tagBytes[tags.pos] === VALUE_TAG.string || tagBytes[tags.pos] === VALUE_TAG.int)) {
        tags.pos++;
        varints++;
        i++;
      }
      payload.skipVarints(varints);
    } else if (tag === VALUE_TAG.false || tag === VALUE_TAG.true) {
      tags.pos++;
    } else if (tag === VALUE_TAG.double) {
      tags.pos++;
      advance(payload, F64_BYTES);
    } else {
      skipAnyValue(cursor, 0);
    }
  }
}

function skipEvents(cursor: ColumnCursor, input: ByteIn): void {
  const count = input.uvarint();
  cursor.valuesFrom(COLUMN.events, COLUMN.events);
  for (let i = 0; i < count; i++) {
    input.skipVarint();
    input.skipVarint();
    skipPairs(cursor, input.uvarint(), 0);
    input.skipVarint();
  }
}

function skipLinks(cursor: ColumnCursor, input: ByteIn): void {
  const count = input.uvarint();
  cursor.valuesFrom(COLUMN.links, COLUMN.links);
  for (let i = 0; i < count; i++) {
    advance(input, TRACE_ID_BYTES + SPAN_ID_BYTES);
    input.skipVarint();
    skipPairs(cursor, input.uvarint(), 0);
    input.skipVarint();
    input.skipVarint();
  }
}

/** §2.7.4's rootRow is what search trusts; a run decoded whole proves it against the parent column. */
function checkRootRow(cursor: ColumnCursor, run: number, runFirst: number, rootRow: number): void {
  const want = rootRow < 0 ? 0 : 1 + rootRow - runFirst;
  const got = cursor.view.runRootRow(run);
  if (got !== want) {
    cursor.column = COLUMN.parent;
    throw cursor.corrupt(`run ${run}'s rootRow (search section) got ${got}; want ${want} (its first row without a parent, by this column)`);
  }
}

function checkConsumed(cursor: ColumnCursor): void {
  for (let column = 0; column < COLUMN_COUNT; column++) {
    const input = cursor.columns[column];
    if (input.pos !== input.end) {
      cursor.column = column;
      throw cursor.corrupt(`got ${input.end - input.pos} bytes left after the last row; want 0`);
    }
  }
}
