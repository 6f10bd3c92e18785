// Proves the chunk file and index entry codecs never hand back wrong data from damaged bytes: every
// truncation and every flipped byte is caught (open fails, or exactly the lookups that read the
// damaged bucket fail), and every §4.3 layout rule is enforced even when the CRCs are made to match.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceKvError } from '../../src/errors.js';
import { nodeFileLayer } from '../../src/io/file-layer.js';
import { ChunkFile } from '../../src/index/chunk-file.js';
import { buildChunkFile } from '../../src/index/chunk-writer.js';
import { IndexTail } from '../../src/index/index-tail.js';
import { LocationList } from '../../src/index/location-list.js';
import {
  type TraceModel,
  bucketRangeOf,
  buildModel,
  entriesStartOf,
  fillTail,
  hashesOf,
  hitsOf,
  makeTempDir,
  parseRows,
  randomTraceId,
  removeTempDir,
  resealCrcs,
  resealResidentAndHeader,
  seededRandom,
  withSeed,
} from './helpers.js';

const PARTITIONS = 4;
const EXPECTED = { generationId: 5, chunkSeq: 3, partitionCount: PARTITIONS };
const SEED = 0xdead10cc;

let dir: string;
let filePath: string;
let model: TraceModel;
let clean: Uint8Array;

beforeAll(() => {
  dir = makeTempDir('chunk-corruption');
  filePath = path.join(dir, 'idx-0000000003.tki');
  model = buildModel(seededRandom(SEED), 40, 25, 4);
  const tail = new IndexTail(PARTITIONS, 64);
  fillTail(tail, model);
  clean = buildChunkFile(tail, { generationId: 5, chunkSeq: 3, from: { segmentId: 1, fileOffset: 32 }, to: model.end });
});
afterAll(() => removeTempDir(dir));

function openBytes(bytes: Uint8Array, expected = EXPECTED): ChunkFile {
  fs.writeFileSync(filePath, bytes);
  return ChunkFile.open(nodeFileLayer, filePath, expected);
}

function corruptCode(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (!(error instanceof TraceKvError)) throw error;
    if (process.env.TRACEKV_PRINT_ERRORS) console.log(error.message);
    expect(error.file).toBe(filePath);
    return error.code;
  }
  return 'no error';
}

function lookupHits(chunk: ChunkFile, traceId: Uint8Array): ReturnType<typeof hitsOf> {
  const out = new LocationList();
  const hashes = hashesOf(traceId);
  chunk.lookup(traceId, 0, hashes, hashes[0]! % PARTITIONS, null, out);
  return hitsOf(out);
}

function wantHits(trace: number): ReturnType<typeof hitsOf> {
  return model.expected[trace]!.map(({ segmentId, fileOffset, recordLength, spanCount }) => ({ segmentId, fileOffset, recordLength, spanCount }));
}

/** A copy of the clean file changed by `edit`, with CRCs recomputed so only the edit itself is wrong. */
function edited(edit: (view: DataView, bytes: Uint8Array) => void, reseal: 'all' | 'resident' = 'all'): Uint8Array {
  const bytes = clean.slice();
  edit(new DataView(bytes.buffer), bytes);
  if (reseal === 'all') resealCrcs(bytes);
  else resealResidentAndHeader(bytes, entriesStartOf(clean));
  return bytes;
}

