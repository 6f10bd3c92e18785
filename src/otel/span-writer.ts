/**
 * SpanRecordWriter: one SDK `ReadableSpan` straight into a span record (data-format.md §2.5) and its
 * trailer fields, with no SpanInput, no hex-decoded id arrays and no bigint per span: ids are parsed
 * into one scratch array, times are split into u32 halves (hr-time.ts), and the record is written
 * field by field at the end of a MsgpackWriter: this writer's reused one by default, from which
 * BatchAssembler adds it to a version-2 batch (ColumnarRecordEncoder), or one the caller passes.
 *
 * The fields are the ones the OpenTelemetry JS OTLP exporters send (@opentelemetry/otlp-transformer
 * trace serializer): kind is the API's plus one; flags are the W3C trace flags with bit 0x100 (has
 * is-remote) always set and 0x200 when the parent (for links: the linked context) is remote; a
 * status of code UNSET with no message is no status; an empty trace state is none. Every record has
 * all 13 fields, as flags are never absent.
 *
 * A span the format cannot hold (a malformed or all-zero id, a time outside u64, a duration outside
 * int64, a lone surrogate, an attribute value of a type OTel does not allow, a record over
 * SPAN_RECORD_BYTES_MAX) makes write() return false; the caller drops and counts it. Nothing here
 * throws for a span's contents: the SDK calls exporters from places that must not throw.
 */
import { SPAN_ID_BYTES, SPAN_RECORD_BYTES_MAX, TRACE_ID_BYTES } from '../constants.js';
import { MsgpackWriter } from '../batch/msgpack-writer.js';
import { ATTRIBUTES_INVALID, isEmptyValue, writeAttributes, writeValue } from './attribute-writer.js';
import { hrTimeToU64, i64Scratch, u64Difference, u64Scratch } from './hr-time.js';
import type { OtelLink, OtelSpanContext, OtelTimedEvent, ReadableSpan } from './otel-types.js';

/** Array length of a span record in format version 1 (data-format.md §2.5). */
const RECORD_FIELDS = 13;
const EVENT_FIELDS = 4;
const LINK_FIELDS = 6;
const STATUS_FIELDS = 2;
/** OTLP SpanKind runs 0 (UNSPECIFIED) to 5 (CONSUMER); the API's 0 (INTERNAL) is OTLP's 1. */
const OTLP_SPAN_KIND_MAX = 5;
/** OTLP StatusCode 0 (UNSET) to 2 (ERROR); the API uses the same numbers. */
const STATUS_CODE_MAX = 2;
/** OTLP span flags (opentelemetry-proto SpanFlags): bits 0–7 W3C trace flags, then these. */
const SPAN_FLAGS_TRACE_FLAGS_MASK = 0xff;
const SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE = 0x100;
const SPAN_FLAGS_CONTEXT_IS_REMOTE = 0x200;
const U32_MAX = 0xffff_ffff;

/**
 * Where write() puts a span's name and attributes besides its record: the open span of a version-2
 * batch (ColumnarRecordEncoder, through BatchAssembler), whose columns take them straight from the
 * SpanImpl's strings. The record then holds an empty attribute map.
 */
export interface SpanAttributeSink {
  /** The span's name, before its attributes; false when it has a lone surrogate. */
  spanName(name: string): boolean;
  /** An attribute with a string value; false when either string has a lone surrogate. */
  textAttribute(key: string, value: string): boolean;
  /** Attributes of any other value, as `count` msgpack key and AnyValue pairs in `source[start, end)`. */
  recordAttributes(source: Uint8Array, start: number, end: number, count: number): void;
}

export class SpanRecordWriter {
  readonly writer = new MsgpackWriter();
  /** The trailer's ids of the last span written: trace id at [0, 16), span id at [16, 24). */
  readonly ids = new Uint8Array(TRACE_ID_BYTES + SPAN_ID_BYTES);
  /** The last span's start time, u64 halves. */
  startLo = 0;
  startHi = 0;
  /** One attribute of a value other than a string, as a msgpack pair for SpanAttributeSink.recordAttributes. */
  private readonly pair = new MsgpackWriter();
  /** Scratch for a link id, copied into the record as bin. */
  private readonly idScratch = new Uint8Array(TRACE_ID_BYTES);
  /** The parent span id string already parsed into `parentId`: siblings share their parent's context. */
  private readonly parentId = new Uint8Array(SPAN_ID_BYTES);
  private parsedParentId = '';
  /**
   * The trace id string already parsed into `ids[0, 16)`: the spans of a trace end together and
   * share one id string (the SDK copies the parent's), so most spans skip the hex parse.
   */
  private parsedTraceId = '';

