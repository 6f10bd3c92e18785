// Proves a chunk file built from a tail, written and reopened answers every lookup exactly like
// the tail (and like an independent model), skips by time without ever dropping a match, and that
// forEachEntry visits every entry, for P = 16 and P = 256.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNIX_NANO_MAX } from '../../src/constants.js';
import { nodeFileLayer } from '../../src/io/file-layer.js';
import { ChunkFile } from '../../src/index/chunk-file.js';
import { buildChunkFile, writeChunkFile } from '../../src/index/chunk-writer.js';
import { IndexTail } from '../../src/index/index-tail.js';
import { LocationList } from '../../src/index/location-list.js';
import {
  type TraceModel,
  buildModel,
  fillTail,
  hashesOf,
  hexOf,
  hitsOf,
  makeTempDir,
  randomInt,
  randomTraceId,
  removeTempDir,
  seededRandom,
  withSeed,
} from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = makeTempDir('chunk-round-trip');
});
afterAll(() => removeTempDir(dir));

async function sealed(model: TraceModel, partitionCount: number, chunkSeq: number): Promise<{ tail: IndexTail; chunk: ChunkFile }> {
  const tail = new IndexTail(partitionCount, model.entryCount);
  fillTail(tail, model);
  const meta = { generationId: 7, chunkSeq, from: { segmentId: 1, fileOffset: 32 }, to: model.end };
  const bytes = buildChunkFile(tail, meta);
  const fileName = `idx-${String(chunkSeq).padStart(10, '0')}.tki`;
  await writeChunkFile(nodeFileLayer, dir, fileName, bytes);
  const chunk = ChunkFile.open(nodeFileLayer, path.join(dir, fileName), { generationId: 7, chunkSeq, partitionCount });
  return { tail, chunk };
}

