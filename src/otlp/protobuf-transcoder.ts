/**
 * OTLP protobuf → batches of version 2 (data-format.md §2.7): walks an ExportTraceServiceRequest
 * (or TracesData, the same bytes) with one ProtobufReader, straight from the request bytes: strings
 * and ids are never decoded into JS strings, and no object is built per span. A span's attributes go
 * into the batch's columns as they are read (RecordBatches.stringAttribute, from the request's bytes
 * in place); the rest of the span is written as a span record (§2.5) with one MsgpackWriter, which
 * the batch's ColumnarRecordEncoder then walks into its columns. One batch (or more, when it fills)
 * per resource and scope group.
 *
 * The mapping, field by field, is data-format.md §7.1. Two kinds of bad input:
 * - the bytes are not a well-formed request (truncated, a length past its message, a known field
 *   with the wrong wire type, values nested deeper than the format holds): ERR_INVALID_ARGUMENT for
 *   the whole request, before anything is appended;
 * - a well-formed span the format cannot hold (an id of the wrong length or all zeros, invalid
 *   UTF-8, an unknown kind or status code, a duration outside int64): that span is left out and
 *   counted in `rejectedSpans`, with the first reason in `errorMessage` (OTLP partial success).
 * A span's whole message is parsed even when it is already known to be rejected, so a malformed
 * request is always refused whatever else is wrong in it.
 *
 * Fields are read in two passes per message where protobuf's free field order meets the record's
 * fixed order: the first pass notes where each field is (offsets, not copies), the second writes.
 * The two loops every span runs, over its own fields and over its attributes, keep their position
 * in a local and read one-byte tags and lengths themselves, leaving the rest to the reader (which
 * also throws for anything malformed): the reader's fields cost a load and a store per step.
 * With the other fast paths here, the transcoder alone went 0.65M → 0.88M spans/s on one core, and
 * OTLP/HTTP ingest 335k → 451k spans/s (W1, README "OTLP in and the SDK exporter"), when it
 * wrote version 1. Writing columns costs a dictionary lookup per string that a copy did not: see
 * the README for what that did to ingest.
 */
