/** The query faces of the daemon (data-format.md §8): the HTTP query servers, Tempo's and Jaeger's trace-by-ID APIs, and stored traces written as OTLP protobuf, proto JSON and Jaeger's JSON. */
export { startQueryServer, type QueryCounters, type LookupObserver, type QueryFace, type QueryServer, type QueryServerOptions, type QueryStore } from './query-server.js';
export { resourceSpansJson, type JsonDialect } from './trace-json.js';
export { jaegerTraceId, jaegerTraceJson } from './jaeger-json.js';
export { parseTempoTraceId, parseTimeRange, replyFormatOf, traceReplyJson, traceReplyProtobuf } from './tempo-api.js';