describe.each([16, 256])('chunk file round trip with P = %i', (partitionCount) => {
  const seed = 0xc0ffee + partitionCount;
  let model: TraceModel;
  let tail: IndexTail;
  let chunk: ChunkFile;

  beforeAll(async () => {
    model = buildModel(seededRandom(seed), 50_000, 30_000, 60);
    ({ tail, chunk } = await sealed(model, partitionCount, partitionCount === 16 ? 1 : 2));
  });
  afterAll(() => chunk.close());

  it('carries header facts through', () => {
    expect(chunk.entryCount).toBe(model.entryCount);
    expect(chunk.partitionCount).toBe(partitionCount);
    expect(chunk.from).toEqual({ segmentId: 1, fileOffset: 32 });
    expect(chunk.to).toEqual(model.end);
    expect(chunk.minStartTimeUnixNano).toBe(model.records.reduce((a, r) => (r.minStart < a ? r.minStart : a), UNIX_NANO_MAX));
    expect(chunk.maxStartTimeUnixNano).toBe(model.records.reduce((a, r) => (r.maxStart > a ? r.maxStart : a), 0n));
    expect(chunk.residentBytes).toBeLessThan(chunk.fileBytes / 4);
  });

  it('answers every trace exactly like the tail and the model, and misses with nothing', () => {
    withSeed(seed, () => {
      const fromChunk = new LocationList();
      const fromTail = new LocationList();
      model.traceIds.forEach((id, trace) => {
        const hashes = hashesOf(id);
        fromChunk.clear();
        fromTail.clear();
        chunk.lookup(id, 0, hashes, hashes[0]! % partitionCount, null, fromChunk);
        tail.lookup(id, 0, hashes, fromTail);
        const want = model.expected[trace]!.map(({ segmentId, fileOffset, recordLength, spanCount }) => ({ segmentId, fileOffset, recordLength, spanCount }));
        expect(hitsOf(fromTail)).toEqual(want);
        expect(hitsOf(fromChunk)).toEqual(want);
      });
      const random = seededRandom(seed + 1);
      for (let i = 0; i < 5000; i++) {
        const id = randomTraceId(random);
        const hashes = hashesOf(id);
        fromChunk.clear();
        chunk.lookup(id, 0, hashes, hashes[0]! % partitionCount, null, fromChunk);
        expect(fromChunk.length).toBe(0);
      }
    });
  });

  it('skips partitions by time and never drops a matching entry', () => {
    withSeed(seed, () => {
      const random = seededRandom(seed + 2);
      // Partition time ranges per the model, to say exactly when a partition must be skipped.
      const partitionMin = new Array<bigint>(partitionCount).fill(UNIX_NANO_MAX);
      const partitionMax = new Array<bigint>(partitionCount).fill(0n);
      model.traceIds.forEach((id, trace) => {
        const p = hashesOf(id)[0]! % partitionCount;
        for (const hit of model.expected[trace]!) {
          if (hit.minStart < partitionMin[p]!) partitionMin[p] = hit.minStart;
          if (hit.maxStart > partitionMax[p]!) partitionMax[p] = hit.maxStart;
        }
      });
      const lo = chunk.minStartTimeUnixNano;
      const span = chunk.maxStartTimeUnixNano - lo;
      const out = new LocationList();
      let skipped = 0;
      for (let i = 0; i < 3000; i++) {
        const trace = randomInt(random, model.traceIds.length);
        const id = model.traceIds[trace]!;
        const hashes = hashesOf(id);
        const p = hashes[0]! % partitionCount;
        // Narrow windows, so some partitions (especially with P = 256) really are skipped.
        const start = lo - span / 10n + (span * BigInt(randomInt(random, 1200))) / 1000n;
        const end = start + (span * BigInt(randomInt(random, 3))) / 1000n;
        out.clear();
        chunk.lookup(id, 0, hashes, p, { startTimeUnixNano: start < 0n ? 0n : start, endTimeUnixNano: end }, out);
        const overlaps = partitionMin[p]! <= end && partitionMax[p]! >= start;
        const all = model.expected[trace]!;
        const matching = all.filter((h) => h.minStart <= end && h.maxStart >= start);
        if (!overlaps) {
          skipped++;
          expect(matching).toEqual([]);
          expect(out.length).toBe(0);
        } else {
          expect(out.length).toBe(all.length);
        }
      }
      expect(skipped).toBeGreaterThan(0);
    });
  });

  it('forEachEntry visits every entry once, with valid placement', () => {
    const seen = new Map<string, number>();
    let misplaced = 0;
    chunk.forEachEntry((bytes, at, partition) => {
      if (hashesOf(bytes.slice(at, at + 16))[0]! % partitionCount !== partition) misplaced++;
      const view = new DataView(bytes.buffer, bytes.byteOffset + at, 32);
      const key = `${hexOf(bytes, at)}/${view.getUint32(16, true)}/${view.getUint32(20, true)}`;
      seen.set(key, view.getUint16(28, true));
    });
    expect(misplaced).toBe(0);
    expect(seen.size).toBe(model.entryCount);
    const wrong = model.traceIds.flatMap((id, trace) =>
      model.expected[trace]!.filter((hit) => seen.get(`${hexOf(id)}/${hit.segmentId}/${hit.fileOffset}`) !== hit.spanCount),
    );
    expect(wrong).toEqual([]);
  });
});

describe('empty chunk', () => {
  it('round-trips an empty tail: header only plus an all-zero partition table', async () => {
    const tail = new IndexTail(8, 16);
    const bytes = buildChunkFile(tail, { generationId: 3, chunkSeq: 9, from: { segmentId: 2, fileOffset: 500 }, to: { segmentId: 2, fileOffset: 500 } });
    expect(bytes.length).toBe(64 + 8 * 40);
    await writeChunkFile(nodeFileLayer, dir, 'empty.tki', bytes);
    const chunk = ChunkFile.open(nodeFileLayer, path.join(dir, 'empty.tki'), { generationId: 3, chunkSeq: 9, partitionCount: 8 });
    expect(chunk.entryCount).toBe(0);
    expect(chunk.minStartTimeUnixNano).toBe(UNIX_NANO_MAX);
    expect(chunk.maxStartTimeUnixNano).toBe(0n);
    const out = new LocationList();
    const hashes = hashesOf(new Uint8Array(16).fill(1));
    chunk.lookup(new Uint8Array(16).fill(1), 0, hashes, hashes[0]! % 8, null, out);
    expect(out.length).toBe(0);
    let visited = 0;
    chunk.forEachEntry(() => visited++);
    expect(visited).toBe(0);
    chunk.close();
    chunk.close();
  });
});
