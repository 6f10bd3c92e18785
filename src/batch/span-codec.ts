/**
 * The span record (data-format.md §2.5): one msgpack array per span, without the traceId, spanId
 * and start time, which live in the span's trailer entry.
 *
 * Encoding checks every field of the caller's span first (ERR_INVALID_ARGUMENT naming the field),
 * so msgpackr only ever sees values of the documented types. Decoding checks every field of
 * msgpackr's output and throws ERR_SPAN_CORRUPT for anything else: a decoded Span is always
 * well-typed, whatever the bytes were.
 *
 * Normalizations (the only ways a decoded span differs from its input): ids become lowercase hex;
 * absent optional numbers and lists take their defaults; a status message '' is the same as none
 * (OTLP cannot tell them apart); a number attribute -0 comes back as 0.
 */
import { SPAN_ID_BYTES, SPAN_RECORD_BYTES_MAX, TRACE_ID_BYTES, UNIX_NANO_MAX } from '../constants.js';
import { TraceKvError, invalidArgument } from '../errors.js';
import type {
  Attributes,
  Resource,
  Scope,
  Span,
  SpanEvent,
  SpanEventInput,
  SpanInput,
  SpanLink,
  SpanLinkInput,
  SpanStatus,
} from './types.js';
import { type CorruptError, NO_ATTRIBUTES, checkAttributes, decodeAttributes, hasAttributes } from './attributes.js';
import {
  checkArray,
  decodeInt64,
  decodeOptionalString,
  decodeOptionalU32,
  decodeString,
  decodeU32,
  messageOf,
} from './decode-checks.js';
import { bytesToHex, isZeroId, parseSpanId, parseTraceId } from './ids.js';
import {
  INT64_MAX,
  INT64_MIN,
  checkObject,
  checkOptionalString,
  checkString,
  checkU32,
  checkUnixNano,
  describe,
  fail,
  u32OrZero,
} from './input-checks.js';
import { checkEventKeys, checkLinkKeys, checkSpanKeys, checkStatusKeys } from './input-keys.js';
import { isBin, packTransient, unpackOne } from './msgpack.js';

/** Array length of a span record in format version 1. */
const RECORD_FIELDS = 13;
const EVENT_FIELDS = 4;
const LINK_FIELDS = 6;
const STATUS_FIELDS = 2;
/** OTLP SpanKind values are 0 (UNSPECIFIED) to 5 (CONSUMER). */
const SPAN_KIND_MAX = 5;
/** OTLP StatusCode values are 0 (UNSET) to 2 (ERROR). */
const STATUS_CODE_MAX = 2;
/** Durations inside this range are written as a number (1–5 bytes) rather than a 9-byte int64. */
const COMPACT_INT_MIN = -(2n ** 31n);
const COMPACT_INT_MAX = 2n ** 32n - 1n;

// ---------------------------------------------------------------------------------------------
// Encode
// ---------------------------------------------------------------------------------------------

/** Validates `span` and returns its record bytes (a fresh copy). */
export function encodeSpanRecord(span: SpanInput): Uint8Array {
  // Buffer#slice would alias msgpackr's reusable buffer; this copies.
  return new Uint8Array(packSpanRecord(span));
}

/**
 * Validates `span` and returns its record bytes in msgpackr's reusable buffer, valid until the
 * next encode: the batch encoder copies them straight into its spans buffer.
 */
export function packSpanRecord(span: SpanInput): Uint8Array {
  const packed = packTransient(spanRecordFields(span));
  if (packed.length > SPAN_RECORD_BYTES_MAX) {
    throw invalidArgument(`span: encoded record got ${packed.length} bytes; want ≤ ${SPAN_RECORD_BYTES_MAX}`);
  }
  return packed;
}

/** The §2.5 array for `span`, trailing defaults omitted. */
function spanRecordFields(span: SpanInput): unknown[] {
  checkObject(span, 'span');
  checkSpanKeys(span);
  let parentSpanId: Uint8Array | null = null;
  if (span.parentSpanId !== undefined) {
    parentSpanId = new Uint8Array(SPAN_ID_BYTES);
    parseSpanId(span.parentSpanId, parentSpanId, 0, 'span.parentSpanId');
  }
  const checked = newCheckedSpanFields();
  checkSpanFields(span, checked);
  const events = encodeEvents(span.events, checked.start);
  const links = encodeLinks(span.links);
  const { statusCode, statusMessage } = checked;
  const status = statusCode === 0 && statusMessage === '' ? null : [statusCode, statusMessage];

  const fields: unknown[] = [
    span.name,
    checked.kind,
    parentSpanId,
    compactInt(checked.duration),
    checked.attributes,
    checked.droppedAttributes,
    events,
    checked.droppedEvents,
    links,
    checked.droppedLinks,
    status,
    span.traceState ?? null,
    span.flags ?? null,
  ];
  let length = RECORD_FIELDS;
  while (length > 1 && isDefaultField(fields, length - 1)) length--;
  fields.length = length;
  return fields;
}

