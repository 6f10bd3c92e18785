/**
 * Point reads of one record, the read path's only segment I/O: the index entry gives the offset
 * and the whole record length (§4.2), so a lookup costs exactly one pread.
 */
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES } from '../constants.js';
import { ioError, segmentCorrupt } from '../errors.js';
import type { FileLayer } from '../io/file-layer.js';
import { RECORD_BODY_BYTES_MAX, readRecordHeader, type RecordHeader } from './record-header.js';

/** The largest record a reader will allocate for; a larger length can only come from damage. */
const RECORD_BYTES_MAX = RECORD_HEADER_BYTES + RECORD_BODY_BYTES_MAX;

/**
 * Reads the record at `fileOffset` of `file` (open as `fd`) whose total length the index says is
 * `recordLength`. The header is validated; the body is returned as stored, for decodeRecordBody.
 * Throws ERR_SEGMENT_CORRUPT when the bytes are not there or disagree with the header, ERR_IO on
 * a read error.
 */
export function readRecordAt(
  fs: FileLayer,
  fd: number,
  file: string,
  fileOffset: number,
  recordLength: number,
): { header: RecordHeader; body: Uint8Array } {
  // Both numbers come from an index entry on disk: check them before allocating or reading.
  if (!Number.isSafeInteger(fileOffset) || fileOffset < SEGMENT_HEADER_BYTES) {
    throw segmentCorrupt(file, fileOffset, `record offset got ${fileOffset}; want ≥ ${SEGMENT_HEADER_BYTES}`);
  }
  if (!Number.isInteger(recordLength) || recordLength < RECORD_HEADER_BYTES || recordLength > RECORD_BYTES_MAX) {
    throw segmentCorrupt(file, fileOffset, `record length got ${recordLength}; want ${RECORD_HEADER_BYTES}..${RECORD_BYTES_MAX}`);
  }
  const bytes = new Uint8Array(recordLength);
  let read: number;
  try {
    read = fs.pread(fd, bytes, 0, recordLength, fileOffset);
  } catch (error) {
    throw ioError(file, 'pread', error);
  }
  if (read < recordLength) {
    throw segmentCorrupt(file, fileOffset, `record got ${read} bytes before end of file; want ${recordLength}`);
  }
  const header = readRecordHeader(bytes, 0, file, fileOffset);
  if (RECORD_HEADER_BYTES + header.bodyLength !== recordLength) {
    throw segmentCorrupt(
      file,
      fileOffset,
      `record length got ${recordLength} from the index; want ${RECORD_HEADER_BYTES + header.bodyLength} from its header`,
    );
  }
  return { header, body: bytes.subarray(RECORD_HEADER_BYTES) };
}
