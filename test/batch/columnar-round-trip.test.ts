// Proves batch version 2 holds exactly what version 1 holds: over arbitrary spans (fixed seed) in few traces, added interleaved, with parents inside the batch (before and after their children, themselves, duplicated ids) and outside it, ColumnarBatchEncoder's batch decodes to the spans BatchEncoder's batch decodes to, grouped into trace runs in order of first appearance; and that a rejected span (bad input or ERR_BATCH_TOO_LARGE) leaves the encoder as it was.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchEncoder, decodeBatch } from '../../src/batch/index.js';
import { validateBatch } from '../../src/batch/validate.js';
import { BATCH_BYTES_LIMIT, BATCH_SPANS_LIMIT } from '../../src/constants.js';
import { ColumnarBatchEncoder } from '../../src/batch/columnar-encoder.js';
import { decodeColumnarBatch } from '../../src/batch/columnar-decoder.js';
import type { ResourceInput, ScopeInput, Span, SpanInput } from '../../src/batch/types.js';
import { batchInput } from '../helpers/span-arbitraries.js';

const SEED = 20_261_207;
const RUNS = 200;

/** v1's spans in v2's row order: traces in order of first appearance, spans in add order within each. */
function inRunOrder(spans: Span[]): Span[] {
  const runs = new Map<string, Span[]>();
  for (const s of spans) {
    const run = runs.get(s.traceId);
    if (run === undefined) runs.set(s.traceId, [s]);
    else run.push(s);
  }
  return [...runs.values()].flat();
}