/** Whether field `index` holds its §2.5 default, so that it may be left off the end. */
function isDefaultField(fields: unknown[], index: number): boolean {
  const value = fields[index];
  switch (index) {
    case 4:
      return !hasAttributes(value as Attributes);
    case 6:
    case 8:
      return (value as unknown[]).length === 0;
    case 1:
    case 3:
    case 5:
    case 7:
    case 9:
      return value === 0;
    default:
      // parentSpanId, status, traceState, flags: only nil is the default (flags 0 is a value).
      return value === null;
  }
}

function encodeEvents(events: SpanEventInput[] | undefined, start: bigint): unknown[] {
  if (events === undefined) return [];
  if (!Array.isArray(events)) fail('span.events', events, 'an array');
  return events.map((event: SpanEventInput, i) => [
    compactInt(checkedEvent(event, i, start)),
    event.name,
    event.attributes ?? NO_ATTRIBUTES,
    event.droppedAttributesCount ?? 0,
  ]);
}

function encodeLinks(links: SpanLinkInput[] | undefined): unknown[] {
  if (links === undefined) return [];
  if (!Array.isArray(links)) fail('span.links', links, 'an array');
  return links.map((link: SpanLinkInput, i) => {
    const ids = new Uint8Array(TRACE_ID_BYTES + SPAN_ID_BYTES);
    checkLink(link, i, ids);
    return [
      ids.slice(0, TRACE_ID_BYTES),
      ids.slice(TRACE_ID_BYTES),
      link.traceState ?? null,
      link.attributes ?? NO_ATTRIBUTES,
      link.droppedAttributesCount ?? 0,
      link.flags ?? null,
    ];
  });
}

// The checks of the span fields below are shared by both batch versions' encoders (this file's
// records and columnar-encoder.ts), so a span is valid or not by one rule.

/**
 * The span fields both encoders check alike, as checkSpanFields leaves them. The columnar encoder
 * keeps one and refills it per span, so its hot path allocates nothing for them.
 */
export interface CheckedSpanFields {
  kind: number;
  start: bigint;
  /** endTimeUnixNano − startTimeUnixNano, an int64. */
  duration: bigint;
  attributes: Attributes;
  droppedAttributes: number;
  droppedEvents: number;
  droppedLinks: number;
  statusCode: SpanStatus['code'];
  statusMessage: string;
}

export function newCheckedSpanFields(): CheckedSpanFields {
  return { kind: 0, start: 0n, duration: 0n, attributes: NO_ATTRIBUTES, droppedAttributes: 0, droppedEvents: 0, droppedLinks: 0, statusCode: 0, statusMessage: '' };
}

/**
 * Checks every field of `span` that both encoders take the same way (name, kind, times,
 * attributes, dropped counts, status, traceState, flags) and fills `into`. The span object and its
 * keys, its ids, events and links are each encoder's own: they are written differently.
 */
export function checkSpanFields(span: SpanInput, into: CheckedSpanFields): void {
  checkString(span.name, 'span.name');
  into.kind = checkedKind(span.kind);
  const start = span.startTimeUnixNano;
  checkUnixNano(start, 'span.startTimeUnixNano');
  checkUnixNano(span.endTimeUnixNano, 'span.endTimeUnixNano');
  into.start = start;
  into.duration = checkedOffset(span.endTimeUnixNano - start, 'span.endTimeUnixNano − span.startTimeUnixNano');
  into.attributes = checkAttributes(span.attributes, 'span.attributes');
  into.droppedAttributes = u32OrZero(span.droppedAttributesCount, 'span.droppedAttributesCount');
  into.droppedEvents = u32OrZero(span.droppedEventsCount, 'span.droppedEventsCount');
  into.droppedLinks = u32OrZero(span.droppedLinksCount, 'span.droppedLinksCount');
  const [statusCode, statusMessage] = checkedStatus(span.status);
  into.statusCode = statusCode;
  into.statusMessage = statusMessage;
  checkOptionalString(span.traceState, 'span.traceState');
  if (span.flags !== undefined) checkU32(span.flags, 'span.flags');
}

/** span.kind, absent as 0: an OTLP SpanKind. */
export function checkedKind(kind: unknown): number {
  const value = kind ?? 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > SPAN_KIND_MAX) fail('span.kind', value, `an integer in [0, ${SPAN_KIND_MAX}]`);
  return value;
}

