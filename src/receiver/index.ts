/** OTLP in over the network: the OTLP/HTTP and OTLP/gRPC receivers the daemon serves, their shared ingest core (admit, transcode on a worker pool, append), replies and counters. */
export { startOtlpGrpc } from './otlp-grpc.js';
export { startOtlpHttp, type OtlpServer, type OtlpServerOptions } from './otlp-http.js';
export { OtlpIngest, type IngestBudget, type IngestContext, type IngestOutcome, type OtlpFace, type OtlpFormat } from './otlp-ingest.js';
export { OtlpCounters } from './otlp-metrics.js';
export { encodeExportResponseJson, encodeExportResponseProtobuf, type PartialSuccess } from './export-response.js';
export { GrpcCode, encodeRpcStatusJson, encodeRpcStatusProtobuf, type RpcStatus } from './rpc-status.js';
export { TranscodePool, type TranscodeFormat } from './transcode-pool.js';