/** Version 1 writes a number's -0 as the integer 0 (§2.5); version 2 keeps the double's bits. */
function withoutNegativeZero<T>(value: T): T {
  if (typeof value === 'number') return (Object.is(value, -0) ? 0 : value) as T;
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || typeof value === 'bigint') return value;
  if (Array.isArray(value)) return value.map(withoutNegativeZero) as T;
  const out: Record<string, unknown> = Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>;
  for (const key of Object.keys(value)) Object.defineProperty(out, key, { value: withoutNegativeZero((value as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true });
  return out as T;
}

function encodeBoth(r: ResourceInput, s: ScopeInput | undefined, spans: SpanInput[]): { v1: Uint8Array; v2: Uint8Array } {
  const options = { resource: r, ...(s === undefined ? {} : { scope: s }) };
  const v1 = new BatchEncoder(options);
  const v2 = new ColumnarBatchEncoder(options);
  for (const input of spans) {
    v1.add(input);
    v2.add(input);
  }
  return { v1: v1.finish(), v2: v2.finish() };
}

describe('ColumnarBatchEncoder', () => {
  it('decodes to the spans of version 1, in trace runs', () => {
    fc.assert(
      fc.property(batchInput, ({ resource: r, scope: s, spans }) => {
        const { v1, v2 } = encodeBoth(r, s, spans);
        const want = decodeBatch(v1);
        const got = decodeColumnarBatch(v2);
        expect(got.resource).toEqual(want.resource);
        expect(got.scope).toEqual(want.scope);
        expect(withoutNegativeZero(got.spans)).toEqual(withoutNegativeZero(inRunOrder(want.spans)));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('writes the same bytes whatever order the traces arrive in, once grouped', () => {
    const base = { startTimeUnixNano: 10n, endTimeUnixNano: 20n, name: 'n' };
    const a = [{ ...base, traceId: 'a'.repeat(32), spanId: '1'.repeat(16) }, { ...base, traceId: 'a'.repeat(32), spanId: '2'.repeat(16), parentSpanId: '1'.repeat(16) }];
    const b = [{ ...base, traceId: 'b'.repeat(32), spanId: '3'.repeat(16) }];
    const grouped = new ColumnarBatchEncoder({ resource: {} });
    for (const input of [...a, ...b]) grouped.add(input);
    const interleaved = new ColumnarBatchEncoder({ resource: {} });
    for (const input of [a[0]!, b[0]!, a[1]!]) interleaved.add(input);
    expect(Buffer.from(interleaved.finish()).toString('hex')).toBe(Buffer.from(grouped.finish()).toString('hex'));
  });

  it('leaves the batch as it was after a rejected span: bad input, or one past batchBytesMax', () => {
    const good = (i: number): SpanInput => ({ traceId: 'c'.repeat(32), spanId: (i + 1).toString(16).padStart(16, '0'), name: `span-${i}`, startTimeUnixNano: 100n, endTimeUnixNano: 200n, attributes: { k: `v-${i}` } });
    const reference = new ColumnarBatchEncoder({ resource: {} });
    for (let i = 0; i < 3; i++) reference.add(good(i));
    const tested = new ColumnarBatchEncoder({ resource: {}, batchBytesMax: reference.finish().length + 500 });
    for (let i = 0; i < 3; i++) tested.add(good(i));
    // New strings in a span that fails a late check must not stay in the dictionary.
    expect(() => tested.add({ ...good(9), traceId: 'd'.repeat(32), attributes: { fresh: 'x' }, links: [{ traceId: 'zz', spanId: '1' }] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => tested.add({ ...good(10), traceId: 'e'.repeat(32), attributes: { big: 'y'.repeat(2000) } })).toThrow(expect.objectContaining({ code: 'ERR_BATCH_TOO_LARGE' }));
    expect(tested.spanCount).toBe(3);
    const again = new ColumnarBatchEncoder({ resource: {} });
    for (let i = 0; i < 3; i++) again.add(good(i));
    expect(Buffer.from(tested.finish()).toString('hex')).toBe(Buffer.from(again.finish()).toString('hex'));
  });

  it('is refused by the version-1 reader as another version (ERR_BATCH_UNSUPPORTED), not as damage', () => {
    const encoder = new ColumnarBatchEncoder({ resource: {} });
    encoder.add({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), name: 'n', startTimeUnixNano: 1n, endTimeUnixNano: 2n });
    const batch = encoder.finish();
    expect(() => validateBatch(batch, { batchBytesMax: BATCH_BYTES_LIMIT, batchSpansMax: BATCH_SPANS_LIMIT })).toThrow(expect.objectContaining({ code: 'ERR_BATCH_UNSUPPORTED' }));
    batch[61]! ^= 1; // its header CRC no longer matches: damage
    expect(() => validateBatch(batch, { batchBytesMax: BATCH_BYTES_LIMIT, batchSpansMax: BATCH_SPANS_LIMIT })).toThrow(expect.objectContaining({ code: 'ERR_BATCH_CORRUPT' }));
  });

  it('keeps strings whole on both sides of the one-byte length (126 UTF-8 bytes, 42 units of three bytes)', () => {
    const names = ['€'.repeat(42), '€'.repeat(43), '😀'.repeat(21), '😀'.repeat(22), 'a'.repeat(127), 'a'.repeat(128), ''];
    const encoder = new ColumnarBatchEncoder({ resource: {} });
    names.forEach((name, i) => encoder.add({ traceId: '1'.repeat(32), spanId: (i + 1).toString(16).padStart(16, '0'), name, startTimeUnixNano: 1n, endTimeUnixNano: 2n, attributes: { [name]: name } }));
    const spans = decodeColumnarBatch(encoder.finish()).spans;
    expect(spans.map((s) => s.name)).toEqual(names);
    expect(spans.map((s) => s.attributes[s.name])).toEqual(names);
  });

  it('refuses zero ids and an empty finish()', () => {
    const encoder = new ColumnarBatchEncoder({ resource: {} });
    const base = { name: 'n', startTimeUnixNano: 1n, endTimeUnixNano: 2n };
    expect(() => encoder.add({ ...base, traceId: '0'.repeat(32), spanId: '1'.repeat(16) })).toThrow(/span.traceId: got .*; want a non-zero id/);
    expect(() => encoder.add({ ...base, traceId: '1'.repeat(32), spanId: '0'.repeat(16) })).toThrow(/span.spanId: got .*; want a non-zero id/);
    expect(() => encoder.finish()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});
