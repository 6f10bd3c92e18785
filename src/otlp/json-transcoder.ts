/**
 * OTLP JSON → batches: the same mapping as the protobuf transcoder (data-format.md §7.1), from the
 * OTLP/HTTP JSON encoding. Its rules (OTLP specification, "JSON Protobuf Encoding"): keys in
 * lowerCamelCase (the proto field names are accepted too, as protobuf JSON parsers do), trace and
 * span ids in hex rather than base64, enums as integers (names accepted too), 64-bit integers as a
 * decimal string or a number, bytes in base64, and unknown fields ignored.
 *
 * JSON.parse builds objects, so this path allocates per span where the protobuf one does not; it
 * writes records straight from those objects, with no span model in between, and shares the batch
 * building and the rejection rules with the protobuf path (record-batches.ts). Bad input as there:
 * a body that is not an OTLP JSON request (not JSON, a field of the wrong type, ids that are not
 * hex, nesting past the format) is ERR_INVALID_ARGUMENT naming the path; a well-formed span the
 * format cannot hold is left out and counted.
 */
import { ATTRIBUTE_NESTING_MAX, SPAN_ID_BYTES, TRACE_ID_BYTES, UNIX_NANO_MAX } from '../constants.js';
import { invalidArgument } from '../errors.js';
import { isZeroId } from '../batch/index.js';
import type { MsgpackWriter } from '../batch/msgpack-writer.js';
import { Fields, RecordBatches, writeTimeDifference } from './record-batches.js';
import type { TranscodeLimits, TranscodeResult } from './transcode-types.js';

type Json = Record<string, unknown>;