describe('chunk file codec robustness', () => {
  it('opens the clean file and answers every trace', () => {
    expect(model.entryCount).toBeGreaterThanOrEqual(40);
    const chunk = openBytes(clean);
    model.traceIds.forEach((id, trace) => expect(lookupHits(chunk, id)).toEqual(wantHits(trace)));
    chunk.close();
  });

  it('rejects every proper prefix of the file', () => {
    for (let length = 0; length < clean.length; length++) {
      expect([length, corruptCode(() => openBytes(clean.subarray(0, length)))]).toEqual([length, 'ERR_INDEX_CORRUPT']);
    }
  });

  it('rejects a trailing byte', () => {
    const longer = new Uint8Array(clean.length + 1);
    longer.set(clean);
    expect(corruptCode(() => openBytes(longer))).toBe('ERR_INDEX_CORRUPT');
  });

  // Strongest statement that holds for a flipped byte (xor 0xff, an 8-bit burst, which CRC-32C
  // always detects): in the header, partition table, filters, directories or bucket CRCs, open
  // fails (header CRC or residentCrc). In the entries region open succeeds, and then exactly the
  // lookups that read the damaged bucket fail; every other lookup returns exactly the right hits.
  // No flip ever yields a wrong answer or a lost hit.
  it('catches every flipped byte: at open before the entries region, at lookup of that bucket after', () => {
    withSeed(SEED, () => {
      const entriesStart = entriesStartOf(clean);
      const missRandom = seededRandom(~SEED);
      const known = new Set(model.traceIds.map((id) => Buffer.from(id).toString('hex')));
      const misses = Array.from({ length: 20 }, () => randomTraceId(missRandom)).filter((id) => !known.has(Buffer.from(id).toString('hex')));
      for (let at = 0; at < clean.length; at++) {
        const bytes = clean.slice();
        bytes[at]! ^= 0xff;
        if (at < entriesStart) {
          expect([at, corruptCode(() => openBytes(bytes))]).toEqual([at, 'ERR_INDEX_CORRUPT']);
          continue;
        }
        const chunk = openBytes(bytes);
        try {
          expect([at, corruptCode(() => chunk.forEachEntry(() => {}))]).toEqual([at, 'ERR_INDEX_CORRUPT']);
          let failedLookups = 0;
          model.traceIds.forEach((id, trace) => {
            const range = bucketRangeOf(clean, id)!;
            const inDamagedBucket = at >= range.start && at < range.end;
            if (inDamagedBucket && model.expected[trace]!.length > 0) {
              // The filter has no false negatives, so this bucket is surely read.
              expect([at, trace, corruptCode(() => lookupHits(chunk, id))]).toEqual([at, trace, 'ERR_INDEX_CORRUPT']);
              failedLookups++;
            } else if (inDamagedBucket) {
              // No hits: the filter may stop it before the read; either way never a wrong hit.
              let hits: unknown = 'threw';
              const code = corruptCode(() => (hits = lookupHits(chunk, id)));
              expect(code === 'ERR_INDEX_CORRUPT' || (code === 'no error' && (hits as unknown[]).length === 0)).toBe(true);
            } else {
              expect([at, trace, lookupHits(chunk, id)]).toEqual([at, trace, wantHits(trace)]);
            }
          });
          // Every byte of the entries region belongs to some entry, whose own trace reads it.
          expect(failedLookups).toBeGreaterThan(0);
          for (const id of misses) {
            let hits: unknown = 'threw';
            const code = corruptCode(() => (hits = lookupHits(chunk, id)));
            expect([at, code, hits]).toEqual([at, code, code === 'no error' ? [] : 'threw']);
          }
        } finally {
          chunk.close();
        }
      }
    });
  });
});

describe('index entry checks (bucket CRC made to match)', () => {
  /** File offset of the first entry of the first trace that has hits, and that trace. */
  function firstEntry(): { at: number; trace: number } {
    const trace = model.expected.findIndex((hits) => hits.length > 0);
    const range = bucketRangeOf(clean, model.traceIds[trace]!)!;
    for (let at = range.start; at < range.end; at += 32) {
      if (Buffer.from(clean.subarray(at, at + 16)).equals(Buffer.from(model.traceIds[trace]!))) return { at, trace };
    }
    throw new Error('entry not found');
  }

  it('rejects non-zero entry flags and a zero spanCount at lookup and in forEachEntry', () => {
    const { at, trace } = firstEntry();
    for (const edit of [(v: DataView) => v.setUint16(at + 30, 1, true), (v: DataView) => v.setUint16(at + 28, 0, true)]) {
      const chunk = openBytes(edited(edit));
      expect(corruptCode(() => lookupHits(chunk, model.traceIds[trace]!))).toBe('ERR_INDEX_CORRUPT');
      expect(corruptCode(() => chunk.forEachEntry(() => {}))).toBe('ERR_INDEX_CORRUPT');
      chunk.close();
    }
  });

  it('forEachEntry rejects an entry in the wrong bucket, outside the coverage, or with a short record', () => {
    const { at } = firstEntry();
    const edits = [
      (v: DataView) => v.setUint32(at, v.getUint32(at, true) ^ 1, true), // another trace id: wrong partition/bucket
      (v: DataView) => v.setUint32(at + 16, 0, true), // segment 0 is before coverage start (1, 32)
      (v: DataView) => v.setUint32(at + 16, model.end.segmentId + 1, true), // past coverage end
      (v: DataView) => v.setUint32(at + 24, 47, true), // shorter than a record header
    ];
    for (const edit of edits) {
      const chunk = openBytes(edited(edit));
      expect(corruptCode(() => chunk.forEachEntry(() => {}))).toBe('ERR_INDEX_CORRUPT');
      chunk.close();
    }
  });
});