  /**
   * Writes `span`'s record at the end of `w` (by default `writer`, emptied first), its name and
   * attributes also into `sink` if given (the record's attribute map then empty); false when the
   * span must be dropped, with part of the record written (the caller truncates it).
   */
  write(span: ReadableSpan, w: MsgpackWriter = this.resetWriter(), sink?: SpanAttributeSink): boolean {
    const recordStart = w.length;
    const context = span.spanContext();
    if (context.traceId !== this.parsedTraceId) {
      this.parsedTraceId = '';
      if (!parseHexId(context.traceId, this.ids, 0, TRACE_ID_BYTES)) return false;
      this.parsedTraceId = context.traceId;
    }
    if (!parseHexId(context.spanId, this.ids, TRACE_ID_BYTES, SPAN_ID_BYTES)) return false;
    if (!hrTimeToU64(span.startTime)) return false;
    const startLo = u64Scratch.lo;
    const startHi = u64Scratch.hi;
    this.startLo = startLo;
    this.startHi = startHi;

    w.arrayHeader(RECORD_FIELDS);
    // 0 name, 1 kind
    if (typeof span.name !== 'string' || !w.str(span.name)) return false;
    const kind = span.kind === undefined || span.kind === null ? 0 : span.kind + 1;
    if (!(Number.isInteger(kind) && kind >= 0 && kind <= OTLP_SPAN_KIND_MAX)) return false;
    w.uint32(kind);
    // 2 parentSpanId: the transformer sends one whenever the parent context has a span id.
    const parent = span.parentSpanContext;
    if (parent !== undefined && parent !== null && parent.spanId) {
      if (parent.spanId !== this.parsedParentId) {
        this.parsedParentId = '';
        if (!parseHexId(parent.spanId, this.parentId, 0, SPAN_ID_BYTES)) return false;
        this.parsedParentId = parent.spanId;
      }
      w.bin(this.parentId, 0, SPAN_ID_BYTES);
    } else {
      w.nil();
    }
    // 3 duration
    if (!hrTimeToU64(span.endTime)) return false;
    if (!u64Difference(u64Scratch.lo, u64Scratch.hi, startLo, startHi)) return false;
    w.compactInt64(i64Scratch.lo, i64Scratch.hi);
    // 4–9 attributes, events, links and their dropped counts
    let emptyAttributes: number;
    if (sink === undefined) emptyAttributes = writeAttributes(w, span.attributes);
    else {
      w.endMap(w.beginMap(), 0);
      emptyAttributes = sink.spanName(span.name) ? this.sinkAttributes(sink, span.attributes) : ATTRIBUTES_INVALID;
    }
    if (emptyAttributes === ATTRIBUTES_INVALID) return false;
    if (!writeCount(w, span.droppedAttributesCount + emptyAttributes)) return false;
    if (!this.writeEvents(w, span.events, startLo, startHi)) return false;
    if (!writeCount(w, span.droppedEventsCount)) return false;
    if (!this.writeLinks(w, span.links)) return false;
    if (!writeCount(w, span.droppedLinksCount)) return false;
    // 10 status, 11 traceState, 12 flags
    if (!writeStatus(w, span.status)) return false;
    if (!writeTraceState(w, context)) return false;
    w.uint32(spanFlags(context.traceFlags, parent?.isRemote === true));
    return w.length - recordStart <= SPAN_RECORD_BYTES_MAX;
  }

  /**
   * A span's attributes into `sink`, as writeAttributes would write them into the record: the same
   * walk (own keys, empty values counted), kept beside it rather than shared through a callback,
   * which would cost a call per attribute on the exporter's hot path.
   */
  private sinkAttributes(sink: SpanAttributeSink, attributes: object | undefined): number {
    if (attributes === undefined || attributes === null) return 0;
    const map = attributes as Record<string, unknown>;
    let empty = 0;
    for (const key in map) {
      if (!Object.prototype.hasOwnProperty.call(map, key)) continue;
      const value = map[key];
      if (isEmptyValue(value)) {
        empty++;
        continue;
      }
      if (typeof value === 'string') {
        if (!sink.textAttribute(key, value)) return ATTRIBUTES_INVALID;
        continue;
      }
      const pair = this.pair;
      pair.reset();
      if (!pair.str(key) || !writeValue(pair, value, 0)) return ATTRIBUTES_INVALID;
      sink.recordAttributes(pair.bytes, 0, pair.length, 1);
    }
    return empty;
  }

  private resetWriter(): MsgpackWriter {
    this.writer.reset();
    return this.writer;
  }

