// Proves the in-memory index tail groups a trace's spans per record into one entry, returns every
// record of a trace in arrival order, grows past its capacity without losing entries, answers
// misses with nothing, and keeps answering after freeze().
import { describe, expect, it } from 'vitest';
import { UNIX_NANO_MAX } from '../../src/constants.js';
import { IndexTail } from '../../src/index/index-tail.js';
import { LocationList } from '../../src/index/location-list.js';
import { buildModel, fillTail, hashesOf, hitsOf, randomTraceId, seededRandom, withSeed } from './helpers.js';

const A = new Uint8Array(16).fill(0xaa);
const B = new Uint8Array(16).fill(0xbb);
const C = new Uint8Array(16).fill(0xcc);

function lookup(tail: IndexTail, traceId: Uint8Array): ReturnType<typeof hitsOf> {
  const out = new LocationList();
  tail.lookup(traceId, 0, hashesOf(traceId), out);
  return hitsOf(out);
}

function addRecord(tail: IndexTail, segmentId: number, fileOffset: number, ids: Uint8Array[], min = 10n, max = 20n): void {
  tail.beginRecord(segmentId, fileOffset, 100, min, max);
  for (const id of ids) tail.addSpans(id, 0, 1);
  tail.endRecord();
}

describe('IndexTail', () => {
  it('keeps one entry per trace per record and counts its spans', () => {
    const tail = new IndexTail(4, 16);
    addRecord(tail, 1, 32, [A, B, A, A, C]);
    expect(tail.entryCount).toBe(3);
    expect(lookup(tail, A)).toEqual([{ segmentId: 1, fileOffset: 32, recordLength: 100, spanCount: 3 }]);
    expect(lookup(tail, B)).toEqual([{ segmentId: 1, fileOffset: 32, recordLength: 100, spanCount: 1 }]);
    addRecord(tail, 1, 132, [A]);
    expect(tail.entryCount).toBe(4);
    expect(lookup(tail, A).map((h) => h.spanCount)).toEqual([3, 1]);
  });

  it('returns every record of a trace in arrival order, appending to the list', () => {
    const tail = new IndexTail(8, 64);
    addRecord(tail, 1, 32, [A, B]);
    addRecord(tail, 1, 132, [B]);
    addRecord(tail, 2, 32, [C, A, A]);
    addRecord(tail, 3, 32, [A]);
    const out = new LocationList();
    out.push(9, 9, 9, 9);
    tail.lookup(A, 0, hashesOf(A), out);
    expect(hitsOf(out).map((h) => [h.segmentId, h.fileOffset, h.spanCount])).toEqual([
      [9, 9, 9],
      [1, 32, 1],
      [2, 32, 2],
      [3, 32, 1],
    ]);
  });

  it('answers a miss with nothing and reads ids at unaligned offsets', () => {
    const tail = new IndexTail(4, 16);
    const batch = new Uint8Array(21);
    batch.set(A, 5);
    tail.beginRecord(1, 32, 100, 1n, 2n);
    tail.addSpans(batch, 5, 1);
    tail.endRecord();
    expect(lookup(tail, B)).toEqual([]);
    const out = new LocationList();
    tail.lookup(batch, 5, hashesOf(A), out);
    expect(out.length).toBe(1);
    expect(new IndexTail(1, 1).entryCount).toBe(0);
    expect(lookup(new IndexTail(1, 1), A)).toEqual([]);
  });

  it('grows past its capacity without losing an entry', () => {
    const seed = 0x7a11;
    withSeed(seed, () => {
      const random = seededRandom(seed);
      const model = buildModel(random, 5000, 3000, 40);
      const tail = new IndexTail(16, 4);
      fillTail(tail, model);
      expect(tail.entryCount).toBe(model.entryCount);
      expect(tail.isFull).toBe(true);
      model.traceIds.forEach((id, trace) => {
        const want = model.expected[trace]!.map(({ segmentId, fileOffset, recordLength, spanCount }) => ({ segmentId, fileOffset, recordLength, spanCount }));
        expect(lookup(tail, id)).toEqual(want);
      });
      for (let i = 0; i < 200; i++) expect(lookup(tail, randomTraceId(random))).toEqual([]);
    });
  });

  it('reports isFull at capacity and tracks time ranges overall and per partition', () => {
    const tail = new IndexTail(2, 3);
    expect(tail.minStartTimeUnixNano).toBe(UNIX_NANO_MAX);
    expect(tail.maxStartTimeUnixNano).toBe(0n);
    addRecord(tail, 1, 32, [A, B], 50n, 60n);
    expect(tail.isFull).toBe(false);
    addRecord(tail, 1, 200, [C], 5n, 7n);
    expect(tail.isFull).toBe(true);
    expect(tail.minStartTimeUnixNano).toBe(5n);
    expect(tail.maxStartTimeUnixNano).toBe(60n);
    tail.freeze();
    const columns = tail.sealedColumns();
    for (let p = 0; p < 2; p++) {
      const ids = [A, B, C].filter((id) => hashesOf(id)[0]! % 2 === p);
      const mins = ids.map((id) => (id === C ? 5n : 50n));
      const maxes = ids.map((id) => (id === C ? 7n : 60n));
      expect(columns.partitionEntryCounts[p]).toBe(ids.length);
      expect(columns.partitionMinStartTimes[p]).toBe(ids.length === 0 ? UNIX_NANO_MAX : mins.reduce((a, b) => (a < b ? a : b)));
      expect(columns.partitionMaxStartTimes[p]).toBe(ids.length === 0 ? 0n : maxes.reduce((a, b) => (a > b ? a : b)));
    }
  });

  it('handles a batch-sized record: staging growth and a 65,535-span entry', () => {
    const tail = new IndexTail(16, 16);
    const ids = Array.from({ length: 3000 }, (_, n) => {
      const id = new Uint8Array(16);
      new DataView(id.buffer).setUint32(12, n + 1);
      return id;
    });
    addRecord(tail, 1, 32, [...ids, ...ids, A]);
    expect(tail.entryCount).toBe(3001);
    expect(lookup(tail, ids[2999]!)).toEqual([{ segmentId: 1, fileOffset: 32, recordLength: 100, spanCount: 2 }]);
    addRecord(tail, 1, 132, new Array<Uint8Array>(65_535).fill(A));
    expect(lookup(tail, A).map((h) => h.spanCount)).toEqual([1, 65_535]);
  });

  it('refuses adds once frozen or out of order, and still answers lookups', () => {
    const tail = new IndexTail(4, 16);
    addRecord(tail, 2, 32, [A]);
    expect(() => tail.beginRecord(2, 32, 100, 1n, 2n)).toThrow(/BUG/);
    expect(() => tail.beginRecord(1, 900, 100, 1n, 2n)).toThrow(/BUG/);
    expect(() => tail.addSpans(A, 0, 1)).toThrow(/BUG/);
    tail.freeze();
    expect(() => tail.beginRecord(3, 32, 100, 1n, 2n)).toThrow(/BUG/);
    expect(lookup(tail, A)).toHaveLength(1);
  });
});
