/**
 * What the OTLP receivers must answer a fuzz request with (data-format.md §7.3), worked out in the
 * harness before it is sent: the body is inflated under the same limit and transcoded by the same
 * transcoder with the daemon's batch limits, so the harness knows the class of the answer (stored
 * with N rejected spans, invalid, too large, wrong content type, no token) and, for a request the
 * daemon must store, how many spans of each trace it stores. What is checked against the daemon
 * is then its plumbing: the status, the reply body, and that every acknowledged span is readable.
 */
import zlib from 'node:zlib';
import { BATCH_BYTES_MAX_DEFAULT, BATCH_SPANS_MAX_DEFAULT } from '../../../src/constants.js';
import { TraceKvError } from '../../../src/errors.js';
import { openColumnarBatch } from '../../../src/batch/index.js';
import { JsonTranscoder, ProtobufTranscoder } from '../../../src/otlp/index.js';
import { describeError } from './oracle.js';

/**
 * The fuzzed daemon's otlpRequestBytesMax: far below the 64 MiB default, so that gzip bombs and
 * bodies over the limit cost the daemon (and the harness) little and can be sent often; still
 * over the largest request of the hostile set (65,536 spans, about 4 MB).
 */
export const FUZZ_OTLP_REQUEST_BYTES_MAX = 8 * 1024 * 1024;

export type OtlpFormat = 'protobuf' | 'json';

export type Expected =
  /** 200 / OK: `perTrace` spans stored per trace id (hex), `rejectedSpans` in partial_success. */
  | { class: 'stored'; spans: number; rejectedSpans: number; perTrace: Map<string, number> }
  /** 400 / INVALID_ARGUMENT: nothing stored. */
  | { class: 'invalid' }
  /** 413 / RESOURCE_EXHAUSTED: nothing stored. */
  | { class: 'too-large' }
  /** Damaged gzip: 400, or 413 when what inflated before the damage already passed the limit; nothing stored. */
  | { class: 'invalid-or-too-large' }
  /** 415: nothing stored (HTTP only). */
  | { class: 'unsupported' }
  /** 401 / UNAUTHENTICATED: nothing stored. */
  | { class: 'unauthenticated' }
  /** The harness's own transcoder threw a non-typed error: a bug already reported; the daemon's answer is not judged. */
  | { class: 'bug' };

const LIMITS = { batchBytesMax: BATCH_BYTES_MAX_DEFAULT, batchSpansMax: BATCH_SPANS_MAX_DEFAULT };

/** The harness's transcoders: one of each, reused, as the daemon's ingest does. */
export class Expectations {
  private readonly protobuf = new ProtobufTranscoder(LIMITS);
  private readonly json = new JsonTranscoder(LIMITS);

  constructor(private readonly report: (problem: string) => void) {}

  /** What a body sent with `encoding` (already on the wire form) must get, given a known content type and a good token. */
  expect(wire: Uint8Array, format: OtlpFormat, gzip: boolean, where: string): Expected {
    if (wire.length > FUZZ_OTLP_REQUEST_BYTES_MAX) return { class: 'too-large' };
    let body: Uint8Array = wire;
    if (gzip && wire.length > 0) {
      try {
        body = zlib.gunzipSync(wire, { maxOutputLength: FUZZ_OTLP_REQUEST_BYTES_MAX });
      } catch (error) {
        if (error instanceof RangeError) return { class: 'too-large' };
        return { class: 'invalid-or-too-large' };
      }
    }
    return this.transcoded(body, format, where);
  }

