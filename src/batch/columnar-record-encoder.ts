/**
 * ColumnarRecordEncoder: batch version 2 (data-format.md §2.7) from span records (§2.5), for the
 * writers that build records byte by byte rather than span objects: the OTLP receivers' transcoders
 * (straight from a request's bytes) and the SDK exporter (from a ReadableSpan's fields). They write
 * one span's record into a reused buffer, as they did for version 1, and tryAddRecord() walks it
 * once, writing each field into its column: strings go to the dictionary by their bytes
 * (ByteDictionary), times stay as u32 halves, and nothing is allocated per span.
 *
 * The record must come from such a writer: its strings are well-formed UTF-8 (they checked it, and
 * this walk does not check it again). Its structure is checked as it is walked, and a record that
 * is not a §2.5 span record is refused with ERR_INVALID_ARGUMENT, the batch as it was.
 *
 * A writer may also put a span's name and attributes straight into the columns, skipping the
 * record for the bulk of a span's bytes: openSpan(), spanName() (or textId() of the name), then
 * stringAttribute() / textAttribute() / recordAttributes() as it reads them, then tryAddRecord()
 * with the rest of the span as a record (whose own attributes, if any, follow), or abandonSpan().
 * The protobuf transcoder and the SDK exporter do: writing attributes into a record only for this
 * walk to read them again cost the transcoder 2.4 against 2.2 µs a W1 span.
 */
import { ATTRIBUTE_NESTING_MAX, SPAN_ID_BYTES, TRACE_ID_BYTES } from '../constants.js';
import { type TraceKvError, assert, invalidArgument } from '../errors.js';
import { isWellFormed } from './attributes.js';
import { ByteDictionary } from './byte-dictionary.js';
import { type ByteOut, copyBytes } from './byte-stream.js';
import { COLUMN, VALUE_TAG } from './columnar-layout.js';
import { ColumnarRows, IDS_PARENT_AT, type RowLimits, STREAM_FIRST } from './columnar-rows.js';

/** §2.5: a record has 1 to 13 fields; an event exactly 4, a link exactly 6, a status exactly 2. */
const RECORD_FIELDS_MAX = 13;
const EVENT_FIELDS = 4;
const LINK_FIELDS = 6;
const STATUS_FIELDS = 2;
const SPAN_KIND_MAX = 5;
const STATUS_CODE_MAX = 2;
const MSGPACK_NIL = 0xc0;
const NO_OPEN_ROW = -1;
/** textId's answer for a string with a lone surrogate, which the dictionary cannot hold (§2.7.3). */
export const NOT_WELL_FORMED = -1;
const TEXT_BYTES_INITIAL = 256;
/** A UTF-16 unit takes at most 3 UTF-8 bytes (a surrogate pair, 2 units, takes 4). */
const UTF8_BYTES_PER_UNIT_MAX = 3;
const UTF8 = new TextEncoder();
/** What readInt() answers for an integer format other than the two 64-bit ones (an AnyValue number). */
const NOT_INT64 = 0;
const INT64 = 1;
const F64_SCRATCH = new Float64Array(1);
const F32_SCRATCH = new Float32Array(1);
const F64_SCRATCH_BYTES = new Uint8Array(F64_SCRATCH.buffer);
const F32_SCRATCH_BYTES = new Uint8Array(F32_SCRATCH.buffer);

export class ColumnarRecordEncoder extends ColumnarRows<ByteDictionary> {
  // The record being walked: bytes[pos, end).
  private bytes: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private end = 0;
  /** readInt()'s answer, as two's-complement halves. */
  private lo = 0;
  private hi = 0;
  /** textId's UTF-8 scratch. */
  private textBytes = new Uint8Array(TEXT_BYTES_INITIAL);
  /** The row openSpan() opened, or NO_OPEN_ROW; and the attributes written into it so far. */
  private openedRow = NO_OPEN_ROW;
  private openedAttributes = 0;
  // Columns 7–9, for attributes written straight in.
  private readonly keys: ByteOut;
  private readonly tags: ByteOut;
  private readonly values: ByteOut;

