// Proves that validateBatch enforces each data-format.md §2.6 rule on its own (CRCs resealed so every edit reaches its check), and that the header codec round-trips.
import { describe, expect, it } from 'vitest';
import { HEADER_OFFSET, readBatchHeader, writeBatchHeader } from '../../src/batch/header.js';
import { TRAILER_OFFSET, validateBatch } from '../../src/batch/validate.js';
import { BatchEncoder } from '../../src/batch/encoder.js';
import { BATCH_BYTES_LIMIT, BATCH_SPANS_LIMIT } from '../../src/constants.js';
import { catchTraceKvError, plainSpan, reseal, smallBatch, U64_MAX } from './samples.js';

const LIMITS = { batchBytesMax: BATCH_BYTES_LIMIT, batchSpansMax: BATCH_SPANS_LIMIT };

function dataView(batch: Uint8Array): DataView {
  return new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
}

/** Offset of trailer entry `i` in `batch`. */
function entryAt(batch: Uint8Array, i: number): number {
  const header = readBatchHeader(batch);
  return 48 + header.commonLength + header.spansLength + i * 40;
}

/** Applies `edit` to a fresh 3-span batch, reseals the CRCs, and returns validateBatch's error. */
function rejection(edit: (batch: Uint8Array, view: DataView) => void, resealAfter = true) {
  const batch = smallBatch(3);
  edit(batch, dataView(batch));
  if (resealAfter) reseal(batch);
  return catchTraceKvError(() => validateBatch(batch, LIMITS));
}

describe('header codec', () => {
  it('round-trips every field, extremes included', () => {
    const header = {
      spanCount: 65_535,
      commonLength: 0xffff_ffff,
      spansLength: 1,
      trailerLength: 65_535 * 40,
      minStartTimeUnixNano: 0n,
      maxStartTimeUnixNano: U64_MAX,
    };
    const bytes = new Uint8Array(56);
    writeBatchHeader(bytes, header);
    expect(readBatchHeader(bytes)).toStrictEqual(header);
    expect(dataView(bytes).getUint32(0, true)).toBe(0x42564b54);
  });

  it('rejects every prefix shorter than header + footer', () => {
    const batch = smallBatch(1);
    for (let length = 0; length < 56; length++) {
      const error = catchTraceKvError(() => readBatchHeader(batch.subarray(0, length)));
      expect(error.code).toBe('ERR_BATCH_CORRUPT');
      expect(error.message).toBe(`batch length got ${length}; want ≥ 56 (header + footer)`);
    }
  });

  it('names magic, headerCrc, version, flags and reserved', () => {
    expect(rejection((b) => (b[0] = 0)).message).toMatch(/^batch magic got 0x42564b00; want 0x42564b54$/);
    expect(rejection((b) => (b[9] ^= 1), false).message).toMatch(/^batch headerCrc got 0x[0-9a-f]{8}; want 0x[0-9a-f]{8}/);
    const version = rejection((_, v) => v.setUint16(HEADER_OFFSET.version, 2, true));
    expect(version.message).toBe('batch version got 2; want 1');
    expect(version.code).toBe('ERR_BATCH_UNSUPPORTED'); // the CRC matched: a newer writer, not damage
    expect(rejection((_, v) => v.setUint16(HEADER_OFFSET.flags, 4, true)).message).toBe('batch flags got 0x0004; want 0x0000 (no flags defined)');
    const reserved = rejection((_, v) => v.setUint32(HEADER_OFFSET.reserved, 1, true));
    expect(reserved.message).toBe('batch reserved got 0x00000001; want 0');
    expect(reserved.offset).toBe(44);
  });
});

