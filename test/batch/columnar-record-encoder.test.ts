// Proves ColumnarRecordEncoder (span records → batch version 2, what the OTLP receivers and the SDK exporter write) writes byte for byte the batch ColumnarBatchEncoder writes from the same spans, over arbitrary spans (fixed seed) interleaved across traces; that a record past the batch's limits or a malformed one leaves the batch as it was; and that malformed records, hand-made or mutated at random, get ERR_INVALID_ARGUMENT and nothing else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchEncoder, decodeBatch, openBatch } from '../../src/batch/index.js';
import { ColumnarBatchEncoder } from '../../src/batch/columnar-encoder.js';
import { ColumnarRecordEncoder } from '../../src/batch/columnar-record-encoder.js';
import { encodeCommon } from '../../src/batch/common.js';
import { BATCH_BYTES_MAX_DEFAULT, BATCH_SPANS_MAX_DEFAULT, SPAN_ID_BYTES, TRACE_ID_BYTES, WRITER_RETAINED_BYTES_MAX, WRITER_RETAINED_ENTRIES_MAX } from '../../src/constants.js';
import type { ResourceInput, ScopeInput, SpanInput } from '../../src/batch/types.js';
import { batchInput } from '../helpers/span-arbitraries.js';

const SEED = 20_261_205;
const RUNS = 200;

/** Version 1 writes an integral number as a msgpack integer and -0 as 0 (§2.5); the spans going through v1 records are compared as v1 leaves them. */
function throughVersion1(options: { resource: ResourceInput; scope?: ScopeInput }, spans: SpanInput[]): SpanInput[] {
  const v1 = new BatchEncoder(options);
  for (const input of spans) v1.add(input);
  return decodeBatch(v1.finish()).spans.map(({ resource: _r, scope: _s, ...input }) => input);
}

/** Feeds every span record of a version-1 batch to `encoder`, as the receivers do: record bytes, ids and start halves. */
function addRecords(encoder: ColumnarRecordEncoder, v1: Uint8Array): boolean[] {
  const view = openBatch(v1);
  const ids = new Uint8Array(TRACE_ID_BYTES + SPAN_ID_BYTES);
  const added: boolean[] = [];
  for (let i = 0; i < view.spanCount; i++) {
    ids.set(v1.subarray(view.traceIdOffset(i), view.traceIdOffset(i) + TRACE_ID_BYTES + SPAN_ID_BYTES));
    const start = view.startTimeUnixNano(i);
    const offset = view.spanOffset(i);
    added.push(encoder.tryAddRecord(v1, offset, offset + view.spanLength(i), ids, Number(start & 0xffff_ffffn), Number(start >> 32n)));
  }
  return added;
}

