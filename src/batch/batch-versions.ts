/**
 * Either batch version behind one door (data-format.md §2, §2.7): the store and the tools open a
 * batch here and branch on `view.version` only where the layouts differ (the trailer, span bytes).
 * Which reader a batch gets is decided by its version field alone; each reader then proves its own
 * header with its own CRC, so a flipped version byte still reads as damage, never as the other
 * version's bytes.
 */
import { readU16LE } from '../codec/little-endian.js';
import { BatchView } from './batch-view.js';
import { readColumnarHeader } from './columnar-header.js';
import { COLUMNAR_BATCH_VERSION } from './columnar-layout.js';
import { ColumnarView, openColumnarBatch } from './columnar-view.js';
import { HEADER_OFFSET } from './header.js';
import { type BatchLimits, STORED_BATCH_LIMITS, resolveBatchLimits, validateBatch, validateStoredBatch } from './validate.js';

/** A validated batch of either version; `version` tells them apart. */
export type AnyBatchView = BatchView | ColumnarView;

/** Whether `bytes` claims version 2 (§2.7.1). Anything else goes to the version-1 reader, which names what is wrong. */
function claimsColumnar(bytes: Uint8Array): boolean {
  return bytes instanceof Uint8Array && bytes.length >= HEADER_OFFSET.version + 2 && readU16LE(bytes, HEADER_OFFSET.version) === COLUMNAR_BATCH_VERSION;
}

/** Every append-time check of the batch's version (§2.6, §2.7); limits default to the hard limits. */
export function openAnyBatch(bytes: Uint8Array, limits?: Partial<BatchLimits>): AnyBatchView {
  const resolved = resolveBatchLimits(limits);
  if (claimsColumnar(bytes)) return openColumnarBatch(bytes, resolved);
  return new BatchView(bytes, validateBatch(bytes, resolved));
}

/**
 * A batch read back from a record whose body CRC matched (§3.2): every structural check, against
 * the format's limits rather than the store's (those may have changed since), but neither the
 * batch CRC nor (version 2) the dictionary's UTF-8 and the trailer's id checks again unless
 * `deep`: the body CRC proves these are the bytes that passed them on append.
 */
export function openStoredBatch(bytes: Uint8Array, deep: boolean): AnyBatchView {
  if (claimsColumnar(bytes)) {
    return new ColumnarView(bytes, readColumnarHeader(bytes, STORED_BATCH_LIMITS), { batchCrc: deep, utf8: deep, ids: deep });
  }
  return new BatchView(bytes, validateStoredBatch(bytes, deep));
}
