/**
 * google.rpc.Status, what an OTLP server answers a failed request with (the OTLP/HTTP error body,
 * and gRPC's `grpc-status-details-bin` trailer), with an optional google.rpc.RetryInfo detail.
 * Field numbers are from googleapis (google/rpc/status.proto, google/rpc/error_details.proto,
 * google/protobuf/any.proto, duration.proto): Status { code 1, message 2, details 3 (Any) };
 * Any { type_url 1, value 2 }; RetryInfo { retry_delay 1 (Duration) }; Duration { seconds 1, nanos 2 }.
 *
 * Why RetryInfo: the OpenTelemetry Collector's otlp exporter retries RESOURCE_EXHAUSTED only when
 * the status carries a RetryInfo, and then waits its retry_delay; without it the data is dropped.
 */
import { ProtobufBuilder } from '../codec/protobuf-builder.js';

/** gRPC status codes used by the receivers (grpc/doc/statuscodes.md). */
export const GrpcCode = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export interface RpcStatus {
  code: number;
  message: string;
  /** When set, a RetryInfo detail says to retry after this long. */
  retryAfterMs?: number;
}

const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/** One builder for every reply: each is written whole, synchronously, then copied out. */
const builder = new ProtobufBuilder();

export function encodeRpcStatusProtobuf(status: RpcStatus): Buffer {
  builder.reset();
  builder.uint(1, status.code);
  if (status.message !== '') builder.string(2, status.message);
  if (status.retryAfterMs !== undefined) {
    const ms = Math.max(0, Math.round(status.retryAfterMs));
    builder.begin(3); // details: Any
    builder.string(1, RETRY_INFO_TYPE_URL);
    builder.begin(2); // Any.value: RetryInfo
    builder.begin(1); // retry_delay: Duration
    builder.uint(1, Math.floor(ms / 1000));
    builder.uint(2, (ms % 1000) * 1_000_000);
    builder.end();
    builder.end();
    builder.end();
  }
  return builder.finish();
}

/** The proto3 JSON mapping: an Any carries "@type", a Duration is a string of seconds ("0.250s"). */
export function encodeRpcStatusJson(status: RpcStatus): Buffer {
  const json: Record<string, unknown> = { code: status.code, message: status.message };
  if (status.retryAfterMs !== undefined) {
    json.details = [{ '@type': RETRY_INFO_TYPE_URL, retryDelay: `${(Math.max(0, Math.round(status.retryAfterMs)) / 1000).toFixed(3)}s` }];
  }
  return Buffer.from(JSON.stringify(json));
}