function recordEncoder(options: { resource: ResourceInput; scope?: ScopeInput }, limits: { batchBytesMax?: number; batchSpansMax?: number } = {}): ColumnarRecordEncoder {
  return new ColumnarRecordEncoder({ common: encodeCommon(options.resource, options.scope), batchBytesMax: limits.batchBytesMax ?? BATCH_BYTES_MAX_DEFAULT, batchSpansMax: limits.batchSpansMax ?? BATCH_SPANS_MAX_DEFAULT });
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('ColumnarRecordEncoder', () => {
  it('writes the bytes ColumnarBatchEncoder writes for the same spans', () => {
    fc.assert(
      fc.property(batchInput, ({ resource: r, scope: s, spans }) => {
        const options = { resource: r, ...(s === undefined ? {} : { scope: s }) };
        const v1 = new BatchEncoder(options);
        for (const input of spans) v1.add(input);
        const fromRecords = recordEncoder(options);
        expect(addRecords(fromRecords, v1.finish())).toEqual(spans.map(() => true));
        const fromObjects = new ColumnarBatchEncoder(options);
        for (const input of throughVersion1(options, spans)) fromObjects.add(input);
        expect(hex(fromRecords.finish())).toBe(hex(fromObjects.finish()));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('answers false for a span past batchSpansMax or batchBytesMax, the batch as it was', () => {
    const options = { resource: { attributes: { 'service.name': 's' } } };
    const spans = Array.from({ length: 6 }, (_, i): SpanInput => ({ traceId: (i % 2 === 0 ? 'a' : 'b').repeat(32), spanId: (i + 1).toString(16).padStart(16, '0'), name: `op-${i}`, startTimeUnixNano: 1000n + BigInt(i), endTimeUnixNano: 2000n, attributes: { k: `v-${i}`, big: 'x'.repeat(i === 5 ? 4000 : 1) } }));
    const v1 = new BatchEncoder(options);
    for (const input of spans) v1.add(input);
    const batch = v1.finish();
    const bySpans = recordEncoder(options, { batchSpansMax: 4 });
    expect(addRecords(bySpans, batch)).toEqual([true, true, true, true, false, false]);
    const want = recordEncoder(options);
    const firstFive = new BatchEncoder(options);
    for (const input of spans.slice(0, 5)) firstFive.add(input);
    expect(addRecords(want, firstFive.finish())).toEqual([true, true, true, true, true]);
    const wantBytes = want.finish();
    // Room for the first five spans but not the sixth's 4,000-byte value.
    const byBytes = recordEncoder(options, { batchBytesMax: wantBytes.length + 1000 });
    expect(addRecords(byBytes, batch)).toEqual([true, true, true, true, true, false]);
    expect(hex(byBytes.finish())).toBe(hex(wantBytes));
  });

  it('refuses a malformed record with ERR_INVALID_ARGUMENT and keeps the batch as it was', () => {
    const options = { resource: {} };
    const good: SpanInput = { traceId: 'c'.repeat(32), spanId: '1'.repeat(16), name: 'op', startTimeUnixNano: 5n, endTimeUnixNano: 9n, attributes: { a: 'b', n: 1n, list: [1, 'x', [true]] }, events: [{ timeUnixNano: 6n, name: 'e', attributes: { k: 2.5 } }], links: [{ traceId: 'd'.repeat(32), spanId: '2'.repeat(16), traceState: 'ts', flags: 1 }], status: { code: 2, message: 'bad' }, traceState: 'x=1', flags: 257 };
    const v1 = new BatchEncoder(options);
    v1.add(good);
    const batch = v1.finish();
    const view = openBatch(batch);
    const record = batch.slice(view.spanOffset(0), view.spanOffset(0) + view.spanLength(0));
    const ids = batch.slice(view.traceIdOffset(0), view.traceIdOffset(0) + TRACE_ID_BYTES + SPAN_ID_BYTES);
    const encoder = recordEncoder(options);
    expect(encoder.tryAddRecord(record, 0, record.length, ids, 5, 0)).toBe(true);
    const bad: [string, Uint8Array][] = [
      ['truncated', record.subarray(0, record.length - 1)],
      ['trailing byte', Uint8Array.of(...record, 0)],
      ['not an array', Uint8Array.of(0xc0)],
      ['no fields', Uint8Array.of(0x90)],
      ['name not a str', Uint8Array.of(0x91, 0x01)],
      ['kind 6', Uint8Array.of(0x92, 0xa1, 0x61, 0x06)],
      ['parent of 7 bytes', Uint8Array.of(0x93, 0xa1, 0x61, 0x00, 0xc4, 7, 1, 2, 3, 4, 5, 6, 7)],
      ['nil attribute value', Uint8Array.of(0x95, 0xa1, 0x61, 0x00, 0xc0, 0x00, 0x81, 0xa1, 0x6b, 0xc0)],
      ['uint64 past int64', Uint8Array.of(0x95, 0xa1, 0x61, 0x00, 0xc0, 0x00, 0x81, 0xa1, 0x6b, 0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0)],
      ['status code 3', Uint8Array.of(0x9b, 0xa1, 0x61, 0, 0xc0, 0, 0x80, 0, 0x90, 0, 0x90, 0, 0x92, 3, 0xa0)],
      ['negative count', Uint8Array.of(0x96, 0xa1, 0x61, 0, 0xc0, 0, 0x80, 0xff)],
    ];
    for (const [what, bytes] of bad) {
      const other = Uint8Array.of(...ids);
      other[0] = 0xee; // a new run, which the refusal must take back too
      expect(() => encoder.tryAddRecord(bytes, 0, bytes.length, other, 5, 0), what).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
      expect(encoder.spanCount, what).toBe(1);
    }
    const again = recordEncoder(options);
    again.tryAddRecord(record, 0, record.length, ids, 5, 0);
    const got = encoder.finish();
    expect(hex(got)).toBe(hex(again.finish()));
    expect(decodeBatch(got).spans).toEqual(decodeBatch(batch).spans);
  });
});

describe('ColumnarRecordEncoder on damaged records', () => {
  it('answers every mutated record with a typed error or a row, and a refused one leaves no byte behind', () => {
    const options = { resource: {} };
    const v1 = new BatchEncoder(options);
    const samples: SpanInput[] = [
      { traceId: 'a'.repeat(32), spanId: '1'.repeat(16), name: 'op', startTimeUnixNano: 5n, endTimeUnixNano: 9n, attributes: { s: 'v', n: 7n, d: 1.5, b: true, bytes: new Uint8Array([1, 2]), list: [1, 'x', [false]], map: { k: { deep: 'y' } } }, events: [{ timeUnixNano: 6n, name: 'e', attributes: { k: 2.5 } }], links: [{ traceId: 'd'.repeat(32), spanId: '2'.repeat(16), traceState: 'ts', flags: 1, attributes: { l: 'x' } }], status: { code: 2, message: 'bad' }, traceState: 'x=1', flags: 257, parentSpanId: '3'.repeat(16) },
      { traceId: 'b'.repeat(32), spanId: '4'.repeat(16), name: 'plain', startTimeUnixNano: 1n, endTimeUnixNano: 2n },
    ];
    for (const input of samples) v1.add(input);
    const batch = v1.finish();
    const view = openBatch(batch);
    const records = [0, 1].map((i) => batch.slice(view.spanOffset(i), view.spanOffset(i) + view.spanLength(i)));
    const ids = [0, 1].map((i) => batch.slice(view.traceIdOffset(i), view.traceIdOffset(i) + TRACE_ID_BYTES + SPAN_ID_BYTES));
    const mutated = fc.record({
      which: fc.nat({ max: 1 }),
      edits: fc.array(fc.record({ at: fc.nat(), value: fc.nat({ max: 255 }) }), { minLength: 1, maxLength: 4 }),
      cut: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(mutated, { minLength: 1, maxLength: 8 }), (cases) => {
        const tested = recordEncoder(options);
        const reference = recordEncoder(options);
        for (const { which, edits, cut } of cases) {
          const record = Uint8Array.from(records[which]!);
          for (const { at, value } of edits) record[at % record.length] = value;
          const bytes = record.subarray(0, Math.max(1, record.length - (cut % 3 === 0 ? cut % record.length : 0)));
          let added: boolean;
          try {
            added = tested.tryAddRecord(bytes, 0, bytes.length, ids[which]!, 5, 0);
          } catch (error) {
            expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
            continue;
          }
          expect(added).toBe(true);
          expect(reference.tryAddRecord(bytes, 0, bytes.length, ids[which]!, 5, 0)).toBe(true);
        }
        // The good record after all of it: the batch holds exactly the rows that were taken.
        expect(tested.tryAddRecord(records[1]!, 0, records[1]!.length, ids[1]!, 1, 0)).toBe(true);
        expect(reference.tryAddRecord(records[1]!, 0, records[1]!.length, ids[1]!, 1, 0)).toBe(true);
        expect(hex(tested.finish())).toBe(hex(reference.finish()));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('ColumnarRecordEncoder between batches', () => {
  it('lets go of buffers a huge batch grew, and writes the next batch as a fresh encoder would', () => {
    const options = { resource: {} };
    // 17,000 traces and 20,000 distinct strings: rows, runs and dictionary entries all pass the limit.
    const span = (i: number, pad: number): SpanInput => ({ traceId: (i % 17_000 + 1).toString(16).padStart(32, '0'), spanId: (i + 1).toString(16).padStart(16, '0'), name: `op-${i % 5}`, startTimeUnixNano: 10n + BigInt(i), endTimeUnixNano: 20n + BigInt(i), attributes: { pad: `${i}`.padEnd(pad, 'p') } });
    const huge = new BatchEncoder({ ...options, batchSpansMax: 65_535, batchBytesMax: 64 * 1024 * 1024 });
    for (let i = 0; i < 20_000; i++) huge.add(span(i, 200));
    const small = new BatchEncoder(options);
    for (let i = 0; i < 3; i++) small.add(span(i, 10));
    const smallBatch = small.finish();
    const encoder = recordEncoder(options, { batchSpansMax: 65_535, batchBytesMax: 64 * 1024 * 1024 });
    expect(addRecords(encoder, huge.finish()).every((added) => added)).toBe(true);
    encoder.finish();
    const internals = encoder as unknown as {
      streams: { bytes: Uint8Array }[];
      rowRun: Uint32Array;
      runRows: Uint32Array;
      runSlots: Int32Array;
      dictionary: { out: { bytes: Uint8Array }; offsets: Uint32Array; slots: Int32Array };
    };
    expect(Math.max(...internals.streams.map((stream) => stream.bytes.length))).toBeLessThanOrEqual(WRITER_RETAINED_BYTES_MAX);
    expect(internals.dictionary.out.bytes.length).toBeLessThanOrEqual(WRITER_RETAINED_BYTES_MAX);
    for (const entries of [internals.rowRun, internals.runRows, internals.dictionary.offsets]) expect(entries.length).toBeLessThanOrEqual(WRITER_RETAINED_ENTRIES_MAX);
    expect(internals.runSlots.every((slot) => slot === 0) && internals.dictionary.slots.every((slot) => slot === 0)).toBe(true);
    addRecords(encoder, smallBatch);
    const fresh = recordEncoder(options, { batchSpansMax: 65_535, batchBytesMax: 64 * 1024 * 1024 });
    addRecords(fresh, smallBatch);
    expect(hex(encoder.finish())).toBe(hex(fresh.finish()));
  });
});