import { ATTRIBUTE_NESTING_MAX, SPAN_ID_BYTES, TRACE_ID_BYTES } from '../constants.js';
import { invalidArgument } from '../errors.js';
import { readU32LE } from '../codec/little-endian.js';
import { isZeroId } from '../batch/index.js';
import { MsgpackWriter } from '../batch/msgpack-writer.js';
import * as field from './otlp-fields.js';
import { ProtobufReader, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './protobuf-reader.js';
import { Fields, RecordBatches, writeTimeDifference } from './record-batches.js';
import type { TranscodeLimits, TranscodeResult } from './transcode-types.js';
import { isWellFormedUtf8 } from './utf8.js';

/**
 * The field numbers of otlp-fields.ts (the one table), bound to module-local constants: the
 * reader's switches ran ~9% slower on the imported bindings used directly (2026-12-05, 200k W1
 * spans transcoded, five alternating runs: 1.14–1.26 µs/span against 1.06–1.16 with these).
 */
const ANY_ARRAY = field.ANY_ARRAY;
const ANY_BOOL = field.ANY_BOOL;
const ANY_BYTES = field.ANY_BYTES;
const ANY_DOUBLE = field.ANY_DOUBLE;
const ANY_INT = field.ANY_INT;
const ANY_KVLIST = field.ANY_KVLIST;
const ANY_STRING = field.ANY_STRING;
const EVENT_ATTRIBUTES = field.EVENT_ATTRIBUTES;
const EVENT_DROPPED_ATTRIBUTES_COUNT = field.EVENT_DROPPED_ATTRIBUTES_COUNT;
const EVENT_NAME = field.EVENT_NAME;
const EVENT_TIME = field.EVENT_TIME;
const KEY_VALUE_KEY = field.KEY_VALUE_KEY;
const KEY_VALUE_VALUE = field.KEY_VALUE_VALUE;
const LINK_ATTRIBUTES = field.LINK_ATTRIBUTES;
const LINK_DROPPED_ATTRIBUTES_COUNT = field.LINK_DROPPED_ATTRIBUTES_COUNT;
const LINK_FLAGS = field.LINK_FLAGS;
const LINK_SPAN_ID = field.LINK_SPAN_ID;
const LINK_TRACE_ID = field.LINK_TRACE_ID;
const LINK_TRACE_STATE = field.LINK_TRACE_STATE;
const LIST_VALUES = field.LIST_VALUES;
const RESOURCE_ATTRIBUTES = field.RESOURCE_ATTRIBUTES;
const RESOURCE_DROPPED_ATTRIBUTES_COUNT = field.RESOURCE_DROPPED_ATTRIBUTES_COUNT;
const RESOURCE_SPANS_RESOURCE = field.RESOURCE_SPANS_RESOURCE;
const RESOURCE_SPANS_SCHEMA_URL = field.RESOURCE_SPANS_SCHEMA_URL;
const RESOURCE_SPANS_SCOPE_SPANS = field.RESOURCE_SPANS_SCOPE_SPANS;
const SCOPE_ATTRIBUTES = field.SCOPE_ATTRIBUTES;
const SCOPE_DROPPED_ATTRIBUTES_COUNT = field.SCOPE_DROPPED_ATTRIBUTES_COUNT;
const SCOPE_NAME = field.SCOPE_NAME;
const SCOPE_SPANS_SCHEMA_URL = field.SCOPE_SPANS_SCHEMA_URL;
const SCOPE_SPANS_SCOPE = field.SCOPE_SPANS_SCOPE;
const SCOPE_SPANS_SPANS = field.SCOPE_SPANS_SPANS;
const SCOPE_VERSION = field.SCOPE_VERSION;
const SPAN_ATTRIBUTES = field.SPAN_ATTRIBUTES;
const SPAN_DROPPED_ATTRIBUTES_COUNT = field.SPAN_DROPPED_ATTRIBUTES_COUNT;
const SPAN_DROPPED_EVENTS_COUNT = field.SPAN_DROPPED_EVENTS_COUNT;
const SPAN_DROPPED_LINKS_COUNT = field.SPAN_DROPPED_LINKS_COUNT;
const SPAN_END_TIME = field.SPAN_END_TIME;
const SPAN_EVENTS = field.SPAN_EVENTS;
const SPAN_FLAGS = field.SPAN_FLAGS;
const SPAN_KIND = field.SPAN_KIND;
const SPAN_LINKS = field.SPAN_LINKS;
const SPAN_NAME = field.SPAN_NAME;
const SPAN_PARENT_SPAN_ID = field.SPAN_PARENT_SPAN_ID;
const SPAN_SPAN_ID = field.SPAN_SPAN_ID;
const SPAN_START_TIME = field.SPAN_START_TIME;
const SPAN_STATUS = field.SPAN_STATUS;
const SPAN_TRACE_ID = field.SPAN_TRACE_ID;
const SPAN_TRACE_STATE = field.SPAN_TRACE_STATE;
const STATUS_CODE = field.STATUS_CODE;
const STATUS_MESSAGE = field.STATUS_MESSAGE;
const TRACES_DATA_RESOURCE_SPANS = field.TRACES_DATA_RESOURCE_SPANS;
/** Span.attributes' tag byte: field 9, length-delimited. */
const SPAN_ATTRIBUTE_TAG = (SPAN_ATTRIBUTES << 3) | WIRE_LEN;
/** Status.code's tag byte: field 3, varint. */
const STATUS_CODE_TAG = (STATUS_CODE << 3) | WIRE_VARINT;

/** OTLP SpanKind and StatusCode values the batch format holds. */
const SPAN_KIND_MAX = 5;
const STATUS_CODE_MAX = 2;
/** Span record (§2.5) fields, in order. */
const RECORD_FIELDS = 13;
/** The shortest string attribute the fast path reads: a length, then two tags and lengths around a one-byte key, then a tag and a length. */
const STRING_ATTRIBUTE_BYTES_MIN = 7;
/** Strings shorter than this take msgpack's one-byte fixstr header. */
const FIXSTR_BYTES_LIMIT = 32;
/** A range not seen in the message. */
const ABSENT = -1;
/** The smallest one-byte tag with a valid field number (1, wire type 0): below it is field 0, which the reader refuses. */
const ONE_BYTE_TAG_MIN = 8;
/** Bit n set when wire type n is one OTLP uses (0 varint, 1 I64, 2 length-delimited, 5 I32); the reader refuses the rest. */
const USED_WIRE_TYPES = (1 << WIRE_VARINT) | (1 << WIRE_I64) | (1 << WIRE_LEN) | (1 << WIRE_I32);

/** Where a length-delimited field's bytes are: [start, end), or start ABSENT. */
interface Range {
  start: number;
  end: number;
}

export class ProtobufTranscoder {
  private reader!: ProtobufReader;
  private readonly out: RecordBatches;
  /** The record's and the common section's fields, reused for every span and group. */
  private readonly recordFields = new Fields();
  private readonly commonFields = new Fields();
  /** A span attribute of another shape than a string value, as a record's key and value, for RecordBatches.recordAttributes. */
  private readonly pair = new MsgpackWriter();
  // Per-span scratch, reused: the first pass's findings.
  private readonly traceId: Range = { start: ABSENT, end: 0 };
  private readonly spanId: Range = { start: ABSENT, end: 0 };
  private readonly parentSpanId: Range = { start: ABSENT, end: 0 };
  private readonly name: Range = { start: ABSENT, end: 0 };
  private readonly traceState: Range = { start: ABSENT, end: 0 };
  private readonly status: Range = { start: ABSENT, end: 0 };
  private readonly scratch: Range = { start: ABSENT, end: 0 };
  private readonly linkTraceId: Range = { start: ABSENT, end: 0 };
  private readonly linkSpanId: Range = { start: ABSENT, end: 0 };
  private readonly linkTraceState: Range = { start: ABSENT, end: 0 };
  /** First tag and end of the span's attributes (0, 1), events (2, 3) and links (4, 5). */
  private readonly repeated = new Int32Array(6);
  /** stringKeyValueAt's other answers: the key's bytes and where the value's start. */
  private keyStart = 0;
  private keyEnd = 0;
  private valueStart = 0;
  /** valueAt's second answer: where the value ends. */
  private valueEnd = 0;
  /** varintAt's second answer: the varint's low 32 bits, unsigned. */
  private varintLo = 0;

  constructor(limits: TranscodeLimits) {
    this.out = new RecordBatches(limits);
  }

  transcode(body: Uint8Array): TranscodeResult {
    // A plain Uint8Array view of a Buffer body: the batch's dictionary reads strings from it and
    // from the transcoder's own buffers, and one array class keeps those reads monomorphic.
    this.reader = new ProtobufReader(Buffer.isBuffer(body) ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : body);
    this.out.reset();
    const reader = this.reader;
    while (reader.nextField()) {
      if (reader.fieldNumber !== TRACES_DATA_RESOURCE_SPANS) {
        reader.skipValue();
        continue;
      }
      this.expect(WIRE_LEN, 'ExportTraceServiceRequest.resource_spans');
      const outer = reader.enter();
      this.resourceSpans();
      reader.leave(outer);
    }
    return this.out.result();
  }

  // -------------------------------------------------------------------------------------------
  // Groups
  // -------------------------------------------------------------------------------------------

  /** The reader is inside a ResourceSpans. */
  private resourceSpans(): void {
    const reader = this.reader;
    const start = reader.pos;
    let resourceAt = ABSENT;
    const schemaUrl = { start: ABSENT, end: 0 };
    while (reader.nextField()) {
      switch (reader.fieldNumber) {
        case RESOURCE_SPANS_RESOURCE:
          this.expect(WIRE_LEN, 'ResourceSpans.resource');
          resourceAt = reader.pos;
          reader.skipValue();
          break;
        case RESOURCE_SPANS_SCHEMA_URL:
          this.readRange(schemaUrl, 'ResourceSpans.schema_url');
          break;
        default:
          reader.skipValue();
      }
    }
    const end = reader.pos;
    reader.pos = start;
    while (reader.nextField()) {
      if (reader.fieldNumber !== RESOURCE_SPANS_SCOPE_SPANS) {
        reader.skipValue();
        continue;
      }
      this.expect(WIRE_LEN, 'ResourceSpans.scope_spans');
      const outer = reader.enter();
      this.scopeSpans(resourceAt, schemaUrl);
      reader.leave(outer);
    }
    reader.pos = end;
  }

  /** The reader is inside a ScopeSpans of the resource whose message starts (length prefix) at `resourceAt`. */
  private scopeSpans(resourceAt: number, resourceSchemaUrl: Range): void {
    const reader = this.reader;
    const start = reader.pos;
    let scopeAt = ABSENT;
    const schemaUrl = { start: ABSENT, end: 0 };
    let spanCount = 0;
    while (reader.nextField()) {
      switch (reader.fieldNumber) {
        case SCOPE_SPANS_SCOPE:
          this.expect(WIRE_LEN, 'ScopeSpans.scope');
          scopeAt = reader.pos;
          reader.skipValue();
          break;
        case SCOPE_SPANS_SCHEMA_URL:
          this.readRange(schemaUrl, 'ScopeSpans.schema_url');
          break;
        case SCOPE_SPANS_SPANS:
          this.expect(WIRE_LEN, 'ScopeSpans.spans');
          spanCount++;
          reader.skipValue();
          break;
        default:
          reader.skipValue();
      }
    }
    const end = reader.pos;
    this.writeCommon(resourceAt, resourceSchemaUrl, scopeAt, schemaUrl);
    this.out.startGroup(spanCount);
    reader.pos = start;
    while (reader.nextField()) {
      if (reader.fieldNumber !== SCOPE_SPANS_SPANS) {
        reader.skipValue();
        continue;
      }
      const outer = reader.enter();
      const spanStart = reader.pos;
      const spanEnd = reader.end;
      this.out.startSpan();
      this.span();
      if (this.out.retrySpan) {
        // Its batch filled after its attributes went in: again, into the next batch.
        reader.pos = spanStart;
        reader.end = spanEnd;
        this.out.startSpan();
        this.span();
      }
      reader.leave(outer);
    }
    reader.pos = end;
    this.out.endGroup();
  }

  /** Writes the common section (§2.4) of a resource and scope into `this.common`. */
  private writeCommon(resourceAt: number, resourceSchemaUrl: Range, scopeAt: number, scopeSchemaUrl: Range): void {
    const reader = this.reader;
    const w = this.out.common;
    w.reset();
    const fields = this.commonFields.start(w);
    const resourceAttributesAt = w.length;
    // Resource: attributes (1), dropped_attributes_count (2).
    let dropped = 0;
    if (resourceAt === ABSENT) w.endMap(w.beginMap(), 0);
    else {
      const resume = reader.pos;
      reader.pos = resourceAt;
      const outer = reader.enter();
      const messageStart = reader.pos;
      while (reader.nextField()) {
        if (reader.fieldNumber === RESOURCE_DROPPED_ATTRIBUTES_COUNT) {
          this.expect(WIRE_VARINT, 'Resource.dropped_attributes_count');
          dropped = reader.uint32();
        } else reader.skipValue();
      }
      reader.pos = messageStart;
      dropped += this.attributes(w, RESOURCE_ATTRIBUTES, 'Resource.attributes', 'resource attribute');
      reader.leave(outer);
      reader.pos = resume;
    }
    fields.keep(0, w.length === resourceAttributesAt + 1);
    w.uint32(dropped);
    fields.keep(1, dropped === 0);
    this.optionalString(w, resourceSchemaUrl, 'resource schema_url');
    fields.keep(2, resourceSchemaUrl.start === ABSENT || resourceSchemaUrl.start === resourceSchemaUrl.end);

    // Scope: name (1), version (2), attributes (3), dropped_attributes_count (4).
    const name = this.scratch;
    name.start = ABSENT;
    const version = { start: ABSENT, end: 0 };
    let scopeDropped = 0;
    let attributesStart = w.length;
    if (scopeAt === ABSENT) {
      w.nil();
      fields.keep(3, true);
      w.nil();
      fields.keep(4, true);
      attributesStart = w.length;
      w.endMap(w.beginMap(), 0);
    } else {
      const resume = reader.pos;
      reader.pos = scopeAt;
      const outer = reader.enter();
      const messageStart = reader.pos;
      while (reader.nextField()) {
        switch (reader.fieldNumber) {
          case SCOPE_NAME:
            this.readRange(name, 'InstrumentationScope.name');
            break;
          case SCOPE_VERSION:
            this.readRange(version, 'InstrumentationScope.version');
            break;
          case SCOPE_DROPPED_ATTRIBUTES_COUNT:
            this.expect(WIRE_VARINT, 'InstrumentationScope.dropped_attributes_count');
            scopeDropped = reader.uint32();
            break;
          default:
            reader.skipValue();
        }
      }
      this.optionalString(w, name, 'scope name');
      fields.keep(3, name.start === ABSENT || name.start === name.end);
      this.optionalString(w, version, 'scope version');
      fields.keep(4, version.start === ABSENT || version.start === version.end);
      reader.pos = messageStart;
      attributesStart = w.length;
      scopeDropped += this.attributes(w, SCOPE_ATTRIBUTES, 'InstrumentationScope.attributes', 'scope attribute');
      reader.leave(outer);
      reader.pos = resume;
    }
    fields.keep(5, w.length === attributesStart + 1);
    w.uint32(scopeDropped);
    fields.keep(6, scopeDropped === 0);
    this.optionalString(w, scopeSchemaUrl, 'scope schema_url');
    fields.keep(7, scopeSchemaUrl.start === ABSENT || scopeSchemaUrl.start === scopeSchemaUrl.end);
    fields.end();
  }

  // -------------------------------------------------------------------------------------------
  // Spans
  // -------------------------------------------------------------------------------------------

  /** The reader is inside a Span; the output's problem holds its group's problem, if any. */
  private span(): void {
    const reader = this.reader;
    const traceId = this.traceId;
    const spanId = this.spanId;
    const parent = this.parentSpanId;
    const name = this.name;
    const traceState = this.traceState;
    const status = this.status;
    traceId.start = spanId.start = parent.start = name.start = traceState.start = status.start = ABSENT;
    let kind = 0;
    let startLo = 0;
    let startHi = 0;
    let endLo = 0;
    let endHi = 0;
    let flags = 0;
    let hasFlags = false;
    let droppedAttributes = 0;
    let droppedEvents = 0;
    let droppedLinks = 0;
    // Where the repeated fields lie, so each later pass reads only that stretch of the span:
    // senders write them together, so the passes skip little.
    const repeated = this.repeated;
    repeated.fill(ABSENT);
    // The first pass keeps its position in a local and reads one-byte tags and lengths itself
    // (every span pays it, for ~16 fields and each attribute); anything longer or odd goes through
    // the reader, which also throws for what is malformed.
    const bytes = reader.bytes;
    const end = reader.end;
    let pos = reader.pos;
    while (pos < end) {
      const tagAt = pos;
      let field: number;
      let wire: number;
      const tag = bytes[pos]!;
      if (tag < 0x80 && tag >= ONE_BYTE_TAG_MIN && ((USED_WIRE_TYPES >>> (tag & 7)) & 1) === 1) {
        field = tag >>> 3;
        wire = tag & 7;
        pos++;
      } else {
        reader.pos = pos;
        reader.nextField();
        field = reader.fieldNumber;
        wire = reader.wireType;
        pos = reader.pos;
      }
      // A length-delimited value's bounds, read before the switch: [valueStart, valueEnd).
      let valueStart = pos;
      let valueEnd = pos;
      if (wire === WIRE_LEN) {
        valueStart = this.valueAt(bytes, pos, end);
        valueEnd = this.valueEnd;
      }
      switch (field) {
        case SPAN_TRACE_ID:
          if (wire !== WIRE_LEN) this.wrongWireType(field, wire, WIRE_LEN, 'Span.trace_id');
          traceId.start = valueStart;
          pos = traceId.end = valueEnd;
          break;
        case SPAN_SPAN_ID:
          if (wire !== WIRE_LEN) this.wrongWireType(field, wire, WIRE_LEN, 'Span.span_id');
          spanId.start = valueStart;
          pos = spanId.end = valueEnd;
          break;
        case SPAN_TRACE_STATE:
          if (wire !== WIRE_LEN) this.wrongWireType(field, wire, WIRE_LEN, 'Span.trace_state');
          traceState.start = valueStart;
          pos = traceState.end = valueEnd;
          break;
        case SPAN_PARENT_SPAN_ID:
          if (wire !== WIRE_LEN) this.wrongWireType(field, wire, WIRE_LEN, 'Span.parent_span_id');
          parent.start = valueStart;
          pos = parent.end = valueEnd;
          break;
        case SPAN_NAME:
          if (wire !== WIRE_LEN) this.wrongWireType(field, wire, WIRE_LEN, 'Span.name');
          name.start = valueStart;
          pos = name.end = valueEnd;
          break;
        case SPAN_KIND:
          if (wire !== WIRE_VARINT) this.wrongWireType(field, wire, WIRE_VARINT, 'Span.kind');
          pos = this.varintAt(bytes, pos, end);
          kind = this.varintLo | 0;
          break;
        case SPAN_START_TIME:
          if (wire !== WIRE_I64) this.wrongWireType(field, wire, WIRE_I64, 'Span.start_time_unix_nano');
          if (end - pos < 8) this.readerAt(pos).readFixed64();
          startLo = readU32LE(bytes, pos);
          startHi = readU32LE(bytes, pos + 4);
          pos += 8;
          break;
        case SPAN_END_TIME:
          if (wire !== WIRE_I64) this.wrongWireType(field, wire, WIRE_I64, 'Span.end_time_unix_nano');
          if (end - pos < 8) this.readerAt(pos).readFixed64();
          endLo = readU32LE(bytes, pos);
          endHi = readU32LE(bytes, pos + 4);
          pos += 8;
          break;
        case SPAN_DROPPED_ATTRIBUTES_COUNT:
          if (wire !== WIRE_VARINT) this.wrongWireType(field, wire, WIRE_VARINT, 'Span.dropped_attributes_count');
          pos = this.varintAt(bytes, pos, end);
          droppedAttributes = this.varintLo;
          break;
        case SPAN_DROPPED_EVENTS_COUNT:
          if (wire !== WIRE_VARINT) this.wrongWireType(field, wire, WIRE_VARINT, 'Span.dropped_events_count');
          pos = this.varintAt(bytes, pos, end);
          droppedEvents = this.varintLo;
          break;
        case SPAN_DROPPED_LINKS_COUNT:
          if (wire !== WIRE_VARINT) this.wrongWireType(field, wire, WIRE_VARINT, 'Span.dropped_links_count');
          pos = this.varintAt(bytes, pos, end);
          droppedLinks = this.varintLo;
          break;
        case SPAN_STATUS:
          if (wire !== WIRE_LEN) this.wrongWireType(field, wire, WIRE_LEN, 'Span.status');
          status.start = pos;
          pos = valueEnd;
          break;
        case SPAN_FLAGS:
          if (wire !== WIRE_I32) this.wrongWireType(field, wire, WIRE_I32, 'Span.flags');
          if (end - pos < 4) this.readerAt(pos).fixed32();
          flags = readU32LE(bytes, pos);
          hasFlags = true;
          pos += 4;
          break;
        case SPAN_ATTRIBUTES:
        case SPAN_EVENTS:
        case SPAN_LINKS: {
          if (wire !== WIRE_LEN) this.wrongWireType(field, wire, WIRE_LEN, field === SPAN_ATTRIBUTES ? 'Span.attributes' : field === SPAN_EVENTS ? 'Span.events' : 'Span.links');
          pos = valueEnd;
          const slot = field === SPAN_ATTRIBUTES ? 0 : field === SPAN_EVENTS ? 2 : 4;
          if (repeated[slot] === ABSENT) repeated[slot] = tagAt;
          repeated[slot + 1] = pos;
          break;
        }
        default: {
          if (wire === WIRE_LEN) {
            pos = valueEnd;
            break;
          }
          const skipper = this.readerAt(pos);
          skipper.wireType = wire;
          skipper.skipValue();
          pos = skipper.pos;
        }
      }
    }
    reader.pos = pos;

    // Ids go to the trailer entry; checked first, since a span without them cannot even be named.
    if (traceId.end - traceId.start !== TRACE_ID_BYTES || traceId.start === ABSENT) this.reject(`trace_id got ${rangeLength(traceId)} bytes; want ${TRACE_ID_BYTES}`);
    else if (!copyNonZeroId(bytes, traceId.start, TRACE_ID_BYTES, this.out.ids, 0)) this.reject('trace_id got all zeros; want a non-zero id');
    if (spanId.end - spanId.start !== SPAN_ID_BYTES || spanId.start === ABSENT) this.reject(`span_id got ${rangeLength(spanId)} bytes; want ${SPAN_ID_BYTES}`);
    else if (!copyNonZeroId(bytes, spanId.start, SPAN_ID_BYTES, this.out.ids, TRACE_ID_BYTES)) this.reject('span_id got all zeros; want a non-zero id');

    const w = this.out.record;
    const fields = this.recordFields.start(w);
    // 0 name
    this.requiredString(w, name, 'name');
    fields.keep(0, false);
    // 1 kind
    if (kind < 0 || kind > SPAN_KIND_MAX) this.reject(`kind got ${kind}; want 0..${SPAN_KIND_MAX} (SPAN_KIND_UNSPECIFIED..SPAN_KIND_CONSUMER)`);
    w.uint32(kind < 0 || kind > SPAN_KIND_MAX ? 0 : kind);
    fields.keep(1, kind === 0);
    // 2 parentSpanId: empty (or all zeros, which some senders write for a root) is a root span.
    const parentLength = rangeLength(parent);
    if (parentLength === SPAN_ID_BYTES && !isZeroId(bytes, parent.start, SPAN_ID_BYTES)) {
      w.bin(bytes, parent.start, parent.end);
      fields.keep(2, false);
    } else {
      if (parentLength !== 0 && parentLength !== SPAN_ID_BYTES) this.reject(`parent_span_id got ${parentLength} bytes; want 0 or ${SPAN_ID_BYTES}`);
      w.nil();
    }
    // 3 duration = end − start, as a signed 64-bit difference.
    const durationAt = w.length;
    this.difference(w, endLo, endHi, startLo, startHi, 'end_time_unix_nano − start_time_unix_nano');
    fields.keep(3, w.length === durationAt + 1 && w.bytes[durationAt] === 0);
    // 4 attributes, straight into the batch's columns (an empty map here), after the name, 5 dropped
    if (name.start === ABSENT) this.out.spanName(bytes, 0, 0);
    else this.out.spanName(bytes, name.start, name.end);
    w.endMap(w.beginMap(), 0);
    this.narrow(0);
    droppedAttributes += this.spanAttributes();
    reader.end = end;
    fields.keep(4, true);
    w.uint32(droppedAttributes >>> 0);
    fields.keep(5, droppedAttributes === 0);
    // 6 events, 7 dropped
    this.narrow(2);
    const eventsMark = w.beginArray();
    let events = 0;
    while (reader.nextField()) {
      if (reader.fieldNumber !== SPAN_EVENTS) {
        reader.skipValue();
        continue;
      }
      const outer = reader.enter();
      this.event(w, startLo, startHi);
      reader.leave(outer);
      events++;
    }
    reader.end = end;
    w.endArray(eventsMark, events);
    fields.keep(6, events === 0);
    w.uint32(droppedEvents);
    fields.keep(7, droppedEvents === 0);
    // 8 links, 9 dropped
    this.narrow(4);
    const linksMark = w.beginArray();
    let links = 0;
    while (reader.nextField()) {
      if (reader.fieldNumber !== SPAN_LINKS) {
        reader.skipValue();
        continue;
      }
      const outer = reader.enter();
      if (this.link(w)) links++;
      else droppedLinks++;
      reader.leave(outer);
    }
    reader.end = end;
    w.endArray(linksMark, links);
    fields.keep(8, links === 0);
    w.uint32(droppedLinks >>> 0);
    fields.keep(9, droppedLinks === 0);
    // 10 status: nearly always UNSET, which senders write as an empty message or as code 0 alone.
    const statusAt = this.status.start;
    const unset = statusAt === ABSENT || bytes[statusAt] === 0 || (bytes[statusAt] === 2 && bytes[statusAt + 1] === STATUS_CODE_TAG && bytes[statusAt + 2] === 0);
    if (!unset && this.writeStatus(w, statusAt)) {
      fields.keep(10, false);
    } else w.nil();
    // 11 traceState
    if (rangeLength(traceState) > 0) {
      this.checkedString(w, traceState, 'trace_state');
      fields.keep(11, false);
    } else w.nil();
    // 12 flags
    if (hasFlags) {
      w.uint32(flags);
      fields.keep(RECORD_FIELDS - 1, false);
    }
    reader.pos = end;
    fields.end();
    this.out.endSpan(startLo, startHi);
  }

  /** The reader is inside an Event; writes `[timeOffsetNano, name, attributes, dropped]`. */
  private event(w: MsgpackWriter, startLo: number, startHi: number): void {
    const reader = this.reader;
    const start = reader.pos;
    const name = this.scratch;
    name.start = ABSENT;
    let timeLo = 0;
    let timeHi = 0;
    let dropped = 0;
    while (reader.nextField()) {
      switch (reader.fieldNumber) {
        case EVENT_TIME:
          this.expect(WIRE_I64, 'Span.Event.time_unix_nano');
          reader.readFixed64();
          timeLo = reader.lo;
          timeHi = reader.hi;
          break;
        case EVENT_NAME:
          this.readRange(name, 'Span.Event.name');
          break;
        case EVENT_DROPPED_ATTRIBUTES_COUNT:
          this.expect(WIRE_VARINT, 'Span.Event.dropped_attributes_count');
          dropped = reader.uint32();
          break;
        case EVENT_ATTRIBUTES:
          this.expect(WIRE_LEN, 'Span.Event.attributes');
          reader.skipValue();
          break;
        default:
          reader.skipValue();
      }
    }
    w.arrayHeader(4);
    this.difference(w, timeLo, timeHi, startLo, startHi, 'an event time_unix_nano − start_time_unix_nano');
    this.requiredString(w, name, 'an event name');
    reader.pos = start;
    dropped += this.attributes(w, EVENT_ATTRIBUTES, 'Span.Event.attributes', 'event attribute');
    w.uint32(dropped >>> 0);
  }

  /**
   * The reader is inside a Link; writes `[traceId, spanId, traceState, attributes, dropped, flags]`.
   * A link without valid ids is written nowhere and counted in the span's dropped_links_count.
   */
  private link(w: MsgpackWriter): boolean {
    const reader = this.reader;
    const start = reader.pos;
    const mark = w.length;
    const traceId = this.linkTraceId;
    const spanId = this.linkSpanId;
    const traceState = this.linkTraceState;
    traceId.start = spanId.start = traceState.start = ABSENT;
    let flags = 0;
    let hasFlags = false;
    let dropped = 0;
    while (reader.nextField()) {
      switch (reader.fieldNumber) {
        case LINK_TRACE_ID:
          this.readRange(traceId, 'Span.Link.trace_id');
          break;
        case LINK_SPAN_ID:
          this.readRange(spanId, 'Span.Link.span_id');
          break;
        case LINK_TRACE_STATE:
          this.readRange(traceState, 'Span.Link.trace_state');
          break;
        case LINK_DROPPED_ATTRIBUTES_COUNT:
          this.expect(WIRE_VARINT, 'Span.Link.dropped_attributes_count');
          dropped = reader.uint32();
          break;
        case LINK_FLAGS:
          this.expect(WIRE_I32, 'Span.Link.flags');
          flags = reader.fixed32();
          hasFlags = true;
          break;
        case LINK_ATTRIBUTES:
          this.expect(WIRE_LEN, 'Span.Link.attributes');
          reader.skipValue();
          break;
        default:
          reader.skipValue();
      }
    }
    const end = reader.pos;
    const bytes = reader.bytes;
    w.arrayHeader(6);
    const valid =
      rangeLength(traceId) === TRACE_ID_BYTES &&
      !isZeroId(bytes, traceId.start, TRACE_ID_BYTES) &&
      rangeLength(spanId) === SPAN_ID_BYTES &&
      !isZeroId(bytes, spanId.start, SPAN_ID_BYTES);
    if (valid) {
      w.bin(bytes, traceId.start, traceId.end);
      w.bin(bytes, spanId.start, spanId.end);
    }
    if (rangeLength(traceState) > 0) this.checkedString(w, traceState, 'link trace_state');
    else w.nil();
    reader.pos = start;
    dropped += this.attributes(w, LINK_ATTRIBUTES, 'Span.Link.attributes', 'link attribute');
    w.uint32(dropped >>> 0);
    if (hasFlags) w.uint32(flags);
    else w.nil();
    reader.pos = end;
    // The whole message was parsed (a malformed link still fails the request); an invalid one is then unwritten.
    if (!valid) w.truncate(mark);
    return valid;
  }

  /** Narrows the reader to the stretch of the span holding repeated field `slot` (empty when absent); the caller restores `end`. */
  private narrow(slot: number): void {
    const from = this.repeated[slot]!;
    this.reader.pos = from === ABSENT ? this.reader.end : from;
    if (from !== ABSENT) this.reader.end = this.repeated[slot + 1]!;
  }

  /** Writes `[code, message]` for the Status message at `at`; false (writing nothing) for UNSET with no message. */
  private writeStatus(w: MsgpackWriter, at: number): boolean {
    const reader = this.reader;
    const resume = reader.pos;
    reader.pos = at;
    const outer = reader.enter();
    const message = this.scratch;
    message.start = ABSENT;
    let code = 0;
    while (reader.nextField()) {
      switch (reader.fieldNumber) {
        case STATUS_MESSAGE:
          this.readRange(message, 'Status.message');
          break;
        case STATUS_CODE:
          this.expect(WIRE_VARINT, 'Status.code');
          code = reader.int32();
          break;
        default:
          reader.skipValue();
      }
    }
    reader.leave(outer);
    reader.pos = resume;
    if (code < 0 || code > STATUS_CODE_MAX) {
      this.reject(`status.code got ${code}; want 0..${STATUS_CODE_MAX} (STATUS_CODE_UNSET, _OK, _ERROR)`);
      return false;
    }
    const messageLength = rangeLength(message);
    if (code === 0 && messageLength === 0) return false;
    w.arrayHeader(2);
    w.uint32(code);
    if (messageLength > 0) this.checkedString(w, message, 'status.message');
    else w.strBytes(reader.bytes, 0, 0);
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Attributes and AnyValue
  // -------------------------------------------------------------------------------------------

  /**
   * Writes the map of every `field` (a repeated KeyValue) of the message the reader is at the start
   * of, reading to its end. Returns how many keys had an empty AnyValue and were left out (the
   * caller adds them to the dropped_attributes_count, which is what OTLP calls an attribute not kept).
   */
  private attributes(w: MsgpackWriter, field: number, what: string, describeKey: string): number {
    const reader = this.reader;
    const mark = w.beginMap();
    let count = 0;
    let empty = 0;
    const bytes = reader.bytes;
    const end = reader.end;
    // Every attribute field number is under 16: its tag is one byte.
    const attributeTag = (field << 3) | WIRE_LEN;
    let pos = reader.pos;
    // The writer's buffer and length in locals while attributes take the fixstr path below (most
    // do: a key and a string value, both under 32 bytes), written back before anything else writes.
    let out = w.bytes;
    let to = w.length;
    while (pos < end) {
      fixstr: if (bytes[pos] === attributeTag && pos + 1 + STRING_ATTRIBUTE_BYTES_MIN <= end) {
        // `0a klen key 12 vlen+2 0a vlen value`, the KeyValue's length at `at`, every length one byte.
        const at = pos + 1;
        const messageEnd = at + 1 + bytes[at]!;
        const keyLength = bytes[at + 2]!;
        const keyStart = at + 3;
        const keyEnd = keyStart + keyLength;
        if (bytes[at]! >= 0x80 || messageEnd > end || bytes[at + 1] !== 0x0a || keyLength >= FIXSTR_BYTES_LIMIT || keyEnd + 4 > messageEnd) break fixstr;
        const valueLength = bytes[keyEnd + 3]!;
        const valueStart = keyEnd + 4;
        if (bytes[keyEnd] !== 0x12 || bytes[keyEnd + 2] !== 0x0a || valueLength >= FIXSTR_BYTES_LIMIT || bytes[keyEnd + 1] !== valueLength + 2 || valueStart + valueLength !== messageEnd) break fixstr;
        if (to + 2 + keyLength + valueLength > out.length) {
          w.length = to;
          w.ensure(2 + keyLength + valueLength);
          out = w.bytes;
        }
        let any = 0;
        out[to++] = 0xa0 | keyLength;
        for (let i = keyStart; i < keyEnd; i++) any |= out[to++] = bytes[i]!;
        out[to++] = 0xa0 | valueLength;
        for (let i = valueStart; i < messageEnd; i++) any |= out[to++] = bytes[i]!;
        if (any >= 0x80) {
          if (!isWellFormedUtf8(bytes, keyStart, keyEnd)) this.reject(`${describeKey} key is not valid UTF-8`);
          if (!isWellFormedUtf8(bytes, valueStart, messageEnd)) this.reject(`${describeKey} string_value is not valid UTF-8`);
        }
        pos = messageEnd;
        count++;
        continue;
      }
      w.length = to;
      if (bytes[pos] === attributeTag) {
        const next = this.stringAttribute(w, bytes, pos + 1, end, describeKey);
        if (next !== ABSENT) {
          pos = next;
          count++;
          out = w.bytes;
          to = w.length;
          continue;
        }
      }
      reader.pos = pos;
      reader.nextField();
      if (reader.fieldNumber !== field) {
        reader.skipValue();
        pos = reader.pos;
        continue;
      }
      this.expect(WIRE_LEN, what);
      const outer = reader.enter();
      if (this.keyValue(w, 0, describeKey)) count++;
      else empty++;
      reader.leave(outer);
      pos = reader.pos;
      out = w.bytes;
      to = w.length;
    }
    w.length = to;
    reader.pos = pos;
    w.endMap(mark, count);
    return empty;
  }

  /**
   * The span's attributes (field 9 of the Span the reader is at the start of, to its end) straight
   * into the batch's columns, not into the record: attributes() for a span. A key with a string
   * value (nearly every attribute) goes in from the request's bytes; any other shape is written as
   * a record's key and value pair, then walked into the columns. Returns how many keys had an empty
   * AnyValue and were left out.
   */
  private spanAttributes(): number {
    const reader = this.reader;
    const out = this.out;
    const pair = this.pair;
    let empty = 0;
    const bytes = reader.bytes;
    const end = reader.end;
    let pos = reader.pos;
    while (pos < end) {
      if (bytes[pos] === SPAN_ATTRIBUTE_TAG) {
        const next = this.stringAttributeInPlace(bytes, pos + 1, end);
        if (next !== ABSENT) {
          pos = next;
          continue;
        }
      }
      reader.pos = pos;
      reader.nextField();
      if (reader.fieldNumber !== SPAN_ATTRIBUTES) {
        reader.skipValue();
        pos = reader.pos;
        continue;
      }
      this.expect(WIRE_LEN, 'Span.attributes');
      const outer = reader.enter();
      pair.reset();
      if (this.keyValue(pair, 0, 'attribute')) out.recordAttributes(pair.bytes, 0, pair.length, 1);
      else empty++;
      reader.leave(outer);
      pos = reader.pos;
    }
    reader.pos = pos;
    return empty;
  }

  /**
   * `KeyValue { 1: key, 2: AnyValue { 1: string_value } }` and nothing else, every length one byte,
   * its length prefix at `at` in a message ending at `end`: checks both strings' UTF-8 and hands
   * them to the batch in place, returning the position after it; ABSENT, doing nothing, for any
   * other shape.
   */
  private stringAttributeInPlace(bytes: Uint8Array, at: number, end: number): number {
    const messageEnd = this.stringKeyValueAt(bytes, at, end);
    if (messageEnd === ABSENT) return ABSENT;
    const { keyStart, keyEnd, valueStart } = this;
    // ASCII needs no more checking; anything else the full UTF-8 check.
    let any = 0;
    for (let i = keyStart; i < keyEnd; i++) any |= bytes[i]!;
    for (let i = valueStart; i < messageEnd; i++) any |= bytes[i]!;
    if (any >= 0x80) {
      if (!isWellFormedUtf8(bytes, keyStart, keyEnd)) this.reject('attribute key is not valid UTF-8');
      if (!isWellFormedUtf8(bytes, valueStart, messageEnd)) this.reject('attribute string_value is not valid UTF-8');
    }
    this.out.stringAttribute(bytes, keyStart, keyEnd, valueStart, messageEnd);
    return messageEnd;
  }

  /**
   * Whether a KeyValue whose length prefix is at `at`, in a message ending at `end`, is
   * `KeyValue { 1: key, 2: AnyValue { 1: string_value } }` and nothing else, every length one byte:
   * then its end, with the key at [keyStart, keyEnd) and the value from valueStart; else ABSENT.
   */
  private stringKeyValueAt(bytes: Uint8Array, at: number, end: number): number {
    if (at + STRING_ATTRIBUTE_BYTES_MIN > end) return ABSENT;
    const messageEnd = at + 1 + bytes[at]!;
    // Tag bytes: 0x0a is field 1 length-delimited, 0x12 field 2 length-delimited; a length byte < 0x80 is the whole varint.
    if (bytes[at]! >= 0x80 || messageEnd > end || bytes[at + 1] !== 0x0a) return ABSENT;
    const keyStart = at + 3;
    const keyEnd = keyStart + bytes[at + 2]!;
    if (bytes[at + 2]! >= 0x80 || keyEnd + 4 > messageEnd || bytes[keyEnd] !== 0x12 || bytes[keyEnd + 1]! >= 0x80) return ABSENT;
    if (keyEnd + 2 + bytes[keyEnd + 1]! !== messageEnd || bytes[keyEnd + 2] !== 0x0a || bytes[keyEnd + 3]! >= 0x80) return ABSENT;
    const valueStart = keyEnd + 4;
    if (valueStart + bytes[keyEnd + 3]! !== messageEnd) return ABSENT;
    this.keyStart = keyStart;
    this.keyEnd = keyEnd;
    this.valueStart = valueStart;
    return messageEnd;
  }

  /**
   * A key with a string value, every length under 128 so each is one byte, at least one of the two
   * strings 32 bytes or longer (attributes() writes the rest itself):
   * `KeyValue { 1: key, 2: AnyValue { 1: string_value } }` and nothing else, its length prefix at
   * `at` in a message ending at `end`. It writes what keyValue would, without entering either
   * message, and returns the position after it; ABSENT (reading and writing nothing) for any other
   * shape, which keyValue then reads.
   */
  private stringAttribute(w: MsgpackWriter, bytes: Uint8Array, at: number, end: number, describeKey: string): number {
    const messageEnd = this.stringKeyValueAt(bytes, at, end);
    if (messageEnd === ABSENT) return ABSENT;
    this.checkedBytes(w, this.keyStart, this.keyEnd, describeKey, ' key');
    this.checkedBytes(w, this.valueStart, messageEnd, describeKey, ' string_value');
    return messageEnd;
  }


  /**
   * The reader is inside a KeyValue: writes key then value; false, writing nothing, when the value
   * is empty (no value field set), which msgpack AnyValue cannot express.
   */
  private keyValue(w: MsgpackWriter, depth: number, describeKey: string): boolean {
    const reader = this.reader;
    // Locals, not a Range: this runs for every attribute, and recursively for nested ones.
    let keyStart = ABSENT;
    let keyEnd = 0;
    let valueAt = ABSENT;
    while (reader.nextField()) {
      switch (reader.fieldNumber) {
        case KEY_VALUE_KEY:
          this.expect(WIRE_LEN, 'KeyValue.key');
          keyEnd = reader.lengthDelimited();
          keyStart = reader.pos;
          reader.pos = keyEnd;
          break;
        case KEY_VALUE_VALUE:
          this.expect(WIRE_LEN, 'KeyValue.value');
          valueAt = reader.pos;
          reader.skipValue();
          break;
        default:
          reader.skipValue();
      }
    }
    if (valueAt === ABSENT) return false;
    const end = reader.pos;
    const mark = w.length;
    if (keyStart === ABSENT) w.strBytes(reader.bytes, 0, 0);
    else this.checkedBytes(w, keyStart, keyEnd, describeKey, ' key');
    reader.pos = valueAt;
    const outer = reader.enter();
    const written = this.anyValue(w, depth, describeKey);
    reader.leave(outer);
    reader.pos = end;
    if (!written) w.truncate(mark);
    return written;
  }

  /** The reader is inside an AnyValue: writes it; false, writing nothing, when no value is set. */
  private anyValue(w: MsgpackWriter, depth: number, describeKey: string): boolean {
    const reader = this.reader;
    // A oneof: the last value field on the wire wins, as in every protobuf decoder.
    let kind = 0;
    let lo = 0;
    let hi = 0;
    let number = 0;
    /** A length-delimited value: its length prefix at `at`, its bytes [start, end). */
    let at = 0;
    let start = 0;
    let end = 0;
    while (reader.nextField()) {
      switch (reader.fieldNumber) {
        case ANY_STRING:
        case ANY_BYTES:
        case ANY_ARRAY:
        case ANY_KVLIST:
          this.expect(WIRE_LEN, 'AnyValue');
          kind = reader.fieldNumber;
          at = reader.pos;
          end = reader.lengthDelimited();
          start = reader.pos;
          reader.pos = end;
          break;
        case ANY_BOOL:
        case ANY_INT:
          this.expect(WIRE_VARINT, 'AnyValue');
          kind = reader.fieldNumber;
          reader.readVarint();
          lo = reader.lo;
          hi = reader.hi;
          break;
        case ANY_DOUBLE:
          this.expect(WIRE_I64, 'AnyValue.double_value');
          kind = ANY_DOUBLE;
          number = reader.double();
          break;
        default:
          reader.skipValue();
      }
    }
    const messageEnd = reader.pos;
    switch (kind) {
      case 0:
        return false;
      case ANY_BOOL:
        w.bool((lo | hi) !== 0);
        return true;
      case ANY_INT:
        w.int64(lo, hi);
        return true;
      case ANY_DOUBLE:
        // In a span, always float64, so the batch keeps every bit of the double, -0 included
        // (§7.1); the common section stays msgpack as encodeCommon writes it (§2.4).
        if (w === this.out.record) w.float64(number);
        else w.number(number);
        return true;
      case ANY_STRING:
        this.checkedBytes(w, start, end, describeKey, ' string_value');
        break;
      case ANY_BYTES:
        w.bin(reader.bytes, start, end);
        break;
      default: {
        // ArrayValue or KeyValueList: one attribute nesting level (§2.5 allows ATTRIBUTE_NESTING_MAX).
        if (depth >= ATTRIBUTE_NESTING_MAX) {
          throw invalidArgument(`protobuf at offset ${at}: ${describeKey} value nested over ${ATTRIBUTE_NESTING_MAX} levels; want at most ${ATTRIBUTE_NESTING_MAX}`);
        }
        reader.pos = at;
        const outer = reader.enter();
        const mark = kind === ANY_ARRAY ? w.beginArray() : w.beginMap();
        let count = 0;
        while (reader.nextField()) {
          if (reader.fieldNumber !== LIST_VALUES) {
            reader.skipValue();
            continue;
          }
          this.expect(WIRE_LEN, kind === ANY_ARRAY ? 'ArrayValue.values' : 'KeyValueList.values');
          const inner = reader.enter();
          // An empty element has no msgpack form: it is left out (data-format.md §7.1).
          if (kind === ANY_ARRAY ? this.anyValue(w, depth + 1, describeKey) : this.keyValue(w, depth + 1, describeKey)) count++;
          reader.leave(inner);
        }
        reader.leave(outer);
        if (kind === ANY_ARRAY) w.endArray(mark, count);
        else w.endMap(mark, count);
      }
    }
    reader.pos = messageEnd;
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------------------------

  /** Writes `end − start` as the record's int; rejects a difference outside int64. */
  private difference(w: MsgpackWriter, endLo: number, endHi: number, startLo: number, startHi: number, what: string): void {
    if (!writeTimeDifference(w, endLo, endHi, startLo, startHi)) this.reject(`${what} does not fit an int64`);
  }

  private requiredString(w: MsgpackWriter, range: Range, what: string): void {
    if (range.start === ABSENT) w.strBytes(this.reader.bytes, 0, 0);
    else this.checkedString(w, range, what);
  }

  /** A string field where '' means absent (proto3 cannot tell them apart): nil when empty. */
  private optionalString(w: MsgpackWriter, range: Range, what: string): void {
    if (rangeLength(range) === 0) w.nil();
    else this.checkedString(w, range, what);
  }

  private checkedString(w: MsgpackWriter, range: Range, what: string): void {
    this.checkedBytes(w, range.start, range.end, what);
  }

  /** `what` + `detail` names the string; joined only for a rejection (this runs for every key and value). */
  private checkedBytes(w: MsgpackWriter, start: number, end: number, what: string, detail = ''): void {
    // ASCII is checked by the copy itself; only other text needs the full UTF-8 check.
    if (!w.strBytesAscii(this.reader.bytes, start, end) && !isWellFormedUtf8(this.reader.bytes, start, end)) this.reject(`${what}${detail} is not valid UTF-8`);
  }

  /** Notes where a length-delimited field's bytes are and moves past them. */
  private readRange(range: Range, what: string): void {
    this.expect(WIRE_LEN, what);
    const end = this.reader.lengthDelimited();
    range.start = this.reader.pos;
    range.end = end;
    this.reader.pos = end;
  }

  /**
   * A length-delimited value whose length prefix is at `pos`, in the message ending at `end`:
   * returns its first byte and leaves its end in `valueEnd`. A one-byte length is read here; a
   * longer one (or one past the end, which it throws for) by the reader.
   */
  private valueAt(bytes: Uint8Array, pos: number, end: number): number {
    if (pos < end) {
      const length = bytes[pos]!;
      if (length < 0x80 && length < end - pos) {
        this.valueEnd = pos + 1 + length;
        return pos + 1;
      }
    }
    const reader = this.readerAt(pos);
    this.valueEnd = reader.lengthDelimited();
    return reader.pos;
  }

  /** A varint at `pos`: returns the position after it and leaves its low 32 bits in `varintLo`. */
  private varintAt(bytes: Uint8Array, pos: number, end: number): number {
    if (pos < end) {
      const first = bytes[pos]!;
      if (first < 0x80) {
        this.varintLo = first;
        return pos + 1;
      }
    }
    const reader = this.readerAt(pos);
    reader.readVarint();
    this.varintLo = reader.lo;
    return reader.pos;
  }

  /** The reader, moved to `pos`: for what the local fast paths leave to it. */
  private readerAt(pos: number): ProtobufReader {
    this.reader.pos = pos;
    return this.reader;
  }

  /** The error expect() throws, for a field whose tag a fast path read. */
  private wrongWireType(field: number, wire: number, want: number, what: string): never {
    throw invalidArgument(`protobuf: ${what} (field ${field}) wire type got ${wire}; want ${want}`);
  }

  private expect(wireType: number, what: string): void {
    if (this.reader.wireType !== wireType) {
      throw invalidArgument(`protobuf: ${what} (field ${this.reader.fieldNumber}) wire type got ${this.reader.wireType}; want ${wireType}`);
    }
  }

  private reject(message: string): void {
    this.out.reject(message);
  }
}

/** Copies an id of `length` bytes into `into` at `at`; false when it is all zeros (OTLP's "no id"). */
function copyNonZeroId(bytes: Uint8Array, start: number, length: number, into: Uint8Array, at: number): boolean {
  let any = 0;
  for (let i = 0; i < length; i++) any |= into[at + i] = bytes[start + i]!;
  return any !== 0;
}

function rangeLength(range: Range): number {
  return range.start === ABSENT ? 0 : range.end - range.start;
}


/** Transcodes one request: see ProtobufTranscoder. */
export function transcodeProtobuf(body: Uint8Array, limits: TranscodeLimits): TranscodeResult {
  return new ProtobufTranscoder(limits).transcode(body);
}
