// Proves that batchBytesMax and batchSpansMax are enforced by the encoder (leaving it unchanged on rejection) and by validateBatch.
import { describe, expect, it } from 'vitest';
import { BATCH_BYTES_MIN, BatchEncoder } from '../../src/batch/encoder.js';
import { decodeBatch } from '../../src/batch/decoder.js';
import { validateBatch } from '../../src/batch/validate.js';
import { encodeSpanRecord } from '../../src/batch/span-codec.js';
import type { SpanInput } from '../../src/batch/types.js';
import { BATCH_BYTES_LIMIT, BATCH_SPANS_LIMIT } from '../../src/constants.js';
import { expectedSpan } from '../helpers/expected.js';
import { catchTraceKvError, plainSpan, smallBatch } from './samples.js';

function expectBatchHolds(batch: Uint8Array, spans: SpanInput[]): void {
  const decoded = decodeBatch(batch);
  expect(decoded.spans).toStrictEqual(spans.map((span) => expectedSpan(span, decoded.resource, decoded.scope)));
}

describe('encoder limits', () => {
  it('refuses the span past batchSpansMax and stays unchanged', () => {
    const encoder = new BatchEncoder({ resource: {}, batchSpansMax: 3 });
    const spans = [0, 1, 2].map((i) => plainSpan(i));
    for (const span of spans) encoder.add(span);
    const before = encoder.byteLength;
    const error = catchTraceKvError(() => encoder.add(plainSpan(3)));
    expect(error.code).toBe('ERR_BATCH_TOO_LARGE');
    expect(error.message).toMatch(/batchSpansMax 3/);
    expect(catchTraceKvError(() => encoder.addRaw('1'.repeat(32), '1'.repeat(16), 1n, new Uint8Array([1]))).code).toBe('ERR_BATCH_TOO_LARGE');
    expect(encoder.spanCount).toBe(3);
    expect(encoder.byteLength).toBe(before);
    expectBatchHolds(encoder.finish(), spans);
    // The refused span starts the next batch.
    encoder.add(plainSpan(3));
    expectBatchHolds(encoder.finish(), [plainSpan(3)]);
  });

  it('refuses the span past batchBytesMax and stays unchanged, at the exact boundary', () => {
    const spans = [0, 1, 2].map((i) => plainSpan(i));
    const probe = new BatchEncoder({ resource: { attributes: { a: 'b' } } });
    for (const span of spans) probe.add(span);
    const exact = probe.byteLength;

    const encoder = new BatchEncoder({ resource: { attributes: { a: 'b' } }, batchBytesMax: exact });
    for (const span of spans) encoder.add(span);
    expect(encoder.byteLength).toBe(exact);
    const error = catchTraceKvError(() => encoder.add(plainSpan(3)));
    expect(error.code).toBe('ERR_BATCH_TOO_LARGE');
    expect(error.message).toMatch(/want ≤ batchBytesMax \d+ \(finish this batch and start another\)$/);
    expect(encoder.spanCount).toBe(3);
    expect(encoder.byteLength).toBe(exact);
    const batch = encoder.finish();
    expect(batch.length).toBe(exact);
    expectBatchHolds(batch, spans);
  });

  it('says so when a span cannot fit even in an empty batch', () => {
    const encoder = new BatchEncoder({ resource: {}, batchBytesMax: 200 });
    const error = catchTraceKvError(() => encoder.add({ ...plainSpan(0), attributes: { big: 'x'.repeat(500) } }));
    expect(error.code).toBe('ERR_BATCH_TOO_LARGE');
    expect(error.message).toMatch(/does not fit even in an empty batch/);
    expect(encoder.spanCount).toBe(0);
  });

  it('leaves the encoder unchanged when a span fails validation at any field', () => {
    const encoder = new BatchEncoder({ resource: {} });
    encoder.add(plainSpan(0));
    const before = encoder.byteLength;
    const bad: SpanInput[] = [
      { ...plainSpan(1), traceId: 'zz'.repeat(16) },
      { ...plainSpan(1), spanId: '00'.repeat(8) },
      { ...plainSpan(1), name: 5 as unknown as string },
      { ...plainSpan(1), attributes: { ok: 1, bad: null as unknown as string } },
      { ...plainSpan(1), startTimeUnixNano: 5 as unknown as bigint },
    ];
    for (const span of bad) expect(catchTraceKvError(() => encoder.add(span)).code).toBe('ERR_INVALID_ARGUMENT');
    expect(encoder.spanCount).toBe(1);
    expect(encoder.byteLength).toBe(before);
    encoder.add(plainSpan(2));
    expectBatchHolds(encoder.finish(), [plainSpan(0), plainSpan(2)]);
  });

  it('validates its options', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ batchBytesMax: BATCH_BYTES_LIMIT + 1 }, 'batchBytesMax'],
      [{ batchBytesMax: BATCH_BYTES_MIN - 1 }, 'batchBytesMax'],
      [{ batchBytesMax: 1000.5 }, 'batchBytesMax'],
      [{ batchBytesMax: '1000' }, 'batchBytesMax'],
      [{ batchSpansMax: 0 }, 'batchSpansMax'],
      [{ batchSpansMax: BATCH_SPANS_LIMIT + 1 }, 'batchSpansMax'],
    ];
    for (const [options, name] of cases) {
      const error = catchTraceKvError(() => new BatchEncoder({ resource: {}, ...options }));
      expect(error.code).toBe('ERR_INVALID_OPTION');
      expect(error.option).toBe(name);
      expect(error.message).toMatch(new RegExp(`^option ${name}: got .*; want an integer in \\[\\d+, \\d+\\]$`));
    }
    expect(new BatchEncoder({ resource: {}, batchBytesMax: BATCH_BYTES_MIN, batchSpansMax: 1 }).spanCount).toBe(0);
  });

  it('a batch of BATCH_BYTES_MIN bytes is possible', () => {
    const encoder = new BatchEncoder({ resource: {}, batchBytesMax: BATCH_BYTES_MIN });
    encoder.addRaw('1'.repeat(32), '2'.repeat(16), 7n, new Uint8Array([0xc0]));
    const batch = encoder.finish();
    expect(batch.length).toBe(BATCH_BYTES_MIN);
    expect(validateBatch(batch, { batchBytesMax: BATCH_BYTES_MIN, batchSpansMax: 1 }).spanCount).toBe(1);
  });

  it('refuses a resource too large to leave room for a span', () => {
    const error = catchTraceKvError(() => new BatchEncoder({ resource: { attributes: { big: 'x'.repeat(300) } }, batchBytesMax: 300 }));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toMatch(/^resource and scope:/);
  });

  it('refuses a span record larger than SPAN_RECORD_BYTES_MAX as a caller bug', () => {
    const error = catchTraceKvError(() => encodeSpanRecord({ ...plainSpan(0), attributes: { huge: new Uint8Array(16 * 1024 * 1024) } }));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toMatch(/^span: encoded record got \d+ bytes; want ≤ 16777216$/);
  });
});

