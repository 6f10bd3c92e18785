/**
 * Batch version 2, the columnar layout (data-format.md §2.7): header offsets, the column order,
 * AnyValue tags and the fixed widths, shared by the encoder and the decoder so that neither keeps
 * its own copy of a number the format fixes.
 */
import { SPAN_ID_BYTES, TRACE_ID_BYTES } from '../constants.js';

export const COLUMNAR_BATCH_VERSION = 2;
/** §2.7.1: 64 bytes, the CRC last, covering everything before it. */
export const COLUMNAR_HEADER_BYTES = 64;

/** Field offsets inside the version-2 header, as in the §2.7.1 table. */
export const COLUMNAR_HEADER_OFFSET = {
  magic: 0,
  version: 4,
  flags: 6,
  spanCount: 8,
  runCount: 12,
  commonLength: 16,
  dictionaryLength: 20,
  columnsLength: 24,
  searchLength: 28,
  minStartTimeUnixNano: 32,
  maxStartTimeUnixNano: 40,
  dictionaryCount: 48,
  reserved1: 52,
  reserved2: 56,
  headerCrc: 60,
} as const;

/** §2.7.2: a run entry is a trace id and a u32 row count. */
export const RUN_ENTRY_BYTES = TRACE_ID_BYTES + 4;
export const ROW_SPAN_ID_BYTES = SPAN_ID_BYTES;

/** §2.7.5, in order. */
export const COLUMN = {
  parent: 0,
  parentIds: 1,
  flags: 2,
  traceState: 3,
  statusMessage: 4,
  dropped: 5,
  attributeCounts: 6,
  attributeKeys: 7,
  attributeValueTags: 8,
  attributeValues: 9,
  events: 10,
  links: 11,
  runAttributeBytes: 12,
} as const;
export const COLUMN_COUNT = 13;
/**
 * The columns column 12 (runAttributeBytes) indexes by run: per run, its byte length in each of
 * these, in this order. They hold a row's attributes, most of a batch's column bytes, so a reader
 * reaches a run by adding lengths instead of skipping every attribute of the rows before it.
 */
export const RUN_INDEXED_COLUMNS = [COLUMN.attributeKeys, COLUMN.attributeValueTags, COLUMN.attributeValues] as const;
/** The columns section opens with a u8 count, then a u32 length per column. */
export const COLUMN_DIRECTORY_BYTES = 1 + 4 * COLUMN_COUNT;

/** §2.7.5 parent entries: none, an explicit id in parentIds, or (from this value up) a row of the run. */
export const PARENT_NONE = 0;
export const PARENT_EXTERNAL = 1;
export const PARENT_ROW_BASE = 2;

/** §2.7.5 AnyValue tags. */
export const VALUE_TAG = {
  string: 0,
  false: 1,
  true: 2,
  int: 3,
  double: 4,
  bytes: 5,
  array: 6,
  kvlist: 7,
} as const;
export const VALUE_TAG_MAX = 7;

/** §2.7.4: the search section's two parts each open with a u32 length. */
export const SEARCH_PART_LENGTH_BYTES = 4;
