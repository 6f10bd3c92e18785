/**
 * The peer benchmark's ClickHouse table and its rows: one row per span, in ClickHouse's RowBinary
 * format (the cheapest for the server to parse), so both engines get the same spans, built by the
 * client before the clock starts.
 *
 * The table follows what trace schemas on ClickHouse do (the OpenTelemetry Collector's exporter,
 * Jaeger's plugin): a MergeTree ordered by trace id, so a trace's spans sit together and a lookup
 * reads a granule per column; attributes as parallel key and value arrays. What it keeps:
 * every field W1 and W2 use. Attribute values are kept as text (a string as is; other kinds in
 * a JSON-like text), which makes the table no larger than a typed one would be on these workloads.
 *
 * RowBinary: FixedString(N) is N bytes; String is a LEB128 length then the bytes; UIntN is little
 * endian; Array(T) is a LEB128 count then the elements.
 */
import type { AttributeValue, SpanInput } from '../../../src/batch/types.js';

export type ColumnType = 'FixedString(16)' | 'FixedString(8)' | 'String' | 'UInt8' | 'UInt32' | 'UInt64' | 'Array(String)' | 'Array(UInt64)';

/** The columns, in row order: the table's statement and the row reader follow this list. */
export const SPAN_COLUMNS: readonly { name: string; type: ColumnType }[] = [
  { name: 'trace_id', type: 'FixedString(16)' },
  { name: 'span_id', type: 'FixedString(8)' },
  { name: 'parent_span_id', type: 'FixedString(8)' },
  { name: 'service_name', type: 'String' },
  { name: 'scope_name', type: 'String' },
  { name: 'scope_version', type: 'String' },
  { name: 'name', type: 'String' },
  { name: 'kind', type: 'UInt8' },
  { name: 'start_time_unix_nano', type: 'UInt64' },
  { name: 'duration_nano', type: 'UInt64' },
  { name: 'status_code', type: 'UInt8' },
  { name: 'status_message', type: 'String' },
  { name: 'trace_state', type: 'String' },
  { name: 'flags', type: 'UInt32' },
  { name: 'attribute_keys', type: 'Array(String)' },
  { name: 'attribute_values', type: 'Array(String)' },
  { name: 'event_times_unix_nano', type: 'Array(UInt64)' },
  { name: 'event_names', type: 'Array(String)' },
  { name: 'event_attributes', type: 'Array(String)' },
  { name: 'link_trace_ids', type: 'Array(String)' },
  { name: 'link_span_ids', type: 'Array(String)' },
];

export const SPANS_TABLE = 'spans';

export function createSpansTable(): string {
  const columns = SPAN_COLUMNS.map(({ name, type }) => `${name} ${type}`).join(', ');
  return `CREATE TABLE ${SPANS_TABLE} (${columns}) ENGINE = MergeTree() ORDER BY trace_id SETTINGS index_granularity = 8192`;
}

const ROWS_INITIAL_BYTES = 1 << 20;

/** Appends span rows to a growing buffer; `take()` hands the bytes over and starts again. */
export class SpanRowWriter {
  private bytes = Buffer.allocUnsafe(ROWS_INITIAL_BYTES);
  private at = 0;
  rows = 0;

  get byteLength(): number {
    return this.at;
  }

  add(span: SpanInput, service: string, scope: { name: string; version?: string }): void {
    this.fixed(span.traceId, 16);
    this.fixed(span.spanId, 8);
    this.fixed(span.parentSpanId, 8);
    this.string(service);
    this.string(scope.name);
    this.string(scope.version ?? '');
    this.string(span.name);
    this.uint8(span.kind ?? 0);
    this.uint64(span.startTimeUnixNano);
    this.uint64(span.endTimeUnixNano - span.startTimeUnixNano);
    this.uint8(span.status?.code ?? 0);
    this.string(span.status?.message ?? '');
    this.string(span.traceState ?? '');
    this.uint32(span.flags ?? 0);
    const attributes = Object.entries(span.attributes ?? {});
    this.count(attributes.length);
    for (const [key] of attributes) this.string(key);
    this.count(attributes.length);
    for (const [, value] of attributes) this.string(valueText(value));
    const events = span.events ?? [];
    this.count(events.length);
    for (const event of events) this.uint64(event.timeUnixNano);
    this.count(events.length);
    for (const event of events) this.string(event.name);
    this.count(events.length);
    for (const event of events) this.string(valueText(event.attributes ?? {}));
    const links = span.links ?? [];
    this.count(links.length);
    for (const link of links) this.string(idHex(link.traceId));
    this.count(links.length);
    for (const link of links) this.string(idHex(link.spanId));
    this.rows++;
  }