  constructor(limits: RowLimits) {
    super(new ByteDictionary(), limits);
    this.keys = this.streams[COLUMN.attributeKeys - STREAM_FIRST]!;
    this.tags = this.streams[COLUMN.attributeValueTags - STREAM_FIRST]!;
    this.values = this.streams[COLUMN.attributeValues - STREAM_FIRST]!;
  }

  /**
   * Opens a row for a span whose attributes are written straight into the columns next; false,
   * opening none, when the batch already holds batchSpansMax spans (finish() it first).
   */
  openSpan(): boolean {
    assert(this.openedRow === NO_OPEN_ROW, 'openSpan with a span already open');
    if (this.rows + 1 > this.batchSpansMax) return false;
    this.openedRow = this.openRow();
    this.openedAttributes = 0;
    return true;
  }

  /** Drops every row added since the last finish(), and an open span: the writer starts empty. */
  override reset(): void {
    super.reset();
    this.openedRow = NO_OPEN_ROW;
  }

  /**
   * The dictionary id of a JS string, for writers that hold strings as JS strings (the SDK
   * exporter): encoded into a scratch buffer (ASCII unit by unit, anything else through
   * TextEncoder), then looked up by its bytes, so a string gets one id whichever way it came in.
   * NOT_WELL_FORMED, adding nothing, for a string with a lone surrogate. (A Map from JS string to
   * id in front of this measured slower: 2.5 against 2.2 µs a W1 SDK span, cleared per batch.)
   */
  textId(text: string): number {
    if (text.length * UTF8_BYTES_PER_UNIT_MAX > this.textBytes.length) this.textBytes = new Uint8Array(Math.max(text.length * UTF8_BYTES_PER_UNIT_MAX, 2 * this.textBytes.length));
    const bytes = this.textBytes;
    let length = 0;
    for (; length < text.length; length++) {
      const unit = text.charCodeAt(length);
      if (unit >= 0x80) break;
      bytes[length] = unit;
    }
    if (length < text.length) {
      if (!isWellFormed(text)) return NOT_WELL_FORMED;
      length = UTF8.encodeInto(text, bytes).written;
    }
    return this.dictionary.id(bytes, 0, length);
  }

  /**
   * An attribute of the open span with a string value, both JS strings; false when either has a
   * lone surrogate (the span must then be abandoned: a new key may already be in the dictionary).
   */
  textAttribute(key: string, value: string): boolean {
    const keyId = this.textId(key);
    const valueId = keyId === NOT_WELL_FORMED ? NOT_WELL_FORMED : this.textId(value);
    if (valueId === NOT_WELL_FORMED) return false;
    this.keys.uvarint(keyId);
    this.tags.u8(VALUE_TAG.string);
    this.values.uvarint(valueId);
    this.openedAttributes++;
    return true;
  }

  /** Drops the span openSpan() opened, and everything written into it. */
  abandonSpan(): void {
    assert(this.openedRow !== NO_OPEN_ROW, 'abandonSpan without an open span');
    this.rollbackRow(this.openedRow);
    this.openedRow = NO_OPEN_ROW;
  }

  /**
   * The open span's name, `source[start, end)`, into the dictionary before its attributes, where a
   * record's walk would put it (the record's name then finds it there): so the batch's bytes are
   * the same whichever way its attributes came in.
   */
  spanName(source: Uint8Array, start: number, end: number): void {
    this.dictionary.id(source, start, end);
  }

  /**
   * An attribute of the open span with a string value: key `source[keyStart, keyEnd)`, value
   * `source[valueStart, valueEnd)`, both UTF-8 the caller has checked (or will reject the span for).
   */
  stringAttribute(source: Uint8Array, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number): void {
    this.keys.uvarint(this.dictionary.id(source, keyStart, keyEnd));
    this.tags.u8(VALUE_TAG.string);
    this.values.uvarint(this.dictionary.id(source, valueStart, valueEnd));
    this.openedAttributes++;
  }

