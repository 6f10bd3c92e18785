/**
 * Random access into a batch that passed validateBatch (data-format.md §2.2), for the index and
 * read paths. Accessors read the trailer in place: comparing ids and start times allocates
 * nothing, and span bytes are subarrays of the batch, not copies.
 *
 * Time-range filtering takes its bounds pre-split into u32 halves (see u64Hi/u64Lo), so a query
 * splits its bigint bounds once and then tests every span with number comparisons only.
 */
import { BATCH_FOOTER_BYTES, BATCH_HEADER_BYTES, SPAN_ID_BYTES, TRACE_ID_BYTES, TRAILER_ENTRY_BYTES } from '../constants.js';
import { assert } from '../errors.js';
import type { BatchHeader } from './header.js';
import { bytesToHex } from './ids.js';
import { u64Below } from '../codec/little-endian.js';
import { TRAILER_OFFSET } from './validate.js';

export class BatchView {
  /** The batch format version (§2.1), to tell this view from a ColumnarView (§2.7). */
  readonly version = 1 as const;
  readonly bytes: Uint8Array;
  readonly header: BatchHeader;
  readonly spanCount: number;
  readonly minStartTimeUnixNano: bigint;
  readonly maxStartTimeUnixNano: bigint;
  /** One DataView per batch: V8 turns its reads into plain loads, faster than byte arithmetic. */
  private readonly view: DataView;
  /** Absolute offset of the first span record. */
  private readonly spansStart: number;
  /** Absolute offset of trailer entry 0. */
  private readonly trailerStart: number;

  /** `header` must be what validateBatch returned for these same bytes. */
  constructor(bytes: Uint8Array, header: BatchHeader) {
    const total = BATCH_HEADER_BYTES + header.commonLength + header.spansLength + header.trailerLength + BATCH_FOOTER_BYTES;
    assert(total === bytes.length, `BatchView over ${bytes.length} bytes with a header that sums to ${total}`);
    this.bytes = bytes;
    this.header = header;
    this.spanCount = header.spanCount;
    this.minStartTimeUnixNano = header.minStartTimeUnixNano;
    this.maxStartTimeUnixNano = header.maxStartTimeUnixNano;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.spansStart = BATCH_HEADER_BYTES + header.commonLength;
    this.trailerStart = this.spansStart + header.spansLength;
  }

  /** Absolute byte offset of trailer entry `i` in the batch. */
  trailerEntryOffset(i: number): number {
    // The message is built only on failure: an eager template string would allocate per call.
    if (!(i >= 0 && i < this.spanCount && Number.isInteger(i))) assert(false, `span index ${i} outside [0, ${this.spanCount})`);
    return this.trailerStart + i * TRAILER_ENTRY_BYTES;
  }

  /** Whether span `i`'s traceId equals the 16 bytes at `traceId[at]`. */
  traceIdEquals(i: number, traceId: Uint8Array, at: number): boolean {
    return this.idEquals(this.trailerEntryOffset(i) + TRAILER_OFFSET.traceId, traceId, at, TRACE_ID_BYTES);
  }

  /** Whether span `i`'s spanId equals the 8 bytes at `spanId[at]`. */
  spanIdEquals(i: number, spanId: Uint8Array, at: number): boolean {
    return this.idEquals(this.trailerEntryOffset(i) + TRAILER_OFFSET.spanId, spanId, at, SPAN_ID_BYTES);
  }

  /** Absolute offset of trailer entry `i`'s traceId bytes, for hashing in place. */
  traceIdOffset(i: number): number {
    return this.trailerEntryOffset(i) + TRAILER_OFFSET.traceId;
  }

  traceIdHex(i: number): string {
    return bytesToHex(this.bytes, this.trailerEntryOffset(i) + TRAILER_OFFSET.traceId, TRACE_ID_BYTES);
  }

  spanIdHex(i: number): string {
    return bytesToHex(this.bytes, this.trailerEntryOffset(i) + TRAILER_OFFSET.spanId, SPAN_ID_BYTES);
  }

  /** Absolute byte offset of span record `i` in the batch. */
  spanOffset(i: number): number {
    return this.spansStart + this.view.getUint32(this.trailerEntryOffset(i) + TRAILER_OFFSET.offset, true);
  }

  spanLength(i: number): number {
    return this.view.getUint32(this.trailerEntryOffset(i) + TRAILER_OFFSET.length, true);
  }

  /** Allocates a bigint; use startTimeInRange to filter. */
  startTimeUnixNano(i: number): bigint {
    return this.view.getBigUint64(this.trailerEntryOffset(i) + TRAILER_OFFSET.startTimeUnixNano, true);
  }

  /**
   * Whether min ≤ start(i) ≤ max, both bounds inclusive, each given as u32 halves from u64Hi and
   * u64Lo. Allocation-free.
   */
  startTimeInRange(i: number, minHi: number, minLo: number, maxHi: number, maxLo: number): boolean {
    const at = this.trailerEntryOffset(i) + TRAILER_OFFSET.startTimeUnixNano;
    const hi = this.view.getUint32(at + 4, true);
    const lo = this.view.getUint32(at, true);
    return !u64Below(hi, lo, minHi, minLo) && !u64Below(maxHi, maxLo, hi, lo);
  }

  /** Span record `i` as a subarray of the batch (no copy: it lives as long as the batch bytes). */
  spanBytes(i: number): Uint8Array {
    const start = this.spanOffset(i);
    return this.bytes.subarray(start, start + this.spanLength(i));
  }

  /** The common section (§2.4) as a subarray of the batch. */
  commonBytes(): Uint8Array {
    return this.bytes.subarray(BATCH_HEADER_BYTES, this.spansStart);
  }

  private idEquals(entryAt: number, id: Uint8Array, at: number, idBytes: number): boolean {
    const bytes = this.bytes;
    for (let k = 0; k < idBytes; k++) {
      if (bytes[entryAt + k] !== id[at + k]) return false;
    }
    return true;
  }
}