/** span.status as its code and message: UNSET and '' when absent. */
export function checkedStatus(status: SpanStatus | undefined): [SpanStatus['code'], string] {
  if (status === undefined) return [0, ''];
  checkObject(status, 'span.status');
  checkStatusKeys(status);
  const code: unknown = status.code;
  if (code !== 0 && code !== 1 && code !== 2) fail('span.status.code', code, '0 (UNSET), 1 (OK) or 2 (ERROR)');
  checkOptionalString(status.message, 'span.status.message');
  return [code, status.message ?? ''];
}

/** Checks span.events[i]; returns its time less the span's start, an int64. */
export function checkedEvent(event: SpanEventInput, i: number, start: bigint): bigint {
  const what = `span.events[${i}]`;
  checkObject(event, what);
  checkEventKeys(event, what);
  checkUnixNano(event.timeUnixNano, `${what}.timeUnixNano`);
  const offset = checkedOffset(event.timeUnixNano - start, `${what}.timeUnixNano − span.startTimeUnixNano`);
  checkString(event.name, `${what}.name`);
  checkAttributes(event.attributes, `${what}.attributes`);
  u32OrZero(event.droppedAttributesCount, `${what}.droppedAttributesCount`);
  return offset;
}

/** Checks span.links[i], its trace id parsed into ids[0, 16) and its span id into ids[16, 24). */
export function checkLink(link: SpanLinkInput, i: number, ids: Uint8Array): void {
  const what = `span.links[${i}]`;
  checkObject(link, what);
  checkLinkKeys(link, what);
  parseTraceId(link.traceId, ids, 0, `${what}.traceId`);
  parseSpanId(link.spanId, ids, TRACE_ID_BYTES, `${what}.spanId`);
  checkOptionalString(link.traceState, `${what}.traceState`);
  checkAttributes(link.attributes, `${what}.attributes`);
  u32OrZero(link.droppedAttributesCount, `${what}.droppedAttributesCount`);
  if (link.flags !== undefined) checkU32(link.flags, `${what}.flags`);
}

/** An int64 difference of two times (a duration, an event's offset), or ERR_INVALID_ARGUMENT naming `what`. */
export function checkedOffset(value: bigint, what: string): bigint {
  if (value < INT64_MIN || value > INT64_MAX) fail(what, value, 'a difference within int64');
  return value;
}

/** msgpackr writes integral numbers up to u32/i32 in 1–5 bytes but larger ones as float64, so those stay bigint (0xd3). */
function compactInt(value: bigint): number | bigint {
  return value >= COMPACT_INT_MIN && value <= COMPACT_INT_MAX ? Number(value) : value;
}

// ---------------------------------------------------------------------------------------------
// Decode
// ---------------------------------------------------------------------------------------------

const spanCorrupt: CorruptError = (message) => new TraceKvError('ERR_SPAN_CORRUPT', `span record: ${message}`);

/**
 * Decodes one record. The ids and start time come from the span's trailer entry; `resource` and
 * `scope` are attached by reference, so all spans of a batch share the same two objects.
 */
export function decodeSpanRecord(
  bytes: Uint8Array,
  traceIdHex: string,
  spanIdHex: string,
  startTimeUnixNano: bigint,
  resource: Resource,
  scope: Scope,
): Span {
  let value: unknown;
  try {
    value = unpackOne(bytes);
  } catch (error) {
    throw new TraceKvError('ERR_SPAN_CORRUPT', `span record: not one msgpack value (${messageOf(error)})`, { cause: error });
  }
  const fields = checkArray(value, 'record', 1, RECORD_FIELDS, spanCorrupt);
  const start = startTimeUnixNano;
  const name = decodeString(fields[0], 'name', spanCorrupt);
  const kind = decodeU32(fields[1], 'kind', spanCorrupt);
  if (kind > SPAN_KIND_MAX) throw spanCorrupt(`kind: got ${kind}; want ≤ ${SPAN_KIND_MAX}`);
  const parentSpanId = decodeOptionalId(fields[2], 'parentSpanId', SPAN_ID_BYTES);
  const end = decodedTime(start, decodeInt64(fields[3], 'duration', spanCorrupt), 'endTimeUnixNano');

  const span: Span = {
    traceId: traceIdHex,
    spanId: spanIdHex,
    name,
    kind,
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    attributes: fields[4] === undefined ? {} : decodeAttributes(fields[4], 'attributes', spanCorrupt),
    droppedAttributesCount: decodeU32(fields[5], 'droppedAttributesCount', spanCorrupt),
    events: decodeEvents(fields[6], start),
    droppedEventsCount: decodeU32(fields[7], 'droppedEventsCount', spanCorrupt),
    links: decodeLinks(fields[8]),
    droppedLinksCount: decodeU32(fields[9], 'droppedLinksCount', spanCorrupt),
    status: decodeStatus(fields[10]),
    resource,
    scope,
  };
  if (parentSpanId !== undefined) span.parentSpanId = parentSpanId;
  const traceState = decodeOptionalString(fields[11], 'traceState', spanCorrupt);
  if (traceState !== undefined) span.traceState = traceState;
  const flags = decodeOptionalU32(fields[12], 'flags', spanCorrupt);
  if (flags !== undefined) span.flags = flags;
  return span;
}

