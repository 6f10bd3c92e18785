/** Shared test helpers for the index tests: seeded randomness, temp dirs, a trace model and file surgery. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32c } from '../../src/codec/crc32c.js';
import { traceHash } from '../../src/codec/trace-hash.js';
import { IndexTail } from '../../src/index/index-tail.js';
import { LocationList } from '../../src/index/location-list.js';

export { seededRandom } from '../helpers/rng.js';

export function randomInt(random: () => number, below: number): number {
  return Math.floor(random() * below);
}

/** Runs `body`, adding the seed to any failure so the case can be replayed. */
export function withSeed<T>(seed: number, body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof Error) error.message = `[seed ${seed}] ${error.message}`;
    throw error;
  }
}

export function randomTraceId(random: () => number): Uint8Array {
  const id = new Uint8Array(16);
  for (let i = 0; i < 16; i++) id[i] = randomInt(random, 256);
  if (id.every((b) => b === 0)) id[15] = 1;
  return id;
}

export function hexOf(bytes: Uint8Array, at = 0, length = 16): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + at, length).toString('hex');
}

export function makeTempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tracekv-${label}-`));
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export interface Hit {
  segmentId: number;
  fileOffset: number;
  recordLength: number;
  spanCount: number;
}

export function hitsOf(list: LocationList): Hit[] {
  const hits: Hit[] = [];
  for (let i = 0; i < list.length; i++) {
    hits.push({
      segmentId: list.segmentIds[i]!,
      fileOffset: list.fileOffsets[i]!,
      recordLength: list.recordLengths[i]!,
      spanCount: list.spanCounts[i]!,
    });
  }
  return hits;
}

export interface ModelRecord {
  segmentId: number;
  fileOffset: number;
  recordLength: number;
  minStart: bigint;
  maxStart: bigint;
  /** Indexes into `traceIds`, one per span, in trailer order. */
  spans: number[];
}

/** A random generation's worth of records and the expected index hits of every trace. */
export interface TraceModel {
  traceIds: Uint8Array[];
  records: ModelRecord[];
  /** Per trace: hits in arrival order, with the record's time range. */
  expected: Array<Array<Hit & { minStart: bigint; maxStart: bigint }>>;
  entryCount: number;
  end: { segmentId: number; fileOffset: number };
}

/**
 * Records of 1..maxSpans spans each; traces are drawn with a skew (a few hot traces span many
 * records, most appear once or twice) until about `targetEntries` entries exist.
 */
export function buildModel(random: () => number, targetEntries: number, traceCount: number, maxSpans: number): TraceModel {
  const traceIds = Array.from({ length: traceCount }, () => randomTraceId(random));
  const expected: TraceModel['expected'] = traceIds.map(() => []);
  const records: ModelRecord[] = [];
  let segmentId = 1;
  let fileOffset = 32;
  let entryCount = 0;
  const base = 1_700_000_000_000_000_000n;
  while (entryCount < targetEntries) {
    const spanCount = 1 + randomInt(random, maxSpans);
    const recordLength = 48 + 100 + randomInt(random, 5000);
    const minStart = base + BigInt(randomInt(random, 1_000_000)) * 1_000_000n;
    const maxStart = minStart + BigInt(randomInt(random, 10_000)) * 1_000n;
    const spans: number[] = [];
    const seen = new Map<number, number>();
    for (let s = 0; s < spanCount; s++) {
      // Squaring a uniform value skews picks toward low indexes: hot traces.
      const trace = Math.floor(random() * random() * traceCount);
      spans.push(trace);
      const hits = expected[trace]!;
      if (seen.has(trace)) {
        hits[seen.get(trace)!]!.spanCount++;
      } else {
        seen.set(trace, hits.length);
        hits.push({ segmentId, fileOffset, recordLength, spanCount: 1, minStart, maxStart });
        entryCount++;
      }
    }
    records.push({ segmentId, fileOffset, recordLength, minStart, maxStart, spans });
    fileOffset += recordLength;
    if (random() < 0.02) {
      segmentId++;
      fileOffset = 32;
    }
  }
  return { traceIds, records, expected, entryCount, end: { segmentId, fileOffset } };
}

/** Feeds the model's records to a tail; span trace ids sit inside a fake batch at odd offsets. */
export function fillTail(tail: IndexTail, model: TraceModel): void {
  for (const record of model.records) {
    // A trailer-like buffer: 40-byte entries after a 3-byte pad, so ids are unaligned.
    const batch = new Uint8Array(3 + record.spans.length * 40);
    record.spans.forEach((trace, i) => batch.set(model.traceIds[trace]!, 3 + i * 40));
    tail.beginRecord(record.segmentId, record.fileOffset, record.recordLength, record.minStart, record.maxStart);
    for (let i = 0; i < record.spans.length; i++) tail.addSpans(batch, 3 + i * 40, 1);
    tail.endRecord();
  }
}

export function hashesOf(traceId: Uint8Array): Uint32Array {
  const hashes = new Uint32Array(3);
  traceHash(traceId, 0, hashes);
  return hashes;
}

// ---- Chunk file surgery: parse rows straight from the bytes, independent of the writer's planner.

export interface ParsedRow {
  entryCount: number;
  bucketCount: number;
  filterBlockCount: number;
  residentOffset: number;
  entriesOffset: number;
}

export function parseRows(bytes: Uint8Array): ParsedRow[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const partitionCount = view.getUint32(16, true);
  const rows: ParsedRow[] = [];
  for (let p = 0; p < partitionCount; p++) {
    const at = 64 + p * 40;
    rows.push({
      entryCount: view.getUint32(at, true),
      bucketCount: view.getUint32(at + 4, true),
      filterBlockCount: view.getUint32(at + 8, true),
      residentOffset: view.getUint32(at + 12, true),
      entriesOffset: view.getUint32(at + 16, true),
    });
  }
  return rows;
}

export function entriesStartOf(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entryCount = view.getUint32(20, true);
  return bytes.length - entryCount * 32;
}

/** File range [start, end) of the bucket that a lookup of `traceId` reads, or null if its partition is empty. */
export function bucketRangeOf(bytes: Uint8Array, traceId: Uint8Array): { start: number; end: number; crcAt: number } | null {
  const hashes = hashesOf(traceId);
  const rows = parseRows(bytes);
  const row = rows[hashes[0]! % rows.length]!;
  if (row.entryCount === 0) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bucket = hashes[1]! % row.bucketCount;
  const directoryAt = row.residentOffset + row.filterBlockCount * 32;
  const first = view.getUint32(directoryAt + bucket * 4, true);
  const end = view.getUint32(directoryAt + (bucket + 1) * 4, true);
  const crcAt = directoryAt + (row.bucketCount + 1) * 4 + bucket * 4;
  return { start: row.entriesOffset + first * 32, end: row.entriesOffset + end * 32, crcAt };
}

/** Recomputes every bucket CRC (from the directories as they stand), then residentCrc and headerCrc. */
export function resealCrcs(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const row of parseRows(bytes)) {
    if (row.entryCount === 0) continue;
    const directoryAt = row.residentOffset + row.filterBlockCount * 32;
    const crcAt = directoryAt + (row.bucketCount + 1) * 4;
    for (let b = 0; b < row.bucketCount; b++) {
      const first = view.getUint32(directoryAt + b * 4, true);
      const end = view.getUint32(directoryAt + (b + 1) * 4, true);
      view.setUint32(crcAt + b * 4, crc32c(bytes, row.entriesOffset + first * 32, row.entriesOffset + end * 32), true);
    }
  }
  resealResidentAndHeader(bytes, entriesStartOf(bytes));
}

export function resealResidentAndHeader(bytes: Uint8Array, entriesStart: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(56, crc32c(bytes, 64, entriesStart), true);
  view.setUint32(60, crc32c(bytes, 0, 60), true);
}
