/**
 * How traces look on the command line, both ways: spans printed as JSON, ndjson or an indented
 * tree (`get`, `dump`), and the trace ids, times and daemon addresses the commands parse.
 *
 * Span JSON is lossless and greppable: ids as lowercase hex, every time twice (the raw UnixNano as
 * a decimal string, and ISO-8601 with nanoseconds), bigints as decimal strings and bytes as hex
 * (output.ts toJson's conventions), resource and scope on every span so each ndjson line stands
 * alone.
 */
import { InvalidArgumentError } from 'commander';
import { UNIX_NANO_MAX } from '../constants.js';
import type { AttributeValue, Attributes, RawSpan, Resource, Scope, Span, SpanEvent, SpanLink } from '../batch/types.js';
import type { Trace } from '../api/index.js';
import { formatTime } from './output.js';

export const TRACE_FORMATS = ['json', 'ndjson', 'tree'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

/** Indentation per tree level: two spaces keep deep traces readable at 80 columns. */
const TREE_INDENT = '  ';
const STATUS_ERROR = 2;

const NANOS_PER_MICRO = 1_000;
const NANOS_PER_MILLI = 1_000_000;
const NANOS_PER_SECOND = 1_000_000_000;

// ---- span JSON ------------------------------------------------------------------------------
// The objects built here are already JSON-safe (no bigint, no bytes), so ndjson lines use plain
// JSON.stringify: toJson's replacer, called for every value, was most of `dump`'s CPU.

/** toJson's conventions for one attribute value: bigint as a decimal string, bytes as hex. */
function jsonSafeValue(value: AttributeValue): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  if (Array.isArray(value)) return value.map(jsonSafeValue);
  if (typeof value === 'object' && value !== null) return jsonSafeAttributes(value);
  return value;
}

/** The same object when nothing needs converting (the common case: strings, numbers, booleans). */
function jsonSafeAttributes(attributes: Attributes): unknown {
  const keys = Object.keys(attributes);
  if (keys.every((key) => typeof attributes[key] !== 'object' && typeof attributes[key] !== 'bigint')) return attributes;
  // A null prototype keeps a "__proto__" attribute an ordinary key.
  const safe = Object.create(null) as Record<string, unknown>;
  for (const key of keys) safe[key] = jsonSafeValue(attributes[key]!);
  return safe;
}

function eventToJson(event: SpanEvent): Record<string, unknown> {
  return {
    timeUnixNano: event.timeUnixNano.toString(),
    time: formatTime(event.timeUnixNano),
    name: event.name,
    attributes: jsonSafeAttributes(event.attributes),
    droppedAttributesCount: event.droppedAttributesCount,
  };
}

function linkToJson(link: SpanLink): Record<string, unknown> {
  return {
    traceId: link.traceId,
    spanId: link.spanId,
    ...(link.traceState !== undefined && { traceState: link.traceState }),
    attributes: jsonSafeAttributes(link.attributes),
    droppedAttributesCount: link.droppedAttributesCount,
    ...(link.flags !== undefined && { flags: link.flags }),
  };
}

function resourceOrScopeToJson(common: Resource | Scope): Record<string, unknown> {
  return { ...common, attributes: jsonSafeAttributes(common.attributes) };
}

/** A decoded span without its resource and scope; key order is the order printed. */
function spanFieldsToJson(span: Span): Record<string, unknown> {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId !== undefined && { parentSpanId: span.parentSpanId }),
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    startTime: formatTime(span.startTimeUnixNano),
    endTimeUnixNano: span.endTimeUnixNano.toString(),
    endTime: formatTime(span.endTimeUnixNano),
    attributes: jsonSafeAttributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map(eventToJson),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map(linkToJson),
    droppedLinksCount: span.droppedLinksCount,
    status: span.status,
    ...(span.traceState !== undefined && { traceState: span.traceState }),
    ...(span.flags !== undefined && { flags: span.flags }),
  };
}

/** A decoded span as a JSON-safe object, resource and scope last. */
export function spanToJson(span: Span): Record<string, unknown> {
  return { ...spanFieldsToJson(span), resource: resourceOrScopeToJson(span.resource), scope: resourceOrScopeToJson(span.scope) };
}

/**
 * A span as stored (`--raw`): its trailer fields, and the record bytes as hex (version 1) or its
 * batch (an index into the trace's `batches`) and row (version 2).
 */
