/**
 * Tempo's trace-by-ID API, as Grafana's Tempo data source calls it (data-format.md §8.2):
 * `GET /api/v2/traces/<id>` answers a TraceByIDResponse, `GET /api/traces/<id>` a Trace, each in
 * protobuf when the request accepts `application/protobuf` (Grafana's backend does) and in
 * Tempo's proto JSON otherwise. A missing trace is 404 on both: Grafana retries v1 after a v2 404.
 * A trace past the store's traceBytesMax comes back with the spans that fit, marked PARTIAL in v2.
 */
import type { OtlpTrace, Span, TimeBoundsInput, Trace } from '../api/index.js';
import { TRACE_ID_BYTES } from '../constants.js';
import { ProtobufBuilder } from '../codec/protobuf-builder.js';
import { resourceSpansJson } from './trace-json.js';

/** TraceByIDResponse fields (Tempo's tempopb): trace 1, metrics 2, status 3, message 4. */
const TRACE_BY_ID_TRACE = 1;
const TRACE_BY_ID_STATUS = 3;
const TRACE_BY_ID_MESSAGE = 4;
/** TraceByIDResponse.PartialStatus: COMPLETE is 0. */
const PARTIAL_STATUS_PARTIAL = 1;
const NANOS_PER_SECOND = 1_000_000_000n;
/** Unix seconds in a query string: at most this many digits (the year 33658). */
const UNIX_SECONDS_DIGITS_MAX = 12;
const UNIX_SECONDS = new RegExp(`^\\d{1,${UNIX_SECONDS_DIGITS_MAX}}$`);

export type TraceApiVersion = 'v1' | 'v2';
export type ReplyFormat = 'protobuf' | 'json';

export const PROTOBUF_CONTENT_TYPE = 'application/protobuf';
export const JSON_CONTENT_TYPE = 'application/json';

/** The reply format an Accept header asks for: protobuf only when it names it. */
export function replyFormatOf(accept: string | undefined): ReplyFormat {
  return accept !== undefined && /application\/(x-)?protobuf/i.test(accept) ? 'protobuf' : 'json';
}

/**
 * A trace id as Tempo takes it: 1–32 hex digits, left-padded with zeros to 16 bytes (Tempo
 * accepts ids shorter than 32 digits, as some clients drop leading zeros). Null when it is not one.
 */
export function parseTempoTraceId(text: string): string | null {
  if (!/^[0-9a-fA-F]{1,32}$/.test(text)) return null;
  const hex = text.toLowerCase().padStart(TRACE_ID_BYTES * 2, '0');
  return /^0+$/.test(hex) ? null : hex;
}

/**
 * `start` and `end` (Unix seconds, either optional) as read bounds over span start times:
 * [start s, end s + 1 s). A string naming the bad parameter when they are not.
 */
export function parseTimeRange(params: { get(name: 'start' | 'end'): string | null }): TimeBoundsInput | string {
  const bounds: TimeBoundsInput = {};
  const start = params.get('start');
  const end = params.get('end');
  for (const [name, value] of [['start', start], ['end', end]] as const) {
    if (value !== null && value !== '' && !UNIX_SECONDS.test(value)) {
      return `${name} got ${JSON.stringify(value)}; want Unix seconds (an integer ≥ 0)`;
    }
  }
  if (start !== null && start !== '' && start !== '0') bounds.startTimeUnixNano = BigInt(start) * NANOS_PER_SECOND;
  if (end !== null && end !== '' && end !== '0') bounds.endTimeUnixNano = (BigInt(end) + 1n) * NANOS_PER_SECOND - 1n;
  if (bounds.startTimeUnixNano !== undefined && bounds.endTimeUnixNano !== undefined && bounds.startTimeUnixNano > bounds.endTimeUnixNano) {
    return `start got ${start}, after end ${end}; want start ≤ end`;
  }
  return bounds;
}

/** The v2 JSON reply of a found trace, as an object (the bulk read writes one per line). */
export function traceByIdJson(trace: Trace<Span>): object {
  const resourceSpans = resourceSpansJson(trace.spans, 'tempo');
  const message = partialMessage(trace);
  return message === undefined ? { trace: { resourceSpans } } : { trace: { resourceSpans }, status: 'PARTIAL', message };
}

function partialMessage(trace: { partial?: true; partialReason?: string }): string | undefined {
  return trace.partial === true ? `trace exceeds traceBytesMax; only part of it is returned: ${trace.partialReason ?? ''}`.trimEnd() : undefined;
}

/** The JSON body of a found trace's reply. */
export function traceReplyJson(trace: Trace<Span>, version: TraceApiVersion): Buffer {
  if (version === 'v1') return Buffer.from(JSON.stringify({ batches: resourceSpansJson(trace.spans, 'tempo') }));
  return Buffer.from(JSON.stringify(traceByIdJson(trace)));
}

/**
 * The protobuf body of a found trace's reply: v1 is Tempo's Trace, wire-identical to the
 * TracesData fields the readers wrote; v2 a TraceByIDResponse around it.
 */
export function traceReplyProtobuf(trace: OtlpTrace, version: TraceApiVersion, builder: ProtobufBuilder): Buffer {
  if (version === 'v1') return trace.tracesData;
  builder.reset();
  writeTraceByIdResponse(builder, trace);
  return builder.finish();
}

/** A found trace's TraceByIDResponse fields (the v2 protobuf reply), appended to `builder`. */
function writeTraceByIdResponse(builder: ProtobufBuilder, trace: OtlpTrace): void {
  builder.begin(TRACE_BY_ID_TRACE);
  builder.raw(trace.tracesData, 0, trace.tracesData.length);
  builder.end();
  const message = partialMessage(trace);
  if (message !== undefined) {
    builder.uint(TRACE_BY_ID_STATUS, PARTIAL_STATUS_PARTIAL);
    builder.string(TRACE_BY_ID_MESSAGE, message);
  }
}

/**
 * One item of the bulk read's protobuf reply (data-format.md §8.4): a length-delimited
 * TraceByIDResponse, as `GET /api/v2/traces/<id>` answers it; an empty one (the single byte 0) for
 * an id with no spans.
 */
export function bulkProtobufItem(builder: ProtobufBuilder, trace: OtlpTrace | null): Buffer {
  builder.reset();
  builder.beginDelimited();
  if (trace !== null) writeTraceByIdResponse(builder, trace);
  builder.end();
  return builder.finish();
}

/** The item that ends a bulk protobuf reply after a failure: a TraceByIDResponse with only `message`, `<code>: <text>`. */
export function bulkProtobufError(builder: ProtobufBuilder, code: string, text: string): Buffer {
  builder.reset();
  builder.beginDelimited();
  builder.string(TRACE_BY_ID_MESSAGE, `${code}: ${text}`);
  builder.end();
  return builder.finish();
}
