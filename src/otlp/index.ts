/** OTLP in: the protobuf wire reader and the protobuf and JSON transcoders that turn an ExportTraceServiceRequest straight into batches (data-format.md §7.1, §7.2); OTLP out: stored spans written as TracesData (§8.2). */
export { ProtobufReader, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './protobuf-reader.js';
export type { TranscodeLimits, TranscodeResult } from './transcode-types.js';
export { ProtobufTranscoder, transcodeProtobuf } from './protobuf-transcoder.js';
export { isWellFormedUtf8 } from './utf8.js';
export { JsonTranscoder, transcodeJson } from './json-transcoder.js';
export { groupSpans, SHARED_FIELDS_ENTRY, writeResourceSpans, writeSharedFields, writeSpan, writeTracesData, type ResourceGroup } from './span-protobuf.js';