  take(): Buffer {
    const out = Buffer.from(this.bytes.subarray(0, this.at));
    this.at = 0;
    this.rows = 0;
    return out;
  }

  private room(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.at + n));
    this.bytes.copy(next, 0, 0, this.at);
    this.bytes = next;
  }

  private fixed(id: Uint8Array | string | undefined, width: number): void {
    this.room(width);
    if (id === undefined) this.bytes.fill(0, this.at, this.at + width);
    else if (typeof id === 'string') this.bytes.write(id.padStart(width * 2, '0'), this.at, width, 'hex');
    else this.bytes.set(id.subarray(0, width), this.at);
    this.at += width;
  }

  private count(n: number): void {
    this.room(10);
    let value = n;
    while (value >= 0x80) {
      this.bytes[this.at++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    this.bytes[this.at++] = value;
  }

  private string(text: string): void {
    const length = Buffer.byteLength(text, 'utf8');
    this.count(length);
    this.room(length);
    this.at += this.bytes.write(text, this.at, 'utf8');
  }

  private uint8(value: number): void {
    this.room(1);
    this.bytes[this.at++] = value;
  }

  private uint32(value: number): void {
    this.room(4);
    this.at = this.bytes.writeUInt32LE(value, this.at);
  }

  private uint64(value: bigint): void {
    this.room(8);
    this.at = this.bytes.writeBigUInt64LE(value, this.at);
  }
}

function idHex(id: Uint8Array | string): string {
  return typeof id === 'string' ? id : Buffer.from(id).toString('hex');
}

/** An attribute value as text: a string as is, the other OTLP kinds in JSON with bigints and bytes spelled out. */
function valueText(value: AttributeValue): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item instanceof Uint8Array ? Buffer.from(item).toString('base64') : item));
}

/** One decoded RowBinary value: ids and strings as text (ids in hex), numbers as bigint, arrays as arrays. */
export type RowValue = string | bigint | RowValue[];

/**
 * Reads rows of SPAN_COLUMNS from RowBinary bytes (a query's reply), calling `row` with each; the
 * benchmark checks every lookup's reply with it, the tests the writer.
 */
export function readSpanRows(bytes: Uint8Array, row: (values: RowValue[]) => void): number {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const need = (n: number) => {
    if (at + n > buffer.length) throw new Error(`RowBinary: got ${buffer.length - at} bytes at ${at}; want ${n} more`);
  };
  const count = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      need(1);
      const byte = buffer[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  const scalar = (type: Exclude<ColumnType, `Array(${string})`>): RowValue => {
    switch (type) {
      case 'FixedString(16)':
      case 'FixedString(8)': {
        const width = type === 'FixedString(16)' ? 16 : 8;
        need(width);
        at += width;
        return buffer.toString('hex', at - width, at);
      }
      case 'String': {
        const length = count();
        need(length);
        at += length;
        return buffer.toString('utf8', at - length, at);
      }
      case 'UInt8':
        need(1);
        return BigInt(buffer[at++]!);
      case 'UInt32':
        need(4);
        at += 4;
        return BigInt(buffer.readUInt32LE(at - 4));
      case 'UInt64':
        need(8);
        at += 8;
        return buffer.readBigUInt64LE(at - 8);
    }
  };
  let rows = 0;
  while (at < buffer.length) {
    const values = SPAN_COLUMNS.map(({ type }) => {
      if (type === 'Array(String)' || type === 'Array(UInt64)') {
        const element = type === 'Array(String)' ? 'String' : 'UInt64';
        return Array.from({ length: count() }, () => scalar(element));
      }
      return scalar(type);
    });
    row(values);
    rows++;
  }
  return rows;
}
