/**
 * The OTLP/gRPC receiver (data-format.md §7.3): the unary method
 * opentelemetry.proto.collector.trace.v1.TraceService/Export, served with @grpc/grpc-js (the one
 * module that imports it). The service definition is written here by hand, with no .proto file
 * and no protobufjs: the request deserializer keeps the message's Buffer as it is, and our
 * transcoder (src/otlp/) reads it in the handler. Not in the deserializer, although it could be:
 * grpc-js runs the deserializer before the handler, so transcoding there would spend CPU on
 * requests that the token or the in-flight budget then refuses, and grpc-js turns a throwing
 * deserializer into INTERNAL, where an undecodable request must be INVALID_ARGUMENT.
 *
 * grpc-js itself inflates `grpc-encoding: gzip` (and deflate) with a running count against
 * grpc.max_receive_message_length (= otlpRequestBytesMax), so a bomb stops at the limit with
 * RESOURCE_EXHAUSTED; gzip it cannot inflate is INTERNAL, by grpc-js, before our handler.
 *
 * Codes: UNAUTHENTICATED without `authorization: Bearer <token>`, INVALID_ARGUMENT undecodable,
 * RESOURCE_EXHAUSTED over the in-flight budget, UNAVAILABLE closing or store failure (both with a
 * `grpc-retry-pushback-ms` trailer and a google.rpc.RetryInfo in `grpc-status-details-bin`: the
 * Collector's otlp exporter retries RESOURCE_EXHAUSTED only with a RetryInfo, and grpc-js clients
 * with a retry policy honour the pushback; the OpenTelemetry JS gRPC exporter retries nothing),
 * DEADLINE_EXCEEDED when the deadline passed before the first append (nothing was stored).
 */
import type http2 from 'node:http2';
import net from 'node:net';
import { Metadata, Server, ServerCredentials, type ServerUnaryCall, type ServiceDefinition, type sendUnaryData } from '@grpc/grpc-js';
import { OTLP_GRPC_CONNECTION_WINDOW_BYTES, OTLP_GRPC_EXPORT_PATH, OTLP_GRPC_STREAM_WINDOW_BYTES } from '../constants.js';
import { assert, ioError } from '../errors.js';
import { BearerToken } from '../protocol/bearer-token.js';
import { encodeExportResponseProtobuf, type PartialSuccess } from './export-response.js';
import type { OtlpServer, OtlpServerOptions } from './otlp-http.js';
import type { IngestOutcome, OtlpIngest } from './otlp-ingest.js';
import type { OtlpCounters } from './otlp-metrics.js';
import { GrpcCode, encodeRpcStatusProtobuf } from './rpc-status.js';

const CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(GrpcCode).map(([name, code]) => [code, name]));

const keep = (bytes: Buffer): Buffer => bytes;

const TRACE_SERVICE: ServiceDefinition = {
  Export: {
    path: OTLP_GRPC_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: keep,
    requestDeserialize: keep,
    responseSerialize: (result: PartialSuccess) => encodeExportResponseProtobuf(result),
    responseDeserialize: keep,
  },
};

interface GrpcError {
  code: number;
  details: string;
  metadata?: Metadata;
}

function grpcError(code: number, details: string, retryAfterMs?: number): GrpcError {
  if (retryAfterMs === undefined) return { code, details };
  const metadata = new Metadata();
  metadata.set('grpc-retry-pushback-ms', String(Math.max(0, Math.round(retryAfterMs))));
  metadata.set('grpc-status-details-bin', encodeRpcStatusProtobuf({ code, message: details, retryAfterMs }));
  return { code, details, metadata };
}

function errorOf(outcome: Exclude<IngestOutcome, { status: 'ok' }>): GrpcError {
  switch (outcome.status) {
    case 'busy':
      return grpcError(GrpcCode.RESOURCE_EXHAUSTED, outcome.message, outcome.retryAfterMs);
    case 'unavailable':
      return grpcError(GrpcCode.UNAVAILABLE, outcome.message, outcome.retryAfterMs);
    case 'invalid':
      return grpcError(GrpcCode.INVALID_ARGUMENT, outcome.message);
    case 'expired':
      return grpcError(GrpcCode.DEADLINE_EXCEEDED, outcome.message);
    case 'internal':
      return grpcError(GrpcCode.INTERNAL, outcome.message);
  }
}