describe('chunk layout rules (CRCs made to match)', () => {
  it('accepts the clean file once resealed, so each rule below fails on its own', () => {
    openBytes(edited(() => {})).close();
    openBytes(edited(() => {}, 'resident')).close();
  });

  it('checks header fields against the caller and the format', () => {
    const cases: Array<[string, Uint8Array, typeof EXPECTED?]> = [
      ['version', edited((v) => v.setUint16(4, 2, true))],
      ['flags', edited((v) => v.setUint16(6, 1, true))],
      ['magic', edited((v) => v.setUint32(0, 0x49564b55, true))],
      ['generationId', clean, { ...EXPECTED, generationId: 6 }],
      ['chunkSeq', clean, { ...EXPECTED, chunkSeq: 4 }],
      ['partitionCount', clean, { ...EXPECTED, partitionCount: 8 }],
      ['from after to', edited((v) => v.setUint32(24, model.end.segmentId + 1, true))],
      ['entryCount', edited((v) => v.setUint32(20, v.getUint32(20, true) - 1, true))],
      ['min time', edited((v) => v.setBigUint64(40, v.getBigUint64(40, true) - 1n, true))],
      ['max time', edited((v) => v.setBigUint64(48, v.getBigUint64(48, true) + 1n, true))],
    ];
    for (const [name, bytes, expected] of cases) expect([name, corruptCode(() => openBytes(bytes, expected))]).toEqual([name, 'ERR_INDEX_CORRUPT']);
  });

  it('checks every partition table field and directory exactly', () => {
    const rows = parseRows(clean);
    const row = rows.findIndex((r) => r.bucketCount >= 2);
    expect(row).toBeGreaterThanOrEqual(0);
    const rowAt = 64 + row * 40;
    const directoryAt = rows[row]!.residentOffset + rows[row]!.filterBlockCount * 32;
    const buckets = rows[row]!.bucketCount;
    const cases: Array<[string, (v: DataView) => void]> = [
      ['bucketCount', (v) => v.setUint32(rowAt + 4, buckets + 1, true)],
      ['filterBlockCount', (v) => v.setUint32(rowAt + 8, 2, true)],
      ['residentOffset', (v) => v.setUint32(rowAt + 12, v.getUint32(rowAt + 12, true) + 4, true)],
      ['entriesOffset', (v) => v.setUint32(rowAt + 16, v.getUint32(rowAt + 16, true) + 32, true)],
      ['reserved', (v) => v.setUint32(rowAt + 20, 1, true)],
      ['min > max', (v) => v.setBigUint64(rowAt + 24, v.getBigUint64(rowAt + 32, true) + 1n, true)],
      ['dir[0]', (v) => v.setUint32(directoryAt, 1, true)],
      ['dir[last]', (v) => v.setUint32(directoryAt + buckets * 4, v.getUint32(directoryAt + buckets * 4, true) - 1, true)],
      ['dir decreasing', (v) => v.setUint32(directoryAt + 4, v.getUint32(directoryAt + buckets * 4, true) + 1, true)],
    ];
    for (const [name, edit] of cases) expect([name, corruptCode(() => openBytes(edited(edit, 'resident')))]).toEqual([name, 'ERR_INDEX_CORRUPT']);
  });

  it('requires empty partitions to be all zero and empty buckets to have CRC 0', () => {
    // P = 64 with 3 traces leaves most partitions empty and most buckets... one bucket each.
    const tail = new IndexTail(64, 16);
    const ids = [1, 2, 3].map((n) => new Uint8Array(16).fill(n));
    tail.beginRecord(1, 32, 100, 10n, 20n);
    for (const id of ids) tail.addSpans(id, 0, 1);
    tail.endRecord();
    const small = buildChunkFile(tail, { ...EXPECTED, from: { segmentId: 1, fileOffset: 32 }, to: { segmentId: 1, fileOffset: 132 } });
    const expected = { ...EXPECTED, partitionCount: 64 };
    openBytes(small, expected).close();
    const rows = parseRows(small);
    const empty = rows.findIndex((r) => r.entryCount === 0);
    const entriesStart = entriesStartOf(small);
    for (const field of [4, 8, 12, 16, 20, 24, 32]) {
      const bytes = small.slice();
      new DataView(bytes.buffer).setUint32(64 + empty * 40 + field, 1, true);
      resealResidentAndHeader(bytes, entriesStart);
      expect([field, corruptCode(() => openBytes(bytes, expected))]).toEqual([field, 'ERR_INDEX_CORRUPT']);
    }
    // Ten entries in one partition make two buckets; force the directory to put them all in bucket 0.
    const tail2 = new IndexTail(1, 16);
    tail2.beginRecord(1, 32, 100, 10n, 20n);
    for (let n = 1; n <= 10; n++) tail2.addSpans(new Uint8Array(16).fill(n), 0, 1);
    tail2.endRecord();
    const two = buildChunkFile(tail2, { ...EXPECTED, from: { segmentId: 1, fileOffset: 32 }, to: { segmentId: 1, fileOffset: 132 } });
    const row = parseRows(two)[0]!;
    expect(row.bucketCount).toBe(2);
    const directoryAt = row.residentOffset + row.filterBlockCount * 32;
    const bytes = two.slice();
    new DataView(bytes.buffer).setUint32(directoryAt + 4, 10, true); // bucket 1 now empty, its CRC still non-zero
    resealResidentAndHeader(bytes, entriesStartOf(two));
    expect(corruptCode(() => openBytes(bytes, { ...EXPECTED, partitionCount: 1 }))).toBe('ERR_INDEX_CORRUPT');
  });
});
