/** The query faces of the daemon (data-format.md §8): the HTTP query server, Tempo's trace-by-ID API, and stored traces written as OTLP protobuf and proto JSON. */
export { startQueryServer, type QueryCounters, type QueryServer, type QueryServerOptions, type QueryStore } from './query-server.js';
export { ProtobufBuilder } from './protobuf-builder.js';
export { resourceSpansJson, type IdEncoding } from './trace-json.js';
export { groupSpans, writeTracesData } from './trace-protobuf.js';
export { parseTempoTraceId, parseTimeRange, replyFormatOf, traceReplyBody } from './tempo-api.js';