function decodeEvents(value: unknown, start: bigint): SpanEvent[] {
  if (value === undefined) return [];
  const items = checkArray(value, 'events', 0, Number.MAX_SAFE_INTEGER, spanCorrupt);
  const events = new Array<SpanEvent>(items.length);
  for (let i = 0; i < items.length; i++) {
    const what = `events[${i}]`;
    const fields = checkArray(items[i], what, EVENT_FIELDS, EVENT_FIELDS, spanCorrupt);
    const offset = decodeInt64(fields[0], `${what}.timeOffsetNano`, spanCorrupt);
    events[i] = {
      timeUnixNano: decodedTime(start, offset, `${what}.timeUnixNano`),
      name: decodeString(fields[1], `${what}.name`, spanCorrupt),
      attributes: decodeAttributes(fields[2], `${what}.attributes`, spanCorrupt),
      droppedAttributesCount: decodeU32(fields[3], `${what}.droppedAttributesCount`, spanCorrupt),
    };
  }
  return events;
}

function decodeLinks(value: unknown): SpanLink[] {
  if (value === undefined) return [];
  const items = checkArray(value, 'links', 0, Number.MAX_SAFE_INTEGER, spanCorrupt);
  const links = new Array<SpanLink>(items.length);
  for (let i = 0; i < items.length; i++) {
    const what = `links[${i}]`;
    const fields = checkArray(items[i], what, LINK_FIELDS, LINK_FIELDS, spanCorrupt);
    const traceId = decodeOptionalId(fields[0], `${what}.traceId`, TRACE_ID_BYTES);
    const spanId = decodeOptionalId(fields[1], `${what}.spanId`, SPAN_ID_BYTES);
    if (traceId === undefined || spanId === undefined) throw spanCorrupt(`${what}: got a nil id; want bin`);
    const link: SpanLink = {
      traceId,
      spanId,
      attributes: decodeAttributes(fields[3], `${what}.attributes`, spanCorrupt),
      droppedAttributesCount: decodeU32(fields[4], `${what}.droppedAttributesCount`, spanCorrupt),
    };
    const traceState = decodeOptionalString(fields[2], `${what}.traceState`, spanCorrupt);
    if (traceState !== undefined) link.traceState = traceState;
    const flags = decodeOptionalU32(fields[5], `${what}.flags`, spanCorrupt);
    if (flags !== undefined) link.flags = flags;
    links[i] = link;
  }
  return links;
}

function decodeStatus(value: unknown): SpanStatus {
  if (value === undefined || value === null) return { code: 0 };
  const fields = checkArray(value, 'status', STATUS_FIELDS, STATUS_FIELDS, spanCorrupt);
  const code = decodeU32(fields[0], 'status.code', spanCorrupt);
  if (code > STATUS_CODE_MAX) throw spanCorrupt(`status.code: got ${code}; want ≤ ${STATUS_CODE_MAX}`);
  const message = decodeString(fields[1], 'status.message', spanCorrupt);
  const status: SpanStatus = { code: code as SpanStatus['code'] };
  if (message !== '') status.message = message;
  return status;
}

/** A "bin N / nil" id as lowercase hex; all-zero is corrupt because the encoder never writes it. */
function decodeOptionalId(value: unknown, what: string, idBytes: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isBin(value) || value.length !== idBytes) {
    throw spanCorrupt(`${what}: got ${describe(value)}; want bin ${idBytes}`);
  }
  if (isZeroId(value, 0, idBytes)) throw spanCorrupt(`${what}: got all zeros; want a non-zero id`);
  return bytesToHex(value, 0, idBytes);
}

function decodedTime(start: bigint, offset: bigint, what: string): bigint {
  const time = start + offset;
  if (time < 0n || time > UNIX_NANO_MAX) throw spanCorrupt(`${what}: got ${time}; want a u64`);
  return time;
}