/** OTLP enum names, for senders that write them instead of the integers the OTLP JSON rules ask for. */
const SPAN_KIND_NAMES: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODE_NAMES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };
const SPAN_KIND_MAX = 5;
const STATUS_CODE_MAX = 2;
const U32_MAX = 0xffff_ffff;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const U32_LIMIT = 1n << 32n;
/** Parse bound for values range-checked by the caller. */
const UNBOUNDED = 1n << 1024n;
const HEX = /^[0-9a-fA-F]*$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const DECIMAL = /^-?[0-9]+$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export class JsonTranscoder {
  private readonly out: RecordBatches;

  constructor(limits: TranscodeLimits) {
    this.out = new RecordBatches(limits);
  }

  transcode(body: Uint8Array): TranscodeResult {
    let text: string;
    try {
      text = UTF8.decode(body);
    } catch {
      throw invalidArgument('json: the body is not valid UTF-8');
    }
    let request: unknown;
    try {
      request = text.trim() === '' ? {} : JSON.parse(text);
    } catch (error) {
      throw invalidArgument(`json: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!isObject(request)) throw invalidArgument(`json: the request got ${kindOf(request)}; want an object (ExportTraceServiceRequest)`);
    this.out.reset();
    const resourceSpans = list(request, 'resourceSpans', 'resource_spans', 'json');
    for (let r = 0; r < resourceSpans.length; r++) {
      const rsPath = `resourceSpans[${r}]`;
      const rs = object(resourceSpans[r], rsPath);
      const resource = optionalObject(rs, 'resource', 'resource', rsPath);
      const resourceSchemaUrl = str(rs, 'schemaUrl', 'schema_url', rsPath);
      const scopeSpans = list(rs, 'scopeSpans', 'scope_spans', rsPath);
      for (let s = 0; s < scopeSpans.length; s++) {
        const ssPath = `${rsPath}.scopeSpans[${s}]`;
        const ss = object(scopeSpans[s], ssPath);
        const spans = list(ss, 'spans', 'spans', ssPath);
        this.writeCommon(resource, resourceSchemaUrl, optionalObject(ss, 'scope', 'scope', ssPath), str(ss, 'schemaUrl', 'schema_url', ssPath), ssPath);
        this.out.startGroup(spans.length);
        for (let i = 0; i < spans.length; i++) this.span(object(spans[i], `${ssPath}.spans[${i}]`), `${ssPath}.spans[${i}]`);
        this.out.endGroup();
      }
    }
    return this.out.result();
  }

  private writeCommon(resource: Json | undefined, resourceSchemaUrl: string, scope: Json | undefined, scopeSchemaUrl: string, path: string): void {
    const w = this.out.common;
    w.reset();
    this.out.problem = '';
    const fields = new Fields().start(w);
    const resourcePath = `${path}(resource)`;
    const resourceDropped = uint32(resource, 'droppedAttributesCount', 'dropped_attributes_count', resourcePath);
    const droppedResource = this.attributes(w, resource, 'attributes', resourcePath, 'resource attribute');
    fields.keep(0, droppedResource.written === 0);
    w.uint32((resourceDropped + droppedResource.empty) >>> 0);
    fields.keep(1, resourceDropped + droppedResource.empty === 0);
    this.optionalString(w, resourceSchemaUrl, 'resource schema_url');
    fields.keep(2, resourceSchemaUrl === '');
    const scopePath = `${path}.scope`;
    const name = str(scope, 'name', 'name', scopePath);
    const version = str(scope, 'version', 'version', scopePath);
    this.optionalString(w, name, 'scope name');
    fields.keep(3, name === '');
    this.optionalString(w, version, 'scope version');
    fields.keep(4, version === '');
    const scopeDropped = uint32(scope, 'droppedAttributesCount', 'dropped_attributes_count', scopePath);
    const droppedScope = this.attributes(w, scope, 'attributes', scopePath, 'scope attribute');
    fields.keep(5, droppedScope.written === 0);
    w.uint32((scopeDropped + droppedScope.empty) >>> 0);
    fields.keep(6, scopeDropped + droppedScope.empty === 0);
    this.optionalString(w, scopeSchemaUrl, 'scope schema_url');
    fields.keep(7, scopeSchemaUrl === '');
    fields.end();
  }

  private span(span: Json, path: string): void {
    const out = this.out;
    out.startSpan();
    this.id(span, 'traceId', 'trace_id', path, TRACE_ID_BYTES, 0, 'trace_id');
    this.id(span, 'spanId', 'span_id', path, SPAN_ID_BYTES, TRACE_ID_BYTES, 'span_id');
    const start = time(span, 'startTimeUnixNano', 'start_time_unix_nano', path);
    const end = time(span, 'endTimeUnixNano', 'end_time_unix_nano', path);
    const w = out.record;
    const fields = new Fields().start(w);
    // 0 name
    this.requiredString(w, str(span, 'name', 'name', path), 'name');
    fields.keep(0, false);
    // 1 kind
    const kind = enumValue(span, 'kind', 'kind', path, SPAN_KIND_NAMES);
    if (kind < 0 || kind > SPAN_KIND_MAX) this.out.reject(`kind got ${kind}; want 0..${SPAN_KIND_MAX} (SPAN_KIND_UNSPECIFIED..SPAN_KIND_CONSUMER)`);
    w.uint32(kind < 0 || kind > SPAN_KIND_MAX ? 0 : kind);
    fields.keep(1, kind === 0);
    // 2 parentSpanId: '' (or all zeros) is a root span.
    const parent = hexBytes(span, 'parentSpanId', 'parent_span_id', path);
    if (parent !== undefined && parent.length === SPAN_ID_BYTES && !isZeroId(parent, 0, SPAN_ID_BYTES)) {
      w.bin(parent, 0, SPAN_ID_BYTES);
      fields.keep(2, false);
    } else {
      if (parent !== undefined && parent.length !== 0 && parent.length !== SPAN_ID_BYTES) this.out.reject(`parent_span_id got ${parent.length} bytes; want 0 or ${SPAN_ID_BYTES}`);
      w.nil();
    }
    // 3 duration
    this.difference(w, end, start, 'end_time_unix_nano − start_time_unix_nano');
    fields.keep(3, end === start);
    // 4 attributes, 5 dropped
    const attributes = this.attributes(w, span, 'attributes', path, 'attribute');
    fields.keep(4, attributes.written === 0);
    const droppedAttributes = uint32(span, 'droppedAttributesCount', 'dropped_attributes_count', path) + attributes.empty;
    w.uint32(droppedAttributes >>> 0);
    fields.keep(5, droppedAttributes === 0);
    // 6 events, 7 dropped
    const events = list(span, 'events', 'events', path);
    w.arrayHeader(events.length);
    for (let i = 0; i < events.length; i++) this.event(w, object(events[i], `${path}.events[${i}]`), start, `${path}.events[${i}]`, i);
    fields.keep(6, events.length === 0);
    const droppedEvents = uint32(span, 'droppedEventsCount', 'dropped_events_count', path);
    w.uint32(droppedEvents);
    fields.keep(7, droppedEvents === 0);
    // 8 links, 9 dropped
    const links = list(span, 'links', 'links', path);
    const linksMark = w.beginArray();
    let written = 0;
    for (let i = 0; i < links.length; i++) if (this.link(w, object(links[i], `${path}.links[${i}]`), `${path}.links[${i}]`)) written++;
    w.endArray(linksMark, written);
    fields.keep(8, written === 0);
    const droppedLinks = uint32(span, 'droppedLinksCount', 'dropped_links_count', path) + (links.length - written);
    w.uint32(droppedLinks >>> 0);
    fields.keep(9, droppedLinks === 0);
    // 10 status
    const status = optionalObject(span, 'status', 'status', path);
    const code = enumValue(status, 'code', 'code', `${path}.status`, STATUS_CODE_NAMES);
    const message = str(status, 'message', 'message', `${path}.status`);
    if (code < 0 || code > STATUS_CODE_MAX) this.out.reject(`status.code got ${code}; want 0..${STATUS_CODE_MAX} (STATUS_CODE_UNSET, _OK, _ERROR)`);
    if (code >= 0 && code <= STATUS_CODE_MAX && (code !== 0 || message !== '')) {
      w.arrayHeader(2);
      w.uint32(code);
      this.requiredString(w, message, 'status.message');
      fields.keep(10, false);
    } else w.nil();
    // 11 traceState
    const traceState = str(span, 'traceState', 'trace_state', path);
    this.optionalString(w, traceState, 'trace_state');
    fields.keep(11, traceState === '');
    // 12 flags: present when the sender wrote it.
    const flags = field(span, 'flags', 'flags');
    if (flags !== undefined && flags !== null) {
      w.uint32(uint32(span, 'flags', 'flags', path));
      fields.keep(12, false);
    }
    fields.end();
    out.endSpan(Number(start & 0xffff_ffffn), Number(start >> 32n));
  }

  private event(w: MsgpackWriter, event: Json, start: bigint, path: string, index: number): void {
    w.arrayHeader(4);
    this.difference(w, time(event, 'timeUnixNano', 'time_unix_nano', path), start, `events[${index}].time_unix_nano − start_time_unix_nano`);
    this.requiredString(w, str(event, 'name', 'name', path), `events[${index}].name`);
    const attributes = this.attributes(w, event, 'attributes', path, `events[${index}] attribute`);
    w.uint32((uint32(event, 'droppedAttributesCount', 'dropped_attributes_count', path) + attributes.empty) >>> 0);
  }

  /** Writes a link; false, writing nothing, for one without valid ids (counted in dropped_links_count). */
  private link(w: MsgpackWriter, link: Json, path: string): boolean {
    const traceId = hexBytes(link, 'traceId', 'trace_id', path);
    const spanId = hexBytes(link, 'spanId', 'span_id', path);
    const traceState = str(link, 'traceState', 'trace_state', path);
    const dropped = uint32(link, 'droppedAttributesCount', 'dropped_attributes_count', path);
    const flags = field(link, 'flags', 'flags');
    const flagsValue = flags === undefined || flags === null ? undefined : uint32(link, 'flags', 'flags', path);
    const valid =
      traceId !== undefined &&
      traceId.length === TRACE_ID_BYTES &&
      !isZeroId(traceId, 0, TRACE_ID_BYTES) &&
      spanId !== undefined &&
      spanId.length === SPAN_ID_BYTES &&
      !isZeroId(spanId, 0, SPAN_ID_BYTES);
    const mark = w.length;
    w.arrayHeader(6);
    if (valid) {
      w.bin(traceId, 0, TRACE_ID_BYTES);
      w.bin(spanId, 0, SPAN_ID_BYTES);
    }
    this.optionalString(w, traceState, 'link trace_state');
    const attributes = this.attributes(w, link, 'attributes', path, 'link attribute');
    w.uint32((dropped + attributes.empty) >>> 0);
    if (flagsValue === undefined) w.nil();
    else w.uint32(flagsValue);
    // Checked and parsed whole either way, so a malformed link still fails the request.
    if (!valid) w.truncate(mark);
    return valid;
  }

  /** Writes the map of `owner[key]` (a KeyValue list); returns how many were written and how many had an empty value. */
  private attributes(w: MsgpackWriter, owner: Json | undefined, key: string, path: string, what: string): { written: number; empty: number } {
    const items = list(owner, key, key, path);
    const mark = w.beginMap();
    let written = 0;
    for (let i = 0; i < items.length; i++) if (this.keyValue(w, object(items[i], `${path}.${key}[${i}]`), `${path}.${key}[${i}]`, 0, what)) written++;
    w.endMap(mark, written);
    return { written, empty: items.length - written };
  }

  /** Writes key then value; false, writing nothing, when the value is empty (msgpack AnyValue has no null). */
  private keyValue(w: MsgpackWriter, keyValue: Json, path: string, depth: number, what: string): boolean {
    const key = str(keyValue, 'key', 'key', path);
    const value = optionalObject(keyValue, 'value', 'value', path);
    const mark = w.length;
    this.requiredString(w, key, `${what} key`);
    if (value === undefined || !this.anyValue(w, value, `${path}.value`, depth, what)) {
      w.truncate(mark);
      return false;
    }
    return true;
  }

  private anyValue(w: MsgpackWriter, value: Json, path: string, depth: number, what: string): boolean {
    // A oneof: a sender sets one; if several are present the last in protobuf field order wins, as on the wire.
    const bytes = field(value, 'bytesValue', 'bytes_value');
    if (bytes !== undefined && bytes !== null) {
      const decoded = base64(bytes, `${path}.bytesValue`);
      w.bin(decoded, 0, decoded.length);
      return true;
    }
    for (const kvlist of [true, false]) {
      const inner = optionalObject(value, kvlist ? 'kvlistValue' : 'arrayValue', kvlist ? 'kvlist_value' : 'array_value', path);
      if (inner === undefined) continue;
      if (depth >= ATTRIBUTE_NESTING_MAX) throw invalidArgument(`json: ${path}: ${what} value nested over ${ATTRIBUTE_NESTING_MAX} levels; want at most ${ATTRIBUTE_NESTING_MAX}`);
      const items = list(inner, 'values', 'values', path);
      const mark = kvlist ? w.beginMap() : w.beginArray();
      let written = 0;
      for (let i = 0; i < items.length; i++) {
        const itemPath = `${path}.values[${i}]`;
        const item = object(items[i], itemPath);
        if (kvlist ? this.keyValue(w, item, itemPath, depth + 1, what) : this.anyValue(w, item, itemPath, depth + 1, what)) written++;
      }
      if (kvlist) w.endMap(mark, written);
      else w.endArray(mark, written);
      return true;
    }
    const double = field(value, 'doubleValue', 'double_value');
    if (double !== undefined && double !== null) {
      // In a span, always float64, so the batch keeps every bit of the double, -0 included
      // (§7.1); the common section stays msgpack as encodeCommon writes it (§2.4).
      const number = doubleOf(double, `${path}.doubleValue`);
      if (w === this.out.record) w.float64(number);
      else w.number(number);
      return true;
    }
    const int = field(value, 'intValue', 'int_value');
    if (int !== undefined && int !== null) {
      // Out of range is a value the format cannot hold (as invalid UTF-8 is), not a malformed request.
      let v = integer(int, `${path}.intValue`, -UNBOUNDED, UNBOUNDED);
      if (v < INT64_MIN || v > INT64_MAX) {
        this.out.reject(`${what} intValue got ${v}; want an int64`);
        v = 0n;
      }
      w.int64(Number(BigInt.asUintN(32, v)), Number(BigInt.asUintN(32, v >> 32n)));
      return true;
    }
    const bool = field(value, 'boolValue', 'bool_value');
    if (bool !== undefined && bool !== null) {
      if (typeof bool !== 'boolean') throw typeError(`${path}.boolValue`, bool, 'a boolean');
      w.bool(bool);
      return true;
    }
    const string = field(value, 'stringValue', 'string_value');
    if (string !== undefined && string !== null) {
      if (typeof string !== 'string') throw typeError(`${path}.stringValue`, string, 'a string');
      this.requiredString(w, string, `${what} string_value`);
      return true;
    }
    return false;
  }

  /** Parses a hex id into the trailer ids; a wrong length or zeros reject the span. */
  private id(span: Json, camel: string, snake: string, path: string, length: number, at: number, what: string): void {
    const bytes = hexBytes(span, camel, snake, path);
    if (bytes === undefined || bytes.length !== length) this.out.reject(`${what} got ${bytes?.length ?? 0} bytes; want ${length}`);
    else if (isZeroId(bytes, 0, length)) this.out.reject(`${what} got all zeros; want a non-zero id`);
    else this.out.ids.set(bytes, at);
  }

  private difference(w: MsgpackWriter, end: bigint, start: bigint, what: string): void {
    const endLo = Number(end & 0xffff_ffffn);
    const startLo = Number(start & 0xffff_ffffn);
    if (!writeTimeDifference(w, endLo, Number(end >> 32n), startLo, Number(start >> 32n))) this.out.reject(`${what} does not fit an int64`);
  }

  private requiredString(w: MsgpackWriter, value: string, what: string): void {
    if (!w.str(value)) {
      this.out.reject(`${what} has a lone surrogate; want well-formed text`);
      w.str('');
    }
  }

  private optionalString(w: MsgpackWriter, value: string, what: string): void {
    if (value === '') w.nil();
    else this.requiredString(w, value, what);
  }
}


function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Strings are shown (shortened): a bad id or number is easier to find by its text. */
const SHOWN_STRING_CHARS_MAX = 40;

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > SHOWN_STRING_CHARS_MAX ? `${value.slice(0, SHOWN_STRING_CHARS_MAX)}…` : value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function typeError(path: string, value: unknown, want: string): Error {
  return invalidArgument(`json: ${path} got ${kindOf(value)}; want ${want}`);
}

function field(owner: Json | undefined, camel: string, snake: string): unknown {
  if (owner === undefined) return undefined;
  const value = owner[camel];
  return value !== undefined ? value : owner[snake];
}

function object(value: unknown, path: string): Json {
  if (!isObject(value)) throw typeError(path, value, 'an object');
  return value;
}

function optionalObject(owner: Json | undefined, camel: string, snake: string, path: string): Json | undefined {
  const value = field(owner, camel, snake);
  if (value === undefined || value === null) return undefined;
  return object(value, `${path}.${camel}`);
}

function list(owner: Json | undefined, camel: string, snake: string, path: string): unknown[] {
  const value = field(owner, camel, snake);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw typeError(`${path}.${camel}`, value, 'an array');
  return value;
}

function str(owner: Json | undefined, camel: string, snake: string, path: string): string {
  const value = field(owner, camel, snake);
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw typeError(`${path}.${camel}`, value, 'a string');
  return value;
}

/** A protobuf JSON integer: a number without a fraction, or a decimal string. */
function integer(value: unknown, path: string, min: bigint, max: bigint): bigint {
  let parsed: bigint;
  if (typeof value === 'number' && Number.isInteger(value)) parsed = BigInt(value);
  else if (typeof value === 'string' && DECIMAL.test(value)) parsed = BigInt(value);
  else throw typeError(path, value, 'an integer (a number or a decimal string)');
  if (parsed < min || parsed > max) throw invalidArgument(`json: ${path} got ${parsed}; want ${min}..${max}`);
  return parsed;
}

function uint32(owner: Json | undefined, camel: string, snake: string, path: string): number {
  const value = field(owner, camel, snake);
  if (value === undefined || value === null) return 0;
  return Number(integer(value, `${path}.${camel}`, 0n, BigInt(U32_MAX)));
}

function time(owner: Json, camel: string, snake: string, path: string): bigint {
  const value = field(owner, camel, snake);
  if (value === undefined || value === null) return 0n;
  return integer(value, `${path}.${camel}`, 0n, UNIX_NANO_MAX);
}

/** An enum as its integer (or name); out-of-range integers come back for the caller to reject the span. */
function enumValue(owner: Json | undefined, camel: string, snake: string, path: string, names: Record<string, number>): number {
  const value = field(owner, camel, snake);
  if (value === undefined || value === null) return 0;
  if (typeof value === 'string' && Object.hasOwn(names, value)) return names[value]!;
  return Number(integer(value, `${path}.${camel}`, -(U32_LIMIT / 2n), U32_LIMIT / 2n - 1n));
}

function doubleOf(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  throw typeError(path, value, 'a number, a numeric string, "NaN", "Infinity" or "-Infinity"');
}

function base64(value: unknown, path: string): Uint8Array {
  if (typeof value !== 'string' || !BASE64.test(value)) throw typeError(path, value, 'base64 text');
  return Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
}

/** A hex id field as bytes ('' and absent give undefined); anything but hex is a malformed request. */
function hexBytes(owner: Json, camel: string, snake: string, path: string): Uint8Array | undefined {
  const value = field(owner, camel, snake);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length % 2 !== 0 || !HEX.test(value)) {
    throw typeError(`${path}.${camel}`, value, 'hex text (OTLP JSON writes ids in hex, not base64)');
  }
  return Buffer.from(value, 'hex');
}

/** Transcodes one request: see JsonTranscoder. */
export function transcodeJson(body: Uint8Array, limits: TranscodeLimits): TranscodeResult {
  return new JsonTranscoder(limits).transcode(body);
}