  /** Attributes of the open span as `count` msgpack key and AnyValue pairs (§2.5), `source[start, end)`. */
  recordAttributes(source: Uint8Array, start: number, end: number, count: number): void {
    this.bytes = source;
    this.pos = start;
    this.end = end;
    for (let i = 0; i < count; i++) {
      this.keys.uvarint(this.stringId('attribute key'));
      this.anyValue(this.tags, this.values, 0);
    }
    if (this.pos !== end) throw this.malformed(`${end - this.pos} bytes follow the attributes; want none`);
    this.openedAttributes += count;
  }

  /**
   * Adds the span whose §2.5 record is `record[start, end)`, trace id `ids[0, 16)`, span id
   * `ids[16, 24)` and start time startHi × 2^32 + startLo. Returns false, the batch as it was, when
   * it does not fit the batch (batchSpansMax or batchBytesMax): finish() and add it to the next.
   */
  tryAddRecord(record: Uint8Array, start: number, end: number, ids: Uint8Array, startLo: number, startHi: number): boolean {
    // A span openSpan() opened has its row, and its attributes so far; the record's follow them.
    const opened = this.openedRow !== NO_OPEN_ROW;
    if (!opened && this.rows + 1 > this.batchSpansMax) return false;
    const row = opened ? this.openedRow : this.openRow();
    const attributesBefore = opened ? this.openedAttributes : 0;
    this.openedRow = NO_OPEN_ROW;
    copyBytes(ids, 0, IDS_PARENT_AT, this.ids, 0);
    this.bytes = record;
    this.pos = start;
    this.end = end;
    let kept = false;
    try {
      const run = this.runOf(this.ids);
      const fields = this.arrayHeader('span record');
      if (fields < 1 || fields > RECORD_FIELDS_MAX) throw this.malformed(`span record got ${fields} fields; want 1..${RECORD_FIELDS_MAX}`);
      const nameId = this.stringId('name');
      const kind = fields > 1 ? this.uint('kind') : 0;
      if (kind > SPAN_KIND_MAX) throw this.malformed(`kind got ${kind}; want 0..${SPAN_KIND_MAX}`);
      let parent = false;
      if (fields > 2 && !this.nil()) {
        const length = this.binHeader('parentSpanId');
        if (length !== SPAN_ID_BYTES) throw this.malformed(`parentSpanId got ${length} bytes; want ${SPAN_ID_BYTES}`);
        copyBytes(this.bytes, this.pos, this.pos + SPAN_ID_BYTES, this.ids, IDS_PARENT_AT);
        this.pos += SPAN_ID_BYTES;
        parent = true;
      }
      let durationLo = 0;
      let durationHi = 0;
      if (fields > 3) {
        this.readInt('duration');
        durationLo = this.lo;
        durationHi = this.hi;
      }
      const [flags, traceState, message, dropped, counts, keys, tags, values, events, links] = this.streams as [ByteOut, ByteOut, ByteOut, ByteOut, ByteOut, ByteOut, ByteOut, ByteOut, ByteOut, ByteOut];
      counts.uvarint(attributesBefore + (fields > 4 ? this.pairs(keys, tags, values, 'attributes', 'attribute key') : 0));
      const droppedAttributes = fields > 5 ? this.uint('droppedAttributesCount') : 0;
      if (fields > 6) this.events(events);
      else events.uvarint(0);
      const droppedEvents = fields > 7 ? this.uint('droppedEventsCount') : 0;
      if (fields > 8) this.links(links);
      else links.uvarint(0);
      const droppedLinks = fields > 9 ? this.uint('droppedLinksCount') : 0;
      dropped.uvarint(droppedAttributes);
      dropped.uvarint(droppedEvents);
      dropped.uvarint(droppedLinks);
      let statusCode = 0;
      let messageEntry = 0;
      if (fields > 10 && !this.nil()) {
        if (this.arrayHeader('status') !== STATUS_FIELDS) throw this.malformed(`status got other than ${STATUS_FIELDS} fields`);
        statusCode = this.uint('status code');
        if (statusCode > STATUS_CODE_MAX) throw this.malformed(`status code got ${statusCode}; want 0..${STATUS_CODE_MAX}`);
        const length = this.strHeader('status message');
        // An empty message is no message (§2.7.5 column 4), as ColumnarBatchEncoder writes it.
        messageEntry = length === 0 ? 0 : this.dictionary.id(this.bytes, this.pos, this.pos + length) + 1;
        this.pos += length;
      }
      message.uvarint(messageEntry);
      traceState.uvarint(fields > 11 ? this.optionalStringEntry('traceState') : 0);
      flags.uvarint(fields > 12 && !this.nil() ? this.uint('flags') + 1 : 0);
      if (this.pos !== end) throw this.malformed(`${end - this.pos} bytes follow the span record; want none`);
      if (!this.rowFits()) return false;
      this.startWords[2 * row] = startLo;
      this.startWords[2 * row + 1] = startHi;
      this.durationWords[2 * row] = durationLo;
      this.durationWords[2 * row + 1] = durationHi;
      this.commitRow(row, run, parent, nameId, kind, statusCode);
      kept = true;
      return true;
    } finally {
      if (!kept) this.rollbackRow(row);
    }
  }

