/**
 * What each request opcode does (data-format.md §6.2): check the header's fields, call the store,
 * and shape the response. Bad fields are ERR_INVALID_ARGUMENT naming the field; the connection
 * stays open.
 */
import { Packr } from 'msgpackr';
import { STREAM_FRAME_BYTES_TARGET } from '../constants.js';
import { TraceKvError, invalidArgument } from '../errors.js';
import type { EmbeddedTraceStoreApi, ReadOptions, TraceIdInput, TraceQuery } from '../api/index.js';

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
    chunk.push(item);
    chunkBytes += sizer.pack(item).length;
    if (chunkBytes >= STREAM_FRAME_BYTES_TARGET) {
      respond({ traces: chunk }, true);
      chunk = [];
      chunkBytes = 0;
    }
  }
  respond({ traces: chunk }, false);
}