  /** What the transcoder makes of an inflated body, as the daemon's must. */
  transcoded(body: Uint8Array, format: OtlpFormat, where: string): Expected {
    try {
      const result = format === 'protobuf' ? this.protobuf.transcode(body) : this.json.transcode(body);
      const perTrace = new Map<string, number>();
      let spans = 0;
      for (const batch of result.batches) {
        // The receivers write version 2 (data-format.md §7): a trace's spans are a run of rows.
        const view = openColumnarBatch(batch);
        for (let run = 0; run < view.runCount; run++) {
          const traceId = view.runTraceIdHex(run);
          perTrace.set(traceId, (perTrace.get(traceId) ?? 0) + view.runRowCount(run));
        }
        spans += view.spanCount;
      }
      if (spans !== result.spans) this.report(`${where}: the ${format} transcoder says ${result.spans} spans; its batches hold ${spans}`);
      return { class: 'stored', spans, rejectedSpans: result.rejectedSpans, perTrace };
    } catch (error) {
      if (error instanceof TraceKvError && error.code === 'ERR_INVALID_ARGUMENT') return { class: 'invalid' };
      this.report(`${where}: the ${format} transcoder threw ${error instanceof TraceKvError ? error.code : 'a non-typed error'}: ${describeError(error)}`);
      return { class: 'bug' };
    }
  }
}

/** HTTP statuses that fit an expectation. 429 and 503 (over budget, closing) fit any, and are judged apart. */
export function httpStatusesFor(expected: Expected): number[] {
  switch (expected.class) {
    case 'stored':
      return [200];
    case 'invalid':
      return [400];
    case 'too-large':
      return [413];
    case 'invalid-or-too-large':
      return [400, 413];
    case 'unsupported':
      return [415];
    case 'unauthenticated':
      return [401];
    case 'bug':
      return [];
  }
}

/** gRPC status codes that fit an expectation (grpc/doc/statuscodes.md). RESOURCE_EXHAUSTED (budget) and UNAVAILABLE fit any. */
export function grpcCodesFor(expected: Expected): number[] {
  switch (expected.class) {
    case 'stored':
      return [0];
    case 'invalid':
      return [3];
    case 'too-large':
      return [8];
    case 'invalid-or-too-large':
      // grpc-js inflates the message itself, and calls gzip it cannot inflate INTERNAL before our handler runs.
      return [3, 8, 13];
    case 'unsupported':
      return [];
    case 'unauthenticated':
      return [16];
    case 'bug':
      return [];
  }
}

/**
 * rejected_spans and error_message of an ExportTraceServiceResponse in protobuf (partial_success
 * is field 1; in it rejected_spans field 1, error_message field 2), or null when it does not parse.
 */
export function partialSuccessOfProtobuf(bytes: Uint8Array): { rejectedSpans: number; errorMessage: string } | null {
  let at = 0;
  const varint = (): number | null => {
    let value = 0;
    let scale = 1;
    while (at < bytes.length) {
      const byte = bytes[at++]!;
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) return value;
    }
    return null;
  };
  const result = { rejectedSpans: 0, errorMessage: '' };
  while (at < bytes.length) {
    const tag = varint();
    if (tag !== 8 * 1 + 2) return null;
    const length = varint();
    if (length === null || at + length > bytes.length) return null;
    const end = at + length;
    while (at < end) {
      const inner = varint();
      if (inner === 8 * 1 + 0) {
        const rejected = varint();
        if (rejected === null) return null;
        result.rejectedSpans = rejected;
      } else if (inner === 8 * 2 + 2) {
        const textLength = varint();
        if (textLength === null || at + textLength > end) return null;
        result.errorMessage = Buffer.from(bytes.subarray(at, at + textLength)).toString('utf8');
        at += textLength;
      } else {
        return null;
      }
    }
  }
  return result;
}

/** The same from an OTLP JSON response (`{}` or `{"partialSuccess":{"rejectedSpans":"N","errorMessage":…}}`). */
export function partialSuccessOfJson(bytes: Uint8Array): { rejectedSpans: number; errorMessage: string } | null {
  try {
    const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as { partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string } };
    const partial = parsed.partialSuccess ?? {};
    return { rejectedSpans: Number(partial.rejectedSpans ?? 0), errorMessage: partial.errorMessage ?? '' };
  } catch {
    return null;
  }
}
