/**
 * Lays out a version-2 batch by hand from data-format.md §2.7, byte by byte, sharing no code with
 * the encoder or the reader (its own varints, its own AnyValue writer), so that tests of the
 * reader are also a second reading of the spec.
 */
import { encodeCommon } from '../../src/batch/common.js';
import type { AttributeValue, ResourceInput, ScopeInput } from '../../src/batch/types.js';
import { crc32c } from '../../src/codec/crc32c.js';

export class Writer {
  private out: number[] = [];

  get length(): number {
    return this.out.length;
  }

  u8(value: number): this {
    this.out.push(value & 0xff);
    return this;
  }

  u32(value: number): this {
    for (let i = 0; i < 4; i++) this.u8(Math.floor(value / 2 ** (8 * i)) % 256);
    return this;
  }

  u64(value: bigint): this {
    for (let i = 0n; i < 8n; i++) this.u8(Number((value >> (8n * i)) & 0xffn));
    return this;
  }

  /** §2.7: LEB128, 7 bits a byte, least significant group first. */
  uvarint(value: number | bigint): this {
    let rest = BigInt(value);
    while (rest >= 0x80n) {
      this.u8(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    return this.u8(Number(rest));
  }

  /** §2.7: `(n << 1) ^ (n >> 63)` over 64 bits, then a uvarint. */
  svarint(value: number | bigint): this {
    const n = BigInt.asIntN(64, BigInt(value));
    return this.uvarint(BigInt.asUintN(64, (n << 1n) ^ (n >> 63n)));
  }

  f64(value: number): this {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    return this.raw(bytes);
  }

  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.u8(bytes[i]!);
    return this;
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

/** Strings in the order first met; `raw` adds bytes that need not be UTF-8. */
export class Dictionary {
  readonly entries: Uint8Array[] = [];
  private readonly ids = new Map<string, number>();

  id(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.entries.length;
      this.entries.push(new TextEncoder().encode(text));
      this.ids.set(text, id);
    }
    return id;
  }

  raw(bytes: Uint8Array): number {
    this.entries.push(bytes);
    return this.entries.length - 1;
  }
}

/** An attribute list as written: pairs, so a test can repeat a key. */
export type Pairs = [string, AttributeValue][];

/** §2.7.5 AnyValue: its tag to `tags`, the rest to `payload` (the same writer for inline values). */
export function writeValue(tags: Writer, payload: Writer, dictionary: Dictionary, value: AttributeValue): void {
  if (typeof value === 'string') {
    tags.u8(0);
    payload.uvarint(dictionary.id(value));
  } else if (typeof value === 'boolean') {
    tags.u8(value ? 2 : 1);
  } else if (typeof value === 'bigint') {
    tags.u8(3);
    payload.svarint(value);
  } else if (typeof value === 'number') {
    tags.u8(4);
    payload.f64(value);
  } else if (value instanceof Uint8Array) {
    tags.u8(5);
    payload.uvarint(value.length).raw(value);
  } else if (Array.isArray(value)) {
    tags.u8(6);
    payload.uvarint(value.length);
    for (const item of value) writeValue(tags, payload, dictionary, item);
  } else {
    tags.u8(7);
    const keys = Object.keys(value);
    payload.uvarint(keys.length);
    for (const key of keys) {
      payload.uvarint(dictionary.id(key));
      writeValue(tags, payload, dictionary, value[key]!);
    }
  }
}

function writeInlinePairs(column: Writer, dictionary: Dictionary, pairs: Pairs): void {
  column.uvarint(pairs.length);
  for (const [key, value] of pairs) {
    column.uvarint(dictionary.id(key));
    writeValue(column, column, dictionary, value);
  }
}

export interface RowSpec {
  spanId: string;
  /** 'none', an outside parent id (hex), or the parent's row relative to this one. */
  parent: { none: true } | { id: string } | { delta: number };
  name: string;
  kind: number;
  statusCode: number;
  start: bigint;
  duration: bigint;
  flags?: number;
  traceState?: string;
  statusMessage?: string;
  dropped?: [number, number, number];
  attributes?: Pairs;
  events?: { offset: bigint; name: string; attributes: Pairs; dropped: number }[];
  links?: { traceId: string; spanId: string; traceState?: string; attributes: Pairs; dropped: number; flags?: number }[];
}

export interface RunSpec {
  traceId: string;
  rows: RowSpec[];
  /** Defaults to what §2.7.4 says for the rows given. */
  rootRow?: number;
}

/** Every section of a batch as bytes; tests tamper with one, then `layout` puts them together. */
export interface HandBatch {
  common: Uint8Array;
  dictionary: Uint8Array;
  dictionaryCount: number;
  columns: Uint8Array;
  search: Uint8Array;
  trailer: Uint8Array;
  spanCount: number;
  runCount: number;
  min: bigint;
  max: bigint;
  /** The thirteen columns before the directory was put in front, for tests that change one. */
  columnList: Uint8Array[];
  /** The search section's two parts. */
  searchSpans: Uint8Array;
  searchRuns: Uint8Array;
}

export const COLUMN_COUNT_V2 = 13;

export function buildHand(runs: RunSpec[], resource: ResourceInput = {}, scope?: ScopeInput): HandBatch {
  const dictionary = new Dictionary();
  const rows = runs.flatMap((run) => run.rows);
  const columnWriters = Array.from({ length: COLUMN_COUNT_V2 }, () => new Writer());
  const [parent, parentIds, flags, traceState, statusMessage, dropped, counts, keys, tags, values, events, links, runIndex] = columnWriters as [
    Writer, Writer, Writer, Writer, Writer, Writer, Writer, Writer, Writer, Writer, Writer, Writer, Writer,
  ];
  // Column 12: per run, its bytes in the attribute keys, tags and values columns.
  let runAt = 0;
  let rowsLeftInRun = runs[0]?.rows.length ?? 0;
  let runStart = [0, 0, 0];
  const endRunsAt = () => {
    while (rowsLeftInRun === 0 && runAt < runs.length) {
      const now = [keys.length, tags.length, values.length];
      for (let k = 0; k < 3; k++) runIndex.uvarint(now[k]! - runStart[k]!);
      runStart = now;
      runAt++;
      rowsLeftInRun = runs[runAt]?.rows.length ?? 0;
    }
  };
  const searchSpans = new Writer();
  const starts = rows.map((row) => row.start);
  const min = starts.reduce((a, b) => (b < a ? b : a));
  const max = starts.reduce((a, b) => (b > a ? b : a));
  let previous = min;
  for (const row of rows) {
    if ('none' in row.parent) parent.uvarint(0);
    else if ('id' in row.parent) {
      parent.uvarint(1);
      parentIds.raw(hex(row.parent.id));
    } else parent.uvarint(2n + BigInt.asUintN(64, (BigInt(row.parent.delta) << 1n) ^ (BigInt(row.parent.delta) >> 63n)));
    flags.uvarint(row.flags === undefined ? 0 : row.flags + 1);
    traceState.uvarint(row.traceState === undefined ? 0 : dictionary.id(row.traceState) + 1);
    statusMessage.uvarint(row.statusMessage === undefined ? 0 : dictionary.id(row.statusMessage) + 1);
    for (const count of row.dropped ?? [0, 0, 0]) dropped.uvarint(count);
    const attributes = row.attributes ?? [];
    counts.uvarint(attributes.length);
    for (const [key, value] of attributes) {
      keys.uvarint(dictionary.id(key));
      writeValue(tags, values, dictionary, value);
    }
    events.uvarint(row.events?.length ?? 0);
    for (const event of row.events ?? []) {
      events.svarint(event.offset).uvarint(dictionary.id(event.name));
      writeInlinePairs(events, dictionary, event.attributes);
      events.uvarint(event.dropped);
    }
    links.uvarint(row.links?.length ?? 0);
    for (const link of row.links ?? []) {
      links.raw(hex(link.traceId)).raw(hex(link.spanId));
      links.uvarint(link.traceState === undefined ? 0 : dictionary.id(link.traceState) + 1);
      writeInlinePairs(links, dictionary, link.attributes);
      links.uvarint(link.dropped).uvarint(link.flags === undefined ? 0 : link.flags + 1);
    }
    searchSpans.uvarint(dictionary.id(row.name)).u8(row.kind).u8(row.statusCode);
    searchSpans.svarint(row.start - previous).svarint(row.duration);
    previous = row.start;
    rowsLeftInRun--;
    endRunsAt();
  }
  const searchRuns = new Writer();
  for (const run of runs) searchRuns.uvarint(run.rootRow ?? rootRowOf(run.rows));
  const trailer = new Writer();
  for (const run of runs) trailer.raw(hex(run.traceId)).u32(run.rows.length);
  for (const row of rows) trailer.raw(hex(row.spanId));

  const columnList = columnWriters.map((writer) => writer.bytes());
  const dictionaryWriter = new Writer();
  for (const entry of dictionary.entries) dictionaryWriter.uvarint(entry.length).raw(entry);
  return {
    common: encodeCommon(resource, scope),
    dictionary: dictionaryWriter.bytes(),
    dictionaryCount: dictionary.entries.length,
    columns: columnsSection(columnList),
    search: searchSection(searchSpans.bytes(), searchRuns.bytes()),
    trailer: trailer.bytes(),
    spanCount: rows.length,
    runCount: runs.length,
    min,
    max,
    columnList,
    searchSpans: searchSpans.bytes(),
    searchRuns: searchRuns.bytes(),
  };
}

function rootRowOf(rows: RowSpec[]): number {
  const root = rows.findIndex((row) => 'none' in row.parent);
  return root < 0 ? 0 : root + 1;
}

/** §2.7.5: u8 columnCount, a u32 length per column, the columns back to back. */
export function columnsSection(columns: Uint8Array[], columnCount = columns.length): Uint8Array {
  const out = new Writer().u8(columnCount);
  for (const column of columns) out.u32(column.length);
  for (const column of columns) out.raw(column);
  return out.bytes();
}

/** §2.7.4: two parts, each a u32 length then its bytes. */
export function searchSection(spans: Uint8Array, runs: Uint8Array): Uint8Array {
  return new Writer().u32(spans.length).raw(spans).u32(runs.length).raw(runs).bytes();
}

/** The §2.7.1 header, the sections and the §2.3 footer, both CRCs computed. */
export function layout(batch: HandBatch): Uint8Array {
  const header = new Writer()
    .u32(0x42564b54)
    .u8(2).u8(0)
    .u8(0).u8(0)
    .u32(batch.spanCount)
    .u32(batch.runCount)
    .u32(batch.common.length)
    .u32(batch.dictionary.length)
    .u32(batch.columns.length)
    .u32(batch.search.length)
    .u64(batch.min)
    .u64(batch.max)
    .u32(batch.dictionaryCount)
    .u32(0)
    .u32(0)
    .u32(0);
  const body = new Writer()
    .raw(header.bytes())
    .raw(batch.common)
    .raw(batch.dictionary)
    .raw(batch.columns)
    .raw(batch.search)
    .raw(batch.trailer)
    .u32(0)
    .u32(0x45564b54)
    .bytes();
  return reseal(body);
}

/** Recomputes headerCrc and batchCrc in place, so a test's change meets the structural checks, not a CRC. */
export function reseal(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(60, crc32c(bytes, 0, 60), true);
  view.setUint32(bytes.length - 8, crc32c(bytes, 0, bytes.length - 8), true);
  return bytes;
}

/** Section offsets in a laid-out batch, for tests that flip bytes of one section. */
export function sectionsOf(batch: HandBatch): Record<'header' | 'common' | 'dictionary' | 'columns' | 'search' | 'trailer' | 'footer', [number, number]> {
  const common = 64;
  const dictionary = common + batch.common.length;
  const columns = dictionary + batch.dictionary.length;
  const search = columns + batch.columns.length;
  const trailer = search + batch.search.length;
  const footer = trailer + batch.trailer.length;
  return {
    header: [0, 64],
    common: [common, dictionary],
    dictionary: [dictionary, columns],
    columns: [columns, search],
    search: [search, trailer],
    trailer: [trailer, footer],
    footer: [footer, footer + 8],
  };
}