export function rawSpanToJson(span: RawSpan): Record<string, unknown> {
  const stored = 'bytes' in span ? { bytes: hexOf(span.bytes) } : { batch: span.batch, row: span.row };
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    startTime: formatTime(span.startTimeUnixNano),
    ...stored,
  };
}

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function isRawSpan(span: Span | RawSpan): span is RawSpan {
  return 'bytes' in span || 'row' in span;
}

function anySpanToJson(span: Span | RawSpan): Record<string, unknown> {
  return isRawSpan(span) ? rawSpanToJson(span) : spanToJson(span);
}

/** `--format json`: the whole trace, pretty-printed. */
export function formatTraceJson(trace: Trace<Span | RawSpan>): string {
  const body = {
    traceId: trace.traceId,
    ...(trace.partial === true && { partial: true, partialReason: trace.partialReason }),
    spanCount: trace.spans.length,
    spans: trace.spans.map(anySpanToJson),
    ...(trace.batches !== undefined && { batches: trace.batches.map(hexOf) }),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** `--format ndjson --raw`: one line per version-2 batch a raw trace's rows point into, before the span lines. */
export function formatBatchLines(batches: readonly Uint8Array[] | undefined): string {
  return (batches ?? []).map((bytes, batch) => `${JSON.stringify({ batch, bytes: hexOf(bytes) })}\n`).join('');
}

/**
 * One compact JSON line per span (`--format ndjson`, `dump`). The spans of one batch share their
 * resource and scope objects, so each is serialized once per call, not once per span.
 */
export function formatSpanLines(spans: readonly (Span | RawSpan)[]): string {
  const serialized = new Map<Resource | Scope, string>();
  const commonJson = (common: Resource | Scope): string => {
    let json = serialized.get(common);
    if (json === undefined) serialized.set(common, (json = JSON.stringify(resourceOrScopeToJson(common))));
    return json;
  };
  let text = '';
  for (const span of spans) {
    if (isRawSpan(span)) {
      text += `${JSON.stringify(rawSpanToJson(span))}\n`;
      continue;
    }
    const fields = JSON.stringify(spanFieldsToJson(span));
    text += `${fields.slice(0, -1)},"resource":${commonJson(span.resource)},"scope":${commonJson(span.scope)}}\n`;
  }
  return text;
}

// ---- tree -----------------------------------------------------------------------------------

/** Three significant digits, like formatBytes: `12.3 ms`, `123 µs`, `1.00 s`. */
export function formatDuration(nanos: bigint): string {
  if (nanos < 0n) return `-${formatDuration(-nanos)}`;
  const n = Number(nanos);
  if (n < NANOS_PER_MICRO) return `${n} ns`;
  if (n < NANOS_PER_MILLI) return `${threeDigits(n / NANOS_PER_MICRO)} µs`;
  if (n < NANOS_PER_SECOND) return `${threeDigits(n / NANOS_PER_MILLI)} ms`;
  return `${threeDigits(n / NANOS_PER_SECOND)} s`;
}

function threeDigits(value: number): string {
  return value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2);
}

function serviceOf(span: Span): string {
  const service: AttributeValue | undefined = span.resource.attributes['service.name'];
  return typeof service === 'string' ? service : '?';
}

function treeLine(span: Span, depth: number, missingParent: boolean): string {
  // An empty name would read as extra indentation.
  let line = `${TREE_INDENT.repeat(depth)}${span.name === '' ? '(unnamed)' : span.name}  service=${serviceOf(span)}  ${formatDuration(span.endTimeUnixNano - span.startTimeUnixNano)}`;
  if (span.status.code === STATUS_ERROR) line += '  status=ERROR';
  line += `  span=${span.spanId}`;
  if (missingParent) line += `  parent=${span.parentSpanId} (not in trace)`;
  return `${line}\n`;
}

function byStartTime(a: Span, b: Span): number {
  return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0;
}

/**
 * `--format tree`: each span under its parent (by parentSpanId), two spaces per level, siblings by
 * start time (ties in storage order). Spans whose parent is not in the trace are roots, marked.
 * Spans sharing one span id (Zipkin's shared client/server spans) nest in start order, and the
 * last of them takes the id's children, as in Zipkin's own view. Every span is printed exactly
 * once, even under a parent cycle (what no root reaches is printed as further roots).
 */
export function formatTraceTree(spans: readonly Span[]): string {
  const ordered = [...spans].sort(byStartTime); // Array.prototype.sort is stable: ties keep storage order.
  const sharingId = new Map<string, Span[]>();
  /** The span before this one with the same span id: its parent in the tree. */
  const sharedParent = new Map<Span, Span>();
  for (const span of ordered) {
    const group = sharingId.get(span.spanId);
    if (group === undefined) {
      sharingId.set(span.spanId, [span]);
    } else {
      sharedParent.set(span, group[group.length - 1]!);
      group.push(span);
    }
  }
  const children = new Map<Span, Span[]>();
  const roots: Span[] = [];
  for (const span of ordered) {
    const parentGroup = span.parentSpanId === undefined ? undefined : sharingId.get(span.parentSpanId);
    const parent = sharedParent.get(span) ?? parentGroup?.[parentGroup.length - 1];
    if (parent === undefined) {
      roots.push(span);
      continue;
    }
    const siblings = children.get(parent);
    if (siblings === undefined) children.set(parent, [span]);
    else siblings.push(span);
  }
  const printed = new Set<Span>();
  let text = '';
  for (const start of [...roots, ...ordered]) {
    if (printed.has(start)) continue;
    // Iterative depth-first walk: a deep trace must not overflow the call stack.
    const stack: { span: Span; depth: number }[] = [{ span: start, depth: 0 }];
    while (stack.length > 0) {
      const { span, depth } = stack.pop()!;
      if (printed.has(span)) continue;
      printed.add(span);
      const missingParent = span.parentSpanId !== undefined && !sharingId.has(span.parentSpanId);
      text += treeLine(span, depth, missingParent);
      const below = children.get(span) ?? [];
      for (let i = below.length - 1; i >= 0; i--) stack.push({ span: below[i]!, depth: depth + 1 });
    }
  }
  return text;
}

// ---- arguments ------------------------------------------------------------------------------

const TRACE_ID_HEX = /^[0-9a-f]{32}$/;
/** 64-bit trace ids (Zipkin, older Jaeger) are stored left-padded to 128 bits, as zipkin.ts does. */
const TRACE_ID_HEX_64 = /^[0-9a-f]{16}$/;

/** A trace id argument: 32 hex characters, or 16 (left-padded with zeros), either case. */
export function parseTraceIdArg(text: string): string {
  const id = text.trim().toLowerCase();
  if (TRACE_ID_HEX.test(id)) return id;
  if (TRACE_ID_HEX_64.test(id)) return id.padStart(32, '0');
  throw new InvalidArgumentError(`got "${text}"; want 32 hex characters (or 16, left-padded with zeros)`);
}

const UNIX_NANO = /^\d+$/;
/** ISO-8601 split into everything up to the seconds, the fraction (after seconds only), and the zone. */
const ISO_TIME = /^(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?)(?:(?<=:\d{2}:\d{2})\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A time argument: an integer UnixNano, or ISO-8601 with up to nanosecond precision
 * (`2023-11-14T22:13:20.123456789Z`). Without a zone, JavaScript's rules apply: a date alone is
 * UTC, a date-time is local time.
 */
export function parseTimeArg(text: string): bigint {
  const trimmed = text.trim();
  if (UNIX_NANO.test(trimmed)) {
    const value = BigInt(trimmed);
    if (value > UNIX_NANO_MAX) throw new InvalidArgumentError(`got ${text}; want a UnixNano time below 2^64`);
    return value;
  }
  const match = ISO_TIME.exec(trimmed);
  // Date.parse keeps milliseconds only, so the fraction is parsed here, to the nanosecond.
  const ms = match === null ? NaN : Date.parse(`${match[1]}${match[3] ?? ''}`);
  if (match === null || Number.isNaN(ms) || ms < 0) {
    throw new InvalidArgumentError(`got "${text}"; want ISO-8601 (2023-11-14T22:13:20.5Z) or an integer UnixNano`);
  }
  const fractionNanos = BigInt((match[2] ?? '').padEnd(9, '0'));
  return BigInt(ms) * 1_000_000n + fractionNanos;
}

/** `host:port`, or `[ipv6]:port`. */
export function parseAddressArg(text: string): { host: string; port: number } {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new InvalidArgumentError(`got "${text}"; want host:port with a port from 1 to 65535`);
  }
  return { host: match[1]!, port };
}

/** The daemon token, from the environment only: a flag would show in `ps`. */
export function tokenFromEnv(env: NodeJS.ProcessEnv): { token?: string } {
  const token = env.TRACEKV_TOKEN;
  return token !== undefined && token !== '' ? { token } : {};
}
