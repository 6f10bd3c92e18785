/** tracekv public API. Everything exported here is supported; anything else is internal. */
export { TraceStore } from './store/trace-store.js';
export type { StoreStats, AppendResult, ReadOptions, RecoveryReport, StreamedTrace, Trace, TraceQuery, TraceStoreApi } from './api/index.js';
export type { TraceStoreOptions, Durability, Logger, TraceTooLarge } from './options.js';
export { DEFAULT_OPTIONS } from './options.js';
export { TraceKvError } from './errors.js';
export type { TraceKvErrorCode } from './errors.js';
export { BatchEncoder, type BatchEncoderOptions } from './batch/encoder.js';
export { ColumnarBatchEncoder } from './batch/columnar-encoder.js';
export { decodeBatch, decodeBatchRaw } from './batch/decoder.js';
export { SpanKind, StatusCode } from './batch/types.js';
export type {
  AttributeValue,
  Attributes,
  RawRecordSpan,
  RawRowSpan,
  RawSpan,
  Resource,
  ResourceInput,
  Scope,
  ScopeInput,
  Span,
  SpanEvent,
  SpanEventInput,
  SpanIdInput,
  SpanInput,
  SpanLink,
  SpanLinkInput,
  SpanStatus,
  TraceIdInput,
} from './batch/types.js';
export type { FileLayer } from './io/file-layer.js';
export { TraceClient } from './client/trace-client.js';
export type { ClientStats, TraceClientOptions } from './client/trace-client.js';
export type { RemoteStats } from './api/index.js';