describe('validateBatch limits', () => {
  it('refuses a batch longer than batchBytesMax', () => {
    const batch = smallBatch(3);
    expect(validateBatch(batch, { batchBytesMax: batch.length, batchSpansMax: 3 }).spanCount).toBe(3);
    const error = catchTraceKvError(() => validateBatch(batch, { batchBytesMax: batch.length - 1, batchSpansMax: 3 }));
    expect(error.code).toBe('ERR_BATCH_TOO_LARGE');
    expect(error.message).toBe(`batch length got ${batch.length}; want ≤ batchBytesMax ${batch.length - 1}`);
  });

  it('refuses a batch with more spans than batchSpansMax', () => {
    const batch = smallBatch(3);
    const error = catchTraceKvError(() => validateBatch(batch, { batchBytesMax: BATCH_BYTES_LIMIT, batchSpansMax: 2 }));
    expect(error.code).toBe('ERR_BATCH_TOO_LARGE');
    expect(error.message).toBe('batch spanCount got 3; want ≤ batchSpansMax 2');
  });

  it('decodeBatch applies caller limits', () => {
    const batch = smallBatch(3);
    expect(catchTraceKvError(() => decodeBatch(batch, { batchSpansMax: 2 })).code).toBe('ERR_BATCH_TOO_LARGE');
    expect(decodeBatch(batch, { batchBytesMax: batch.length }).spans).toHaveLength(3);
  });
});
