/** The shapes the store, the client and the daemon share (arguments, results, stats, the TraceStoreApi interface) and the checks of read arguments; nothing of the engine. */
export type {
  AppendResult,
  EmbeddedTraceStoreApi,
  OtlpTrace,
  Position,
  RawSpan,
  ReadOptions,
  ReaderCacheStats,
  RecoveryReport,
  RemoteStats,
  Span,
  SpanIdInput,
  StoreStats,
  StreamedOtlpTrace,
  StreamedTrace,
  TimeBounds,
  TimeBoundsInput,
  Trace,
  TraceIdInput,
  TraceQuery,
  TraceStoreApi,
} from './types.js';
export { GET_SPAN_OPTION_KEYS, READ_OPTION_KEYS, TRACE_QUERY_KEYS, boundsOf, isTraceQuery, readOptionsOf } from './read-arguments.js';