function deadlineMsOf(call: ServerUnaryCall<Buffer, PartialSuccess>): number {
  const deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

function exportHandler(ingest: OtlpIngest, counters: OtlpCounters, token: BearerToken) {
  return (call: ServerUnaryCall<Buffer, PartialSuccess>, callback: sendUnaryData<PartialSuccess>): void => {
    counters.requests++;
    const fail = (error: GrpcError) => {
      counters.countError(CODE_NAMES[error.code] ?? String(error.code));
      callback(error);
    };
    const authorization = call.metadata.get('authorization')[0];
    if (!token.allows(typeof authorization === 'string' ? authorization : undefined)) {
      fail(grpcError(GrpcCode.UNAUTHENTICATED, 'wrong or missing token; want authorization: Bearer <TRACEKV_TOKEN> metadata'));
      return;
    }
    const deadlineMs = deadlineMsOf(call);
    ingest.ingest(call.request, 'protobuf', () => call.cancelled || Date.now() >= deadlineMs).then(
      (outcome) => {
        if (outcome.status === 'ok') callback(null, outcome);
        else fail(errorOf(outcome));
      },
      (error: unknown) => fail(grpcError(GrpcCode.INTERNAL, `internal error: ${String(error)}`)),
    );
  };
}

export async function startOtlpGrpc(
  ingest: OtlpIngest,
  counters: OtlpCounters,
  options: OtlpServerOptions,
): Promise<OtlpServer> {
  const server = new Server({
    'grpc.max_receive_message_length': options.requestBytesMax,
    'grpc.max_connection_idle_ms': options.idleTimeoutMs,
  });
  server.addService(TRACE_SERVICE, { Export: exportHandler(ingest, counters, new BearerToken(options.token)) });
  const credentials =
    options.tls === undefined
      ? ServerCredentials.createInsecure()
      : ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(options.tls.cert), private_key: Buffer.from(options.tls.key) }], false);
  const address = `${net.isIPv6(options.host) ? `[${options.host}]` : options.host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (error, bound) => (error === null ? resolve(bound) : reject(ioError(address, 'listen (OTLP/gRPC)', error))));
  });
  widenFlowControlWindows(server);
  let closing: Promise<void> | null = null;
  return {
    port,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
        await ingest.close();
        const grace = new Promise<void>((resolve) => setTimeout(resolve, options.closeGraceMs).unref());
        await Promise.race([stopped, grace]);
        server.forceShutdown();
      })();
      return closing;
    },
  };
}

/**
 * Opens every new HTTP/2 connection's flow-control windows wide (see OTLP_GRPC_CONNECTION_WINDOW_BYTES
 * for why). grpc-js has no server option for them, and creates its http2 servers itself; the one way
 * in is its private map of them (grpc-js 1.14). The assert turns a grpc-js that renamed it into a
 * failing test (test/receiver/otlp-grpc.test.ts reads the windows a client is granted), not a
 * silent return to 64 KiB windows.
 */
function widenFlowControlWindows(server: Server): void {
  const http2Servers = (server as unknown as { http2Servers?: Map<http2.Http2Server, unknown> }).http2Servers;
  assert(http2Servers instanceof Map && http2Servers.size > 0, 'grpc-js keeps its bound http2 servers in Server.http2Servers');
  for (const http2Server of http2Servers.keys()) {
    http2Server.on('session', (session: http2.ServerHttp2Session) => {
      session.setLocalWindowSize(OTLP_GRPC_CONNECTION_WINDOW_BYTES);
      session.settings({ initialWindowSize: OTLP_GRPC_STREAM_WINDOW_BYTES });
    });
  }
}
