/** Segment files (data-format.md §3): headers, record codec, append, point reads, the one record cursor every walker uses (§3.4), and the one stored-batch loader. */
export { decodeSegmentHeader, encodeSegmentHeader, type SegmentHeader } from './segment-header.js';
export {
  isRecordHeaderValid,
  readRecordHeader,
  RECORD_BODY_BYTES_MAX,
  type RecordHeader,
  writeRecordHeader,
} from './record-header.js';
export { decodeRecordBody, encodeRecord } from './record-codec.js';
export { SegmentWriter } from './segment-writer.js';
export { readRecordAt } from './segment-reader.js';
export {
  describeDamage,
  RecordCursor,
  type CursorDamage,
  type CursorItem,
  type CursorRecord,
  type OwnedRecordCursor,
  type RecordCursorOptions,
} from './record-cursor.js';
export { loadStoredBatch, type StoredBatchOptions } from './stored-batch.js';
