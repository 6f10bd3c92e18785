// Proves that the batch format never needs to decode a span: opaque record bytes pass validation and come back byte for byte.
import { describe, expect, it } from 'vitest';
import { BatchEncoder } from '../../src/batch/encoder.js';
import { decodeBatch, decodeBatchRaw } from '../../src/batch/decoder.js';
import { validateBatch } from '../../src/batch/validate.js';
import { BatchView } from '../../src/batch/batch-view.js';
import { traceIdFromInput } from '../../src/batch/ids.js';
import { u64Hi, u64Lo } from '../../src/codec/little-endian.js';
import { encodeSpanRecord } from '../../src/batch/span-codec.js';
import { BATCH_BYTES_LIMIT, BATCH_SPANS_LIMIT } from '../../src/constants.js';
import { catchTraceKvError, plainSpan } from './samples.js';

const LIMITS = { batchBytesMax: BATCH_BYTES_LIMIT, batchSpansMax: BATCH_SPANS_LIMIT };
const SEED = 0x5eed_0001;

/** xorshift32, so the "random" bytes are the same on every run. */
function randomBytes(seed: number, length: number): Uint8Array {
  let state = seed >>> 0 || 1;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

describe('raw span records', () => {
  it('accepts garbage record bytes and returns them exactly', () => {
    const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 'raw' } } });
    const records = [1, 2, 17, 300, 4096].map((length, i) => randomBytes(SEED + i, length));
    records.forEach((bytes, i) => encoder.addRaw(`${'ab'.repeat(15)}${i.toString(16).padStart(2, '0')}`, 'cd'.repeat(8), 1000n - BigInt(i), bytes));
    const batch = encoder.finish();

    const header = validateBatch(batch, LIMITS);
    expect(header.spanCount).toBe(records.length);
    expect(header.minStartTimeUnixNano).toBe(1000n - 4n);
    expect(header.maxStartTimeUnixNano).toBe(1000n);

    const raw = decodeBatchRaw(batch);
    expect(raw.resource.attributes).toStrictEqual({ 'service.name': 'raw' });
    expect(raw.spans).toStrictEqual(
      records.map((bytes, i) => ({
        traceId: `${'ab'.repeat(15)}${i.toString(16).padStart(2, '0')}`,
        spanId: 'cd'.repeat(8),
        startTimeUnixNano: 1000n - BigInt(i),
        bytes,
      })),
    );
    // Decoding the garbage is where it fails, and it fails as a corrupt span naming the span.
    const error = catchTraceKvError(() => decodeBatch(batch));
    expect(error.code).toBe('ERR_SPAN_CORRUPT');
    expect(error.message).toMatch(/^span 0 at batch offset \d+: span record:/);
  });

  it('rejects empty raw records', () => {
    const encoder = new BatchEncoder({ resource: {} });
    const error = catchTraceKvError(() => encoder.addRaw('1'.repeat(32), '2'.repeat(16), 1n, new Uint8Array(0)));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toContain('addRaw bytes');
  });

  it('mixes raw and encoded spans, and BatchView reads each in place', () => {
    const encoder = new BatchEncoder({ resource: {} });
    const spanA = plainSpan(0);
    const recordB = encodeSpanRecord(plainSpan(1));
    encoder.add(spanA);
    encoder.addRaw(plainSpan(1).traceId, plainSpan(1).spanId, plainSpan(1).startTimeUnixNano, recordB);
    const batch = encoder.finish();
    const view = new BatchView(batch, validateBatch(batch, LIMITS));
    expect(view.spanCount).toBe(2);
    expect(view.spanBytes(1)).toStrictEqual(recordB);
    expect(view.spanBytes(1).buffer).toBe(batch.buffer);
    expect(view.spanOffset(1)).toBe(view.spanOffset(0) + view.spanLength(0));
    expect(view.commonBytes()).toStrictEqual(new Uint8Array([0x90]));
    const traceIdB = traceIdFromInput(plainSpan(1).traceId);
    expect(view.traceIdEquals(1, traceIdB, 0)).toBe(true);
    expect(view.traceIdEquals(0, traceIdB, 0)).toBe(false);
    const spanIds = new Uint8Array(12);
    spanIds.set(Buffer.from(plainSpan(0).spanId as string, 'hex'), 4);
    expect(view.spanIdEquals(0, spanIds, 4)).toBe(true);
    expect(view.spanIdEquals(1, spanIds, 4)).toBe(false);
    expect(view.trailerEntryOffset(1) - view.trailerEntryOffset(0)).toBe(40);
    expect(view.startTimeUnixNano(1)).toBe(plainSpan(1).startTimeUnixNano);
    const t = plainSpan(1).startTimeUnixNano;
    expect(view.startTimeInRange(1, u64Hi(t), u64Lo(t), u64Hi(t), u64Lo(t))).toBe(true);
    expect(view.startTimeInRange(0, u64Hi(t), u64Lo(t), u64Hi(t), u64Lo(t))).toBe(false);
    const high = (1n << 40n) + 5n;
    expect(view.startTimeInRange(0, 0, 0, u64Hi(high), u64Lo(high))).toBe(true);
    expect(view.startTimeInRange(0, u64Hi(high), u64Lo(high), 0xffffffff, 0xffffffff)).toBe(false);
  });
});
