/** Segment files (data-format.md §3): headers, record codec, append, point reads, recovery scan. */
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
export { SCAN_WINDOW_BYTES, scanSegment, type ScannedRecord, type ScanOptions, type ScanResult } from './segment-scan.js';
