/** The client batch format (data-format.md §2): the encoder clients build batches with, the trailer and header views the store reads without decoding spans, validation, and the span codec and decoder. */
export * from './types.js';
export { BATCH_BYTES_MIN, BatchEncoder, type BatchEncoderOptions } from './encoder.js';
export {
  type BatchCommon,
  type DecodedBatch,
  type DecodedRawBatch,
  decodeBatch,
  decodeBatchRaw,
  decodeSpanAt,
  openBatch,
  rawRowAt,
  rawSpanAt,
} from './decoder.js';
export { type AnyBatchView, openAnyBatch, openStoredBatch } from './batch-versions.js';
export { type BatchLimits, TRAILER_OFFSET, validateBatch } from './validate.js';
export { BatchView } from './batch-view.js';
export { type BatchHeader, HEADER_OFFSET, readBatchHeader, writeBatchHeader } from './header.js';
export { bytesToHex, isZeroId, parseSpanId, parseTraceId, traceIdFromInput } from './ids.js';
export { decodeCommon, encodeCommon } from './common.js';
export { decodeSpanRecord, encodeSpanRecord } from './span-codec.js';
export { ATTRIBUTE_NESTING_MAX } from './attributes.js';
export { u64Below, u64Hi, u64Lo } from '../codec/little-endian.js';
export { type ColumnarHeader, COLUMNAR_BATCH_BYTES_MIN, readColumnarHeader } from './columnar-header.js';
export { ColumnarView, openColumnarBatch } from './columnar-view.js';
export { decodeColumnarBatch, decodeColumnarCommon, decodeColumnarRows, decodeColumnarRun } from './columnar-decoder.js';
export { ColumnarBatchEncoder } from './columnar-encoder.js';
export { ColumnarRecordEncoder, NOT_WELL_FORMED } from './columnar-record-encoder.js';