  private writeEvents(w: MsgpackWriter, events: readonly OtelTimedEvent[] | undefined, startLo: number, startHi: number): boolean {
    const count = events === undefined || events === null ? 0 : events.length;
    w.arrayHeader(count);
    for (let i = 0; i < count; i++) {
      const event = events![i]!;
      w.arrayHeader(EVENT_FIELDS);
      if (!hrTimeToU64(event.time)) return false;
      if (!u64Difference(u64Scratch.lo, u64Scratch.hi, startLo, startHi)) return false;
      w.compactInt64(i64Scratch.lo, i64Scratch.hi);
      if (typeof event.name !== 'string' || !w.str(event.name)) return false;
      const emptyAttributes = writeAttributes(w, event.attributes);
      if (emptyAttributes === ATTRIBUTES_INVALID) return false;
      if (!writeCount(w, (event.droppedAttributesCount || 0) + emptyAttributes)) return false;
    }
    return true;
  }

  private writeLinks(w: MsgpackWriter, links: readonly OtelLink[] | undefined): boolean {
    const count = links === undefined || links === null ? 0 : links.length;
    w.arrayHeader(count);
    for (let i = 0; i < count; i++) {
      const link = links![i]!;
      const context = link.context;
      w.arrayHeader(LINK_FIELDS);
      if (!parseHexId(context.traceId, this.idScratch, 0, TRACE_ID_BYTES)) return false;
      w.bin(this.idScratch, 0, TRACE_ID_BYTES);
      if (!parseHexId(context.spanId, this.idScratch, 0, SPAN_ID_BYTES)) return false;
      w.bin(this.idScratch, 0, SPAN_ID_BYTES);
      if (!writeTraceState(w, context)) return false;
      const emptyAttributes = writeAttributes(w, link.attributes);
      if (emptyAttributes === ATTRIBUTES_INVALID) return false;
      if (!writeCount(w, (link.droppedAttributesCount || 0) + emptyAttributes)) return false;
      w.uint32(spanFlags(context.traceFlags, context.isRemote === true));
    }
    return true;
  }
}

function writeCount(w: MsgpackWriter, value: number): boolean {
  if (!(Number.isInteger(value) && value >= 0 && value <= U32_MAX)) return false;
  w.uint32(value);
  return true;
}

function writeStatus(w: MsgpackWriter, status: ReadableSpan['status'] | undefined): boolean {
  const code = status === undefined || status === null ? 0 : status.code;
  const message = status === undefined || status === null ? undefined : status.message;
  if (!(Number.isInteger(code) && code >= 0 && code <= STATUS_CODE_MAX)) return false;
  if (message !== undefined && message !== null && typeof message !== 'string') return false;
  // The transformer leaves out an empty message; UNSET with none is the format's absent status.
  if (code === 0 && !message) {
    w.nil();
    return true;
  }
  w.arrayHeader(STATUS_FIELDS);
  w.uint32(code);
  return w.str(message || '');
}

/** The transformer sends `traceState.serialize()` unless it is empty. */
function writeTraceState(w: MsgpackWriter, context: OtelSpanContext): boolean {
  const state = context.traceState === undefined || context.traceState === null ? '' : context.traceState.serialize();
  if (typeof state !== 'string') return false;
  if (state === '') {
    w.nil();
    return true;
  }
  return w.str(state);
}

function spanFlags(traceFlags: number, isRemote: boolean): number {
  const flags = (traceFlags & SPAN_FLAGS_TRACE_FLAGS_MASK) | SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE;
  return (isRemote ? flags | SPAN_FLAGS_CONTEXT_IS_REMOTE : flags) >>> 0;
}

/**
 * Parses `bytes × 2` hex characters (either case) into `into[at, at + bytes)`; false when `hex` is
 * not that, or is all zeros (OTLP's "no id", which the store refuses, data-format.md §2.2).
 */
export function parseHexId(hex: unknown, into: Uint8Array, at: number, bytes: number): boolean {
  if (typeof hex !== 'string' || hex.length !== bytes * 2) return false;
  let any = 0;
  // Bits outside 0–15 once any character was not a hex digit: a table miss is −1 (all bits), and a
  // code ≥ 0x80 (masked into the table) keeps its high bits here. One test after the loop.
  let bad = 0;
  for (let i = 0; i < bytes; i++) {
    const highCode = hex.charCodeAt(2 * i);
    const lowCode = hex.charCodeAt(2 * i + 1);
    const high = HEX_NIBBLE[highCode & 0x7f]!;
    const low = HEX_NIBBLE[lowCode & 0x7f]!;
    bad |= high | low | ((highCode | lowCode) & ~0x7f);
    const byte = ((high << 4) | low) & 0xff;
    into[at + i] = byte;
    any |= byte;
  }
  return (bad & ~0xf) === 0 && any !== 0;
}

/** Hex digit value by ASCII code (either case), −1 for any other code below 0x80. */
const HEX_NIBBLE = new Int8Array(0x80).fill(-1);
for (let digit = 0; digit < 16; digit++) {
  const text = digit.toString(16);
  HEX_NIBBLE[text.charCodeAt(0)] = digit;
  HEX_NIBBLE[text.toUpperCase().charCodeAt(0)] = digit;
}
