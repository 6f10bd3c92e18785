/**
 * What each request opcode does (data-format.md §6.2): check the header's fields, call the store,
 * and shape the response. Bad fields are ERR_INVALID_ARGUMENT naming the field; the connection
 * stays open. The reads (GET_SPAN, GET_TRACE, GET_TRACES) go through handleRead, which times each
 * one into the daemon's lookup metrics (§8.6) next to the query servers' lookups.
 */
import { Packr } from 'msgpackr';
import { STREAM_FRAME_BYTES_TARGET } from '../constants.js';
import { TraceKvError, invalidArgument } from '../errors.js';
import type { EmbeddedTraceStoreApi, ReadOptions, TraceIdInput, TraceQuery } from '../api/index.js';
import { Opcode } from '../protocol/frame.js';
import type { LookupObserver } from '../query/index.js';

export type Header = Record<string, unknown>;

/** Sends one response frame; `more` marks a streamed response that continues. */
export type Respond = (header: Header, more: boolean) => void;

const sizer = new Packr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true });

function idField(value: unknown, field: string): TraceIdInput {
  if (value instanceof Uint8Array || typeof value === 'string') return value;
  throw invalidArgument(`${field}: got ${value === null ? 'nil' : typeof value}; want bin or hex str`);
}

/** Times arrive as int64 (bigint); a small one packed as a plain integer is accepted too. */
function timeField(value: unknown, field: string): bigint | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  throw invalidArgument(`${field}: got ${typeof value}; want an int64 time in UnixNano`);
}

function readOptions(header: Header): ReadOptions {
  const options: ReadOptions = {};
  const start = timeField(header.startTimeUnixNano, 'startTimeUnixNano');
  const end = timeField(header.endTimeUnixNano, 'endTimeUnixNano');
  if (start !== undefined) options.startTimeUnixNano = start;
  if (end !== undefined) options.endTimeUnixNano = end;
  if (header.raw !== undefined && header.raw !== null) {
    if (typeof header.raw !== 'boolean') throw invalidArgument(`raw: got ${typeof header.raw}; want bool`);
    options.raw = header.raw;
  }
  return options;
}

function queryOf(item: unknown, i: number): TraceIdInput | TraceQuery {
  if (item instanceof Uint8Array || typeof item === 'string') return item;
  if (typeof item !== 'object' || item === null) throw invalidArgument(`ids[${i}]: want bin, hex str or a map with traceId`);
  const map = item as Header;
  const query: TraceQuery = { traceId: idField(map.traceId, `ids[${i}].traceId`) };
  const start = timeField(map.startTimeUnixNano, `ids[${i}].startTimeUnixNano`);
  const end = timeField(map.endTimeUnixNano, `ids[${i}].endTimeUnixNano`);
  if (start !== undefined) query.startTimeUnixNano = start;
  if (end !== undefined) query.endTimeUnixNano = end;
  return query;
}

/** The lookup metrics' endpoint label of each read opcode (data-format.md §8.6). */
const READ_ENDPOINTS: Readonly<Record<number, string>> = {
  [Opcode.GET_SPAN]: 'tcp_get_span',
  [Opcode.GET_TRACE]: 'tcp_get_trace',
  [Opcode.GET_TRACES]: 'tcp_get_traces',
};
/** The status label of a read that answered, a miss (a nil span or trace) included: a miss is an answer, not a failure. */
const READ_OK = 'ok';
/** The status label of a failure that is not a TraceKvError: the code the connection then sends (errors.ts internalError). */
const READ_INTERNAL_ERROR = 'ERR_INTERNAL';
const MS_PER_SECOND = 1000;

/**
 * GET_SPAN, GET_TRACE or GET_TRACES, told to `observer` (when the daemon keeps metrics) with its
 * endpoint, `ok` or the failure's code, and the seconds from dispatch to its last response frame.
 * One clock pair per request and nothing per span, so a metrics-keeping daemon reads as fast.
 */
