/**
 * The one way to turn a stored record into a validated batch (data-format.md §3.2): body CRC,
 * codec undone, the batch's structure checked (§2.6), and the record header and batch header made
 * to agree. The reader, recovery, verify, dump and inspect all load records through it, so a record
 * is valid or not by the same rule everywhere. Every failure is ERR_SEGMENT_CORRUPT naming the file
 * and the record's offset, except ERR_INTERNAL when the zstd binding or decoder itself fails.
 */
import { type AnyBatchView, openStoredBatch } from '../batch/batch-versions.js';
import { segmentCorrupt } from '../errors.js';
import { checkRecordBody, decodeCheckedRecordBody } from './record-codec.js';
import type { RecordHeader } from './record-header.js';

export interface StoredBatchOptions {
  /** The body CRC was checked already (the record cursor checks it as it reads): not again. */
  bodyCrcChecked?: boolean;
  /**
   * Recompute the whole-batch CRC too, and a version-2 dictionary's UTF-8 (verify --deep, dump);
   * the body CRC already vouches for these bytes.
   */
  batchCrc?: boolean;
  /** Decompress on this thread (see decodeCheckedRecordBody): the reader workers do. */
  inlineDecompress?: boolean;
}

export async function loadStoredBatch(
  header: RecordHeader,
  body: Uint8Array,
  file: string,
  fileOffset: number,
  options: StoredBatchOptions = {},
): Promise<AnyBatchView> {
  if (options.bodyCrcChecked !== true) checkRecordBody(header, body, file, fileOffset);
  const batch = await decodeCheckedRecordBody(header, body, file, fileOffset, options.inlineDecompress === true);
  let view: AnyBatchView;
  try {
    view = openStoredBatch(batch, options.batchCrc === true);
  } catch (error) {
    throw segmentCorrupt(file, fileOffset, `stored batch is invalid: ${(error as Error).message}`);
  }
  if (view.spanCount !== header.spanCount) {
    throw segmentCorrupt(file, fileOffset, `record says ${header.spanCount} spans; its batch holds ${view.spanCount}`);
  }
  if (view.minStartTimeUnixNano !== header.minStartTimeUnixNano || view.maxStartTimeUnixNano !== header.maxStartTimeUnixNano) {
    throw segmentCorrupt(
      file,
      fileOffset,
      `record time range ${header.minStartTimeUnixNano}..${header.maxStartTimeUnixNano}; its batch says ${view.minStartTimeUnixNano}..${view.maxStartTimeUnixNano}`,
    );
  }
  return view;
}
