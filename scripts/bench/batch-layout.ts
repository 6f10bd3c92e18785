/**
 * Where a prebuilt batch's parts are (data-format.md §2.1, §2.2), read from its header without
 * validation: the benchmark built these batches itself with BatchEncoder.
 */
import { HEADER_OFFSET } from '../../src/batch/header.js';
import { TRAILER_OFFSET } from '../../src/batch/validate.js';
import { BATCH_HEADER_BYTES, TRAILER_ENTRY_BYTES } from '../../src/constants.js';

export { TRAILER_ENTRY_BYTES, TRAILER_OFFSET };

export interface BatchLayout {
  view: DataView;
  spanCount: number;
  /** Absolute offset of the first span record; a trailer entry's offset counts from here. */
  spansStart: number;
  /** Absolute offset of trailer entry 0. */
  trailerStart: number;
  minStartTimeUnixNano: bigint;
  maxStartTimeUnixNano: bigint;
}

export function batchLayout(batch: Uint8Array): BatchLayout {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const spansStart = BATCH_HEADER_BYTES + view.getUint32(HEADER_OFFSET.commonLength, true);
  return {
    view,
    spanCount: view.getUint32(HEADER_OFFSET.spanCount, true),
    spansStart,
    trailerStart: spansStart + view.getUint32(HEADER_OFFSET.spansLength, true),
    minStartTimeUnixNano: view.getBigUint64(HEADER_OFFSET.minStartTimeUnixNano, true),
    maxStartTimeUnixNano: view.getBigUint64(HEADER_OFFSET.maxStartTimeUnixNano, true),
  };
}
