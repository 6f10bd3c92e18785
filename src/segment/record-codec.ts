/**
 * A record is one client batch, stored as header + body (data-format.md §3.2). Encoding builds the
 * exact bytes the writer appends; decoding checks the body against its header and undoes the codec.
 * The batch inside is opaque here: the store validates it (§2.6) after decoding.
 */
import { crc32c } from '../codec/crc32c.js';
import { ZSTD_INLINE_RAW_BYTES_MAX, zstdDecompress, zstdDecompressInline } from '../codec/zstd.js';
import { BATCH_BYTES_LIMIT, CODEC_NONE, CODEC_ZSTD, RECORD_HEADER_BYTES } from '../constants.js';
import { TraceKvError, assert, segmentCorrupt } from '../errors.js';
import { hex32 } from '../codec/little-endian.js';
import { RECORD_BODY_BYTES_MAX, type RecordHeader, writeRecordHeaderFields } from './record-header.js';

/**
 * Header and body in one buffer, so the writer issues one write per record. The body is `batch`
 * for CODEC_NONE (then `compressed` is ignored) and `compressed`, one zstd frame, for CODEC_ZSTD.
 *
 * A body over RECORD_BODY_BYTES_MAX is a caller bug: when zstd does not shrink a batch, the caller
 * should store it with CODEC_NONE, which also keeps bodyLength ≤ rawLength.
 */
export function encodeRecord(
  batch: Uint8Array,
  codec: number,
  compressed: Uint8Array,
  minStart: bigint,
  maxStart: bigint,
  spanCount: number,
): Uint8Array {
  assert(batch.length <= BATCH_BYTES_LIMIT, `batch of ${batch.length} bytes passed the store's limits`);
  assert(codec === CODEC_NONE || codec === CODEC_ZSTD, `record codec ${codec} unknown`);
  const body = codec === CODEC_NONE ? batch : compressed;
  assert(body.length <= RECORD_BODY_BYTES_MAX, `record body of ${body.length} bytes; use CODEC_NONE`);
  // Not zero-filled: every header byte is written below and the body is copied over the rest.
  const record: Uint8Array = Buffer.allocUnsafe(RECORD_HEADER_BYTES + body.length);
  record.set(body, RECORD_HEADER_BYTES);
  // The CRC is taken over the copy about to be written, so a body changed under us is still caught.
  const bodyCrc = crc32c(record, RECORD_HEADER_BYTES, record.length);
  writeRecordHeaderFields(record, 0, codec, body.length, batch.length, spanCount, bodyCrc, minStart, maxStart);
  return record;
}

/**
 * The batch bytes of a record whose header has passed readRecordHeader. `fileOffset` is the
 * record's offset in `file`, for the error. Throws ERR_SEGMENT_CORRUPT on a body CRC mismatch, a
 * zstd frame that does not decode, or a decoded length other than rawLength; ERR_INTERNAL when the
 * zstd binding itself fails.
 */
export async function decodeRecordBody(
  header: RecordHeader,
  body: Uint8Array,
  file: string,
  fileOffset: number,
): Promise<Uint8Array> {
  checkRecordBody(header, body, file, fileOffset);
  return decodeCheckedRecordBody(header, body, file, fileOffset);
}

/** Throws ERR_SEGMENT_CORRUPT unless `body` has the header's length and CRC. */
export function checkRecordBody(header: RecordHeader, body: Uint8Array, file: string, fileOffset: number): void {
  if (body.length !== header.bodyLength) {
    throw segmentCorrupt(file, fileOffset, `record body got ${body.length} bytes; want bodyLength ${header.bodyLength}`);
  }
  const crc = crc32c(body);
  if (crc !== header.bodyCrc) {
    throw segmentCorrupt(file, fileOffset, `record bodyCrc got ${hex32(crc)}; want ${hex32(header.bodyCrc)}`);
  }
}

/**
 * decodeRecordBody for a body whose CRC was checked already (by the record cursor): the codec
 * undone, rawLength checked. `inline`: decompress on this thread when the batch is small enough
 * (codec/zstd.ts says when that is cheaper), else on the binding's threadpool.
 */
export async function decodeCheckedRecordBody(
  header: RecordHeader,
  body: Uint8Array,
  file: string,
  fileOffset: number,
  inline = false,
): Promise<Uint8Array> {
  assert(body.length === header.bodyLength, `record body of ${body.length} bytes passed its check against bodyLength ${header.bodyLength}`);
  let raw: Uint8Array;
  if (header.codec === CODEC_NONE) {
    raw = body;
  } else {
    assert(header.codec === CODEC_ZSTD, `record codec ${header.codec} passed readRecordHeader`);
    try {
      const inlineFits = header.rawLength > 0 && header.rawLength <= ZSTD_INLINE_RAW_BYTES_MAX;
      raw = inline && inlineFits ? await zstdDecompressInline(body, header.rawLength) : await zstdDecompress(body);
    } catch (error) {
      // The body CRC matched, so these are the bytes as written, and zstd refusing them is not disk
      // damage. It stays corruption all the same: §3.2 makes such a record invalid whatever wrote
      // it (a compress bug, memory damage before the CRC was taken, another writer), the verdict
      // comes back on every read, and verify must count it. zstd.ts rejects with ERR_INTERNAL,
      // passed on as it is, when the binding failed rather than judged the bytes.
      if (error instanceof TraceKvError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw segmentCorrupt(file, fileOffset, `record zstd body does not decompress, though its bodyCrc matches: ${reason}`);
    }
  }
  if (raw.length !== header.rawLength) {
    throw segmentCorrupt(file, fileOffset, `record decoded length got ${raw.length}; want rawLength ${header.rawLength}`);
  }
  return raw;
}
