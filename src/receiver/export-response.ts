/**
 * ExportTraceServiceResponse, the reply to every accepted OTLP export (data-format.md §7), in
 * protobuf and in OTLP JSON. Field numbers are from opentelemetry-proto
 * (collector/trace/v1/trace_service.proto): the response's partial_success is field 1; in
 * ExportTracePartialSuccess, rejected_spans (int64) is 1 and error_message (string) is 2.
 * When nothing was rejected and there is no message, partial_success is left unset, as the OTLP
 * specification requires: a full success is the empty message (0 bytes, or `{}`).
 */
import { ProtobufBuilder } from '../codec/protobuf-builder.js';

export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

const EMPTY = Buffer.alloc(0);
const EMPTY_JSON = Buffer.from('{}');

function isFullSuccess(result: PartialSuccess): boolean {
  return result.rejectedSpans === 0 && result.errorMessage === '';
}

/** One builder for every reply: each is written whole, synchronously, then copied out. */
const builder = new ProtobufBuilder();

export function encodeExportResponseProtobuf(result: PartialSuccess): Buffer {
  if (isFullSuccess(result)) return EMPTY;
  builder.reset();
  builder.begin(1);
  builder.uint(1, result.rejectedSpans);
  if (result.errorMessage !== '') builder.string(2, result.errorMessage);
  builder.end();
  return builder.finish();
}

/** OTLP JSON: camelCase names, int64 as a decimal string, default values left out. */
export function encodeExportResponseJson(result: PartialSuccess): Buffer {
  if (isFullSuccess(result)) return EMPTY_JSON;
  const partial: Record<string, string> = {};
  if (result.rejectedSpans !== 0) partial.rejectedSpans = String(result.rejectedSpans);
  if (result.errorMessage !== '') partial.errorMessage = result.errorMessage;
  return Buffer.from(JSON.stringify({ partialSuccess: partial }));
}
