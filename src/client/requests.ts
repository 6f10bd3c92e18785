/**
 * Request headers (data-format.md §6.2), built from the same arguments the embedded API takes and
 * checked the same way before any I/O: a bad id or time bound is ERR_INVALID_ARGUMENT here, never a
 * round trip. Ids go on the wire as bin 16 / bin 8, times as int64 (bigint).
 */
import { SPAN_ID_BYTES, TRACE_ID_BYTES } from '../constants.js';
import { invalidArgument } from '../errors.js';
import { parseSpanId, parseTraceId } from '../batch/ids.js';
import { checkKnownKeys } from '../known-keys.js';
import {
  GET_SPAN_OPTION_KEYS,
  TRACE_QUERY_KEYS,
  boundsOf,
  isTraceQuery,
  readOptionsOf,
  type AppendResult,
  type RawSpan,
  type ReadOptions,
  type RemoteStats,
  type Span,
  type SpanIdInput,
  type TimeBoundsInput,
  type Trace,
  type TraceIdInput,
  type TraceQuery,
} from '../api/index.js';
import { Opcode } from '../protocol/frame.js';
import {
  AppendReader,
  EmptyReader,
  type Header,
  type ResultReader,
  SpanReader,
  StatsReader,
  TraceReader,
  TracesReader,
} from './responses.js';

export interface WireRequest<T> {
  /** Names the call in error messages. */
  what: string;
  opcode: number;
  header: Header;
  payload?: Uint8Array;
  /** Whether sending it twice is harmless: every request but APPEND. */
  idempotent: boolean;
  /** A fresh reader per attempt. */
  reader(): ResultReader<T>;
}

export function appendRequest(batch: Uint8Array): WireRequest<AppendResult> {
  if (!(batch instanceof Uint8Array)) throw invalidArgument(`append(batch): got ${typeof batch}; want a Uint8Array from BatchEncoder.finish()`);
  return { what: 'append', opcode: Opcode.APPEND, header: {}, payload: batch, idempotent: false, reader: () => new AppendReader() };
}

export function getSpanRequest(traceId: TraceIdInput, spanId: SpanIdInput, options?: Pick<ReadOptions, 'timeoutMs'>): WireRequest<Span | null> {
  readOptionsOf(options, GET_SPAN_OPTION_KEYS);
  const header = { traceId: traceIdBytes(traceId, 'traceId'), spanId: spanIdBytes(spanId, 'spanId') };
  return { what: 'getSpan', opcode: Opcode.GET_SPAN, header, idempotent: true, reader: () => new SpanReader() };
}

export function getTraceRequest(traceId: TraceIdInput, options: ReadOptions): WireRequest<Trace<Span | RawSpan> | null> {
  const header = { traceId: traceIdBytes(traceId, 'traceId'), ...wireBounds(options, 'options'), ...rawFlag(options) };
  return { what: 'getTrace', opcode: Opcode.GET_TRACE, header, idempotent: true, reader: () => new TraceReader() };
}

export function getTracesRequest(ids: readonly (TraceIdInput | TraceQuery)[], options: ReadOptions): WireRequest<(Trace<Span | RawSpan> | null)[]> {
  if (!Array.isArray(ids)) throw invalidArgument('getTraces(traceIds): want an array of trace ids');
  const callBounds = wireBounds(options, 'options');
  const wireIds = ids.map((item, i) => {
    const what = `traceIds[${i}]`;
    if (!isTraceQuery(item)) return traceIdBytes(item, what);
    checkKnownKeys(item, TRACE_QUERY_KEYS, what);
    return { traceId: traceIdBytes(item.traceId, `${what}.traceId`), ...wireBounds(item, what) };
  });
  const header = { ids: wireIds, ...callBounds, ...rawFlag(options) };
  return { what: 'getTraces', opcode: Opcode.GET_TRACES, header, idempotent: true, reader: () => new TracesReader(ids.length) };
}

export function statsRequest(): WireRequest<RemoteStats> {
  return { what: 'stats', opcode: Opcode.STATS, header: {}, idempotent: true, reader: () => new StatsReader() };
}

export function pingRequest(): WireRequest<void> {
  return { what: 'ping', opcode: Opcode.PING, header: {}, idempotent: true, reader: () => new EmptyReader() };
}

export { readOptionsOf };

function traceIdBytes(input: TraceIdInput, what: string): Uint8Array {
  const id = new Uint8Array(TRACE_ID_BYTES);
  parseTraceId(input, id, 0, what);
  return id;
}

function spanIdBytes(input: SpanIdInput, what: string): Uint8Array {
  const id = new Uint8Array(SPAN_ID_BYTES);
  parseSpanId(input, id, 0, what);
  return id;
}

/** Validates the bounds exactly as the store does, then sends only the ones given (absent means unbounded). */
function wireBounds(input: TimeBoundsInput, what: string): TimeBoundsInput {
  boundsOf(input, what);
  const out: TimeBoundsInput = {};
  if (input.startTimeUnixNano !== undefined) out.startTimeUnixNano = input.startTimeUnixNano;
  if (input.endTimeUnixNano !== undefined) out.endTimeUnixNano = input.endTimeUnixNano;
  return out;
}

function rawFlag(options: ReadOptions): { raw?: true } {
  return options.raw === true ? { raw: true } : {};
}