describe('validateBatch', () => {
  it('returns the header of a valid batch', () => {
    const header = validateBatch(smallBatch(3), LIMITS);
    expect(header.spanCount).toBe(3);
    expect(header.trailerLength).toBe(120);
    expect(header.minStartTimeUnixNano).toBe(plainSpan(0).startTimeUnixNano);
    expect(header.maxStartTimeUnixNano).toBe(plainSpan(2).startTimeUnixNano);
  });

  it('checks section lengths', () => {
    const zero = rejection((_, v) => v.setUint32(HEADER_OFFSET.spanCount, 0, true));
    expect(zero.message).toBe('batch spanCount got 0; want ≥ 1');
    expect(rejection((_, v) => v.setUint32(HEADER_OFFSET.spanCount, 2, true)).message).toBe(
      'batch trailerLength got 120; want spanCount 2 × 40 = 80',
    );
    const sum = rejection((_, v) => v.setUint32(HEADER_OFFSET.commonLength, v.getUint32(HEADER_OFFSET.commonLength, true) + 1, true));
    expect(sum.code).toBe('ERR_BATCH_CORRUPT');
    expect(sum.message).toMatch(/^batch sections sum to \d+ bytes .*; want the batch length \d+$/);
  });

  it('checks the footer', () => {
    expect(rejection((b) => (b[b.length - 1] = 0), false).message).toBe('batch endMagic got 0x00564b54; want 0x45564b54');
    expect(rejection((b) => (b[60] ^= 1), false).message).toMatch(/^batch batchCrc got 0x[0-9a-f]{8}; want 0x[0-9a-f]{8}/);
  });

  it('checks every trailer entry', () => {
    const zeroTrace = rejection((b) => b.fill(0, entryAt(b, 1), entryAt(b, 1) + 16));
    expect(zeroTrace.message).toBe('trailer entry 1: traceId got all zeros; want a non-zero id');
    const zeroSpan = rejection((b) => b.fill(0, entryAt(b, 2) + 16, entryAt(b, 2) + 24));
    expect(zeroSpan.message).toBe('trailer entry 2: spanId got all zeros; want a non-zero id');

    const gap = rejection((b, v) => v.setUint32(entryAt(b, 1) + TRAILER_OFFSET.offset, v.getUint32(entryAt(b, 1) + TRAILER_OFFSET.offset, true) + 1, true));
    expect(gap.message).toMatch(/^trailer entry 1: offset got \d+; want \d+ \(records are contiguous\)$/);
    const first = rejection((b, v) => v.setUint32(entryAt(b, 0) + TRAILER_OFFSET.offset, 1, true));
    expect(first.message).toBe('trailer entry 0: offset got 1; want 0 (records are contiguous)');
    const empty = rejection((b, v) => v.setUint32(entryAt(b, 0) + TRAILER_OFFSET.length, 0, true));
    expect(empty.message).toMatch(/^trailer entry 0: length got 0; want 1\.\.\d+/);
    const overrun = rejection((b, v) => v.setUint32(entryAt(b, 2) + TRAILER_OFFSET.length, 1000, true));
    expect(overrun.message).toMatch(/^trailer entry 2: length got 1000;/);
    const short = rejection((b, v) => {
      const at = entryAt(b, 2) + TRAILER_OFFSET.length;
      v.setUint32(at, v.getUint32(at, true) - 1, true);
    });
    expect(short.message).toMatch(/^trailer records end at \d+; want spansLength \d+ \(records fill the section\)$/);
  });

  it('checks start times against the header range in both u32 halves', () => {
    const start0 = plainSpan(0).startTimeUnixNano;
    const above = rejection((_, v) => v.setBigUint64(HEADER_OFFSET.minStartTimeUnixNano, start0 + 1n, true));
    expect(above.message).toBe(
      `trailer entry 0: startTimeUnixNano got ${start0}; want within the header's [${start0 + 1n}, ${plainSpan(2).startTimeUnixNano}]`,
    );
    // Same low word, higher high word: only the high-half comparison can catch it.
    const highWord = rejection((b, v) => v.setBigUint64(entryAt(b, 1) + TRAILER_OFFSET.startTimeUnixNano, plainSpan(1).startTimeUnixNano + (1n << 32n), true));
    expect(highWord.message).toMatch(/^trailer entry 1: startTimeUnixNano got \d+; want within/);
    const low = rejection((b, v) => v.setBigUint64(entryAt(b, 2) + TRAILER_OFFSET.startTimeUnixNano, plainSpan(0).startTimeUnixNano - 1n, true));
    expect(low.message).toMatch(/^trailer entry 2: startTimeUnixNano/);
  });

  it('accepts a wider header range than the spans need (§2.6 asks only "within")', () => {
    const batch = smallBatch(2);
    dataView(batch).setBigUint64(HEADER_OFFSET.minStartTimeUnixNano, 0n, true);
    dataView(batch).setBigUint64(HEADER_OFFSET.maxStartTimeUnixNano, U64_MAX, true);
    expect(validateBatch(reseal(batch), LIMITS).maxStartTimeUnixNano).toBe(U64_MAX);
  });

  it('accepts a batch inside a larger buffer (non-zero byteOffset)', () => {
    const encoder = new BatchEncoder({ resource: {} });
    encoder.add(plainSpan(0));
    const batch = encoder.finish();
    const outer = new Uint8Array(batch.length + 13);
    outer.set(batch, 7);
    expect(validateBatch(outer.subarray(7, 7 + batch.length), LIMITS).spanCount).toBe(1);
  });
});