  /** Column 10: a count, then per event its time offset, name, attributes (tags inline) and dropped count. */
  private events(out: ByteOut): void {
    const count = this.arrayHeader('events');
    out.uvarint(count);
    for (let i = 0; i < count; i++) {
      if (this.arrayHeader('event') !== EVENT_FIELDS) throw this.malformed(`event ${i} got other than ${EVENT_FIELDS} fields`);
      this.readInt('event time offset');
      out.svarintHalves(this.lo, this.hi);
      out.uvarint(this.stringId('event name'));
      this.pairs(out, out, out, 'event attributes', 'event attribute key');
      out.uvarint(this.uint('event droppedAttributesCount'));
    }
  }

  /** Column 11: a count, then per link its ids, traceState, attributes (tags inline), dropped count and flags. */
  private links(out: ByteOut): void {
    const count = this.arrayHeader('links');
    out.uvarint(count);
    for (let i = 0; i < count; i++) {
      if (this.arrayHeader('link') !== LINK_FIELDS) throw this.malformed(`link ${i} got other than ${LINK_FIELDS} fields`);
      if (this.binHeader('link traceId') !== TRACE_ID_BYTES) throw this.malformed(`link ${i} traceId is not ${TRACE_ID_BYTES} bytes`);
      out.rawRange(this.bytes, this.pos, this.pos + TRACE_ID_BYTES);
      this.pos += TRACE_ID_BYTES;
      if (this.binHeader('link spanId') !== SPAN_ID_BYTES) throw this.malformed(`link ${i} spanId is not ${SPAN_ID_BYTES} bytes`);
      out.rawRange(this.bytes, this.pos, this.pos + SPAN_ID_BYTES);
      this.pos += SPAN_ID_BYTES;
      out.uvarint(this.optionalStringEntry('link traceState'));
      this.pairs(out, out, out, 'link attributes', 'link attribute key');
      out.uvarint(this.uint('link droppedAttributesCount'));
      out.uvarint(this.nil() ? 0 : this.uint('link flags') + 1);
    }
  }

  /**
   * A map of str → AnyValue: key ids into `keys`, value tags into `tags` and payloads into
   * `payloads` (one stream for all three inside events and links). For a span's attributes the
   * count goes to its own column, so it is returned; elsewhere it leads the pairs in `keys`.
   */
  private pairs(keys: ByteOut, tags: ByteOut, payloads: ByteOut, what: string, keyWhat: string): number {
    const count = this.mapHeader(what);
    if (keys === payloads) keys.uvarint(count);
    for (let i = 0; i < count; i++) {
      keys.uvarint(this.stringId(keyWhat));
      this.anyValue(tags, payloads, 0);
    }
    return count;
  }