export async function handleRead(
  store: EmbeddedTraceStoreApi,
  opcode: number,
  header: Header,
  requestTracesMax: number,
  respond: Respond,
  observer: LookupObserver | undefined,
): Promise<void> {
  if (observer === undefined) return runRead(store, opcode, header, requestTracesMax, respond);
  const startedAtMs = performance.now();
  let status = READ_OK;
  try {
    await runRead(store, opcode, header, requestTracesMax, respond);
  } catch (error) {
    status = error instanceof TraceKvError ? error.code : READ_INTERNAL_ERROR;
    throw error;
  } finally {
    observer(READ_ENDPOINTS[opcode]!, status, (performance.now() - startedAtMs) / MS_PER_SECOND);
  }
}

function runRead(store: EmbeddedTraceStoreApi, opcode: number, header: Header, requestTracesMax: number, respond: Respond): Promise<void> {
  switch (opcode) {
    case Opcode.GET_SPAN:
      return handleGetSpan(store, header, respond);
    case Opcode.GET_TRACE:
      return handleGetTrace(store, header, respond);
    case Opcode.GET_TRACES:
      return handleGetTraces(store, header, requestTracesMax, respond);
    default:
      throw new Error(`BUG: runRead called with opcode 0x${opcode.toString(16)}, not a read`);
  }
}

export async function handleAppend(store: EmbeddedTraceStoreApi, payload: Uint8Array, respond: Respond): Promise<void> {
  const result = await store.append(payload);
  respond({ ...result }, false);
}

export async function handleGetSpan(store: EmbeddedTraceStoreApi, header: Header, respond: Respond): Promise<void> {
  const span = await store.getSpan(idField(header.traceId, 'traceId'), idField(header.spanId, 'spanId'));
  respond({ span }, false);
}

export async function handleGetTrace(store: EmbeddedTraceStoreApi, header: Header, respond: Respond): Promise<void> {
  const [trace] = await store.getTraces([idField(header.traceId, 'traceId')], readOptions(header));
  respond({ trace: trace ?? null }, false);
}

/**
 * GET_TRACES is the remote getTraces: it calls the embedded getTraces, not getTracesStream, so its
 * limits and their codes are exactly the embedded ones (ERR_REQUEST_TOO_LARGE past requestTracesMax
 * ids or requestBytesMax bytes over the whole call; a stream checks each slice of ids alone). The
 * traces are then sent in input order, cut into frames of about STREAM_FRAME_BYTES_TARGET so that
 * no frame grows past the frame limit however many ids were asked for.
 */
export async function handleGetTraces(store: EmbeddedTraceStoreApi, header: Header, requestTracesMax: number, respond: Respond): Promise<void> {
  if (!Array.isArray(header.ids)) throw invalidArgument('ids: want an array');
  // Before the ids are parsed, as embedded: a list too long is refused whatever it holds.
  if (header.ids.length > requestTracesMax) {
    throw new TraceKvError('ERR_REQUEST_TOO_LARGE', `getTraces: got ${header.ids.length} ids; want ≤ requestTracesMax (${requestTracesMax})`);
  }
  const traces = await store.getTraces(header.ids.map(queryOf), readOptions(header));
  let chunk: unknown[] = [];
  let chunkBytes = 0;
  for (const [index, trace] of traces.entries()) {
    const item = { index, trace };
    const itemBytes = sizer.pack(item).length;
    // A frame goes before the item that would take it past the target, so a frame holds more
    // than the target only as a single trace (a raw version-2 trace carries its whole batches).
    if (chunk.length > 0 && chunkBytes + itemBytes > STREAM_FRAME_BYTES_TARGET) {
      respond({ traces: chunk }, true);
      chunk = [];
      chunkBytes = 0;
    }
    chunk.push(item);
    chunkBytes += itemBytes;
  }
  respond({ traces: chunk }, false);
}