  /** An AnyValue (§2.5 msgpack → §2.7.5 tag and payload); `depth` is its container's nesting. */
  private anyValue(tags: ByteOut, out: ByteOut, depth: number): void {
    const bytes = this.bytes;
    if (this.pos >= this.end) throw this.malformed('an attribute value runs past the record');
    const b = bytes[this.pos]!;
    if ((b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb)) {
      tags.u8(VALUE_TAG.string);
      out.uvarint(this.stringId('attribute value'));
      return;
    }
    if (b === 0xc2 || b === 0xc3) {
      tags.u8(b === 0xc3 ? VALUE_TAG.true : VALUE_TAG.false);
      this.pos++;
      return;
    }
    if (b === 0xca || b === 0xcb) {
      tags.u8(VALUE_TAG.double);
      out.f64(this.float());
      return;
    }
    if (b < 0x80 || b >= 0xe0 || (b >= 0xcc && b <= 0xd3)) {
      if (this.readInt('attribute value') === INT64) {
        // 0xcf may carry up to 2^64 − 1, past OTLP's int64 (the v1 decoder refuses it too).
        if (b === 0xcf && this.hi < 0) throw this.malformed('a uint64 attribute value is past int64');
        tags.u8(VALUE_TAG.int);
        out.svarintHalves(this.lo, this.hi);
      } else {
        tags.u8(VALUE_TAG.double);
        out.f64(this.hi === 0 ? this.lo >>> 0 : this.lo | 0);
      }
      return;
    }
    if (b >= 0xc4 && b <= 0xc6) {
      const length = this.binHeader('bytes value');
      tags.u8(VALUE_TAG.bytes);
      out.uvarint(length);
      out.rawRange(bytes, this.pos, this.pos + length);
      this.pos += length;
      return;
    }
    const array = (b >= 0x90 && b <= 0x9f) || b === 0xdc || b === 0xdd;
    const map = (b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf;
    if (!array && !map) throw this.malformed(`attribute value: msgpack type 0x${b.toString(16)} is not an AnyValue`);
    if (depth >= ATTRIBUTE_NESTING_MAX) throw this.malformed(`attribute value nested over ${ATTRIBUTE_NESTING_MAX} levels`);
    if (array) {
      const count = this.arrayHeader('array value');
      tags.u8(VALUE_TAG.array);
      out.uvarint(count);
      for (let i = 0; i < count; i++) this.anyValue(tags, out, depth + 1);
      return;
    }
    const count = this.mapHeader('kvlist value');
    tags.u8(VALUE_TAG.kvlist);
    out.uvarint(count);
    for (let i = 0; i < count; i++) {
      out.uvarint(this.stringId('kvlist key'));
      this.anyValue(tags, out, depth + 1);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // msgpack, read in place
  // ---------------------------------------------------------------------------------------------

  /** A str's dictionary id. */
  private stringId(what: string): number {
    const length = this.strHeader(what);
    const id = this.dictionary.id(this.bytes, this.pos, this.pos + length);
    this.pos += length;
    return id;
  }

  /** nil, or a str: the traceState column's entry (0 absent, else id + 1). */
  private optionalStringEntry(what: string): number {
    return this.nil() ? 0 : this.stringId(what) + 1;
  }

  /** Moves past a nil and answers true; false, moving nowhere, for anything else. */
  private nil(): boolean {
    if (this.pos < this.end && this.bytes[this.pos] === MSGPACK_NIL) {
      this.pos++;
      return true;
    }
    return false;
  }

  private strHeader(what: string): number {
    const b = this.byte(what);
    if (b >= 0xa0 && b <= 0xbf) return this.fits(b & 0x1f, what);
    if (b === 0xd9) return this.fits(this.byte(what), what);
    if (b === 0xda) return this.fits(this.u16(what), what);
    if (b === 0xdb) return this.fits(this.u32(what), what);
    throw this.malformed(`${what}: msgpack type 0x${b.toString(16)}; want a str`);
  }

  private binHeader(what: string): number {
    const b = this.byte(what);
    if (b === 0xc4) return this.fits(this.byte(what), what);
    if (b === 0xc5) return this.fits(this.u16(what), what);
    if (b === 0xc6) return this.fits(this.u32(what), what);
    throw this.malformed(`${what}: msgpack type 0x${b.toString(16)}; want a bin`);
  }

  private arrayHeader(what: string): number {
    const b = this.byte(what);
    if (b >= 0x90 && b <= 0x9f) return b & 0x0f;
    if (b === 0xdc) return this.u16(what);
    if (b === 0xdd) return this.u32(what);
    throw this.malformed(`${what}: msgpack type 0x${b.toString(16)}; want an array`);
  }

  private mapHeader(what: string): number {
    const b = this.byte(what);
    if (b >= 0x80 && b <= 0x8f) return b & 0x0f;
    if (b === 0xde) return this.u16(what);
    if (b === 0xdf) return this.u32(what);
    throw this.malformed(`${what}: msgpack type 0x${b.toString(16)}; want a map`);
  }

  /** A uint in [0, 2^32): counts, kind, status code and flags. */
  private uint(what: string): number {
    this.readInt(what);
    if (this.hi !== 0) throw this.malformed(`${what} is not a u32`);
    return this.lo >>> 0;
  }

  /**
   * Any msgpack integer, into `lo`/`hi` as two's-complement halves (a negative one sign-extended):
   * INT64 for the two 64-bit formats (what tells an OTLP intValue from a number), else NOT_INT64.
   */
  private readInt(what: string): number {
    const b = this.byte(what);
    if (b < 0x80) return this.small(b, 0);
    if (b >= 0xe0) return this.small(b - 0x100, -1);
    switch (b) {
      case 0xcc:
        return this.small(this.byte(what), 0);
      case 0xcd:
        return this.small(this.u16(what), 0);
      case 0xce:
        return this.small(this.u32(what), 0);
      case 0xd0:
        return this.signed((this.byte(what) << 24) >> 24);
      case 0xd1:
        return this.signed((this.u16(what) << 16) >> 16);
      case 0xd2:
        return this.signed(this.u32(what) | 0);
      case 0xcf:
      case 0xd3:
        this.hi = this.u32(what) | 0;
        this.lo = this.u32(what) | 0;
        return INT64;
      default:
        throw this.malformed(`${what}: msgpack type 0x${b.toString(16)}; want an integer`);
    }
  }

  private small(lo: number, hi: number): number {
    this.lo = lo;
    this.hi = hi;
    return NOT_INT64;
  }

  private signed(value: number): number {
    return this.small(value, value < 0 ? -1 : 0);
  }

  /** A float32 or float64 (msgpack big-endian), as a double. */
  private float(): number {
    const bytes = this.bytes;
    const wide = bytes[this.pos++] === 0xcb;
    const width = wide ? 8 : 4;
    if (this.end - this.pos < width) throw this.malformed('a float runs past the record');
    const scratch = wide ? F64_SCRATCH_BYTES : F32_SCRATCH_BYTES;
    for (let i = 0; i < width; i++) scratch[width - 1 - i] = bytes[this.pos + i]!;
    this.pos += width;
    return wide ? F64_SCRATCH[0]! : F32_SCRATCH[0]!;
  }

  private byte(what: string): number {
    if (this.pos >= this.end) throw this.malformed(`${what} runs past the record`);
    return this.bytes[this.pos++]!;
  }

  private u16(what: string): number {
    return (this.byte(what) << 8) | this.byte(what);
  }

  private u32(what: string): number {
    if (this.end - this.pos < 4) throw this.malformed(`${what} runs past the record`);
    const bytes = this.bytes;
    const at = this.pos;
    this.pos = at + 4;
    // msgpack is big-endian.
    return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  }

  /** A length whose bytes must lie inside the record. */
  private fits(length: number, what: string): number {
    if (length > this.end - this.pos) throw this.malformed(`${what}: ${length} bytes run past the record`);
    return length;
  }

  private malformed(message: string): TraceKvError {
    return invalidArgument(`span record (data-format.md §2.5): ${message}`);
  }
}
