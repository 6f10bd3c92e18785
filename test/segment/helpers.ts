// Shared fixtures for the segment tests: temp directories, a seeded PRNG, records, fault injection.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { zstdCompress } from '../../src/codec/zstd.js';
import { CODEC_NONE, CODEC_ZSTD } from '../../src/constants.js';
import { TraceKvError, type TraceKvErrorCode } from '../../src/errors.js';
import { type FileLayer, nodeFileLayer } from '../../src/io/file-layer.js';
import { encodeRecord } from '../../src/segment/record-codec.js';
import type { SegmentHeader } from '../../src/segment/segment-header.js';
import { SegmentWriter } from '../../src/segment/segment-writer.js';

export function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tracekv-segment-'));
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export { seededRandom } from '../helpers/rng.js';

/** Batch-like bytes: the segment layer treats a batch as opaque, so half text, half noise will do. */
export function fakeBatch(random: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  const text = new TextEncoder().encode('span http.request GET /api/v1/traces service=frontend ');
  for (let i = 0; i < length; i++) bytes[i] = random() < 0.5 ? text[i % text.length] : Math.floor(random() * 256);
  return bytes;
}

export interface TestRecord {
  batch: Uint8Array;
  record: Uint8Array;
  codec: number;
  minStart: bigint;
  maxStart: bigint;
  spanCount: number;
}

export async function makeRecord(random: () => number, length: number, codec = CODEC_ZSTD, level = 1): Promise<TestRecord> {
  const batch = fakeBatch(random, length);
  const compressed = codec === CODEC_ZSTD ? await zstdCompress(batch, level) : new Uint8Array(0);
  const minStart = 1_700_000_000_000_000_000n + BigInt(Math.floor(random() * 1e9));
  const maxStart = minStart + BigInt(Math.floor(random() * 1e9));
  const spanCount = 1 + Math.floor(random() * 1000);
  const record = encodeRecord(batch, codec, compressed, minStart, maxStart, spanCount);
  return { batch, record, codec, minStart, maxStart, spanCount };
}

export { CODEC_NONE, CODEC_ZSTD };

/** A FileLayer that behaves like the real one except for the methods overridden. */
export function faultyLayer(overrides: Partial<FileLayer>): FileLayer {
  return { ...nodeFileLayer, ...overrides };
}

export function errnoError(code: string, message: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${message}`);
  error.code = code;
  return error;
}

/** Runs `action` and returns its TraceKvError, failing the test if it returns or throws anything else. */
export function catchTraceKvError(action: () => unknown, context = ''): TraceKvError {
  try {
    action();
  } catch (error) {
    expect(error, context).toBeInstanceOf(TraceKvError);
    return error as TraceKvError;
  }
  throw new Error(`expected a TraceKvError ${context}`);
}

export async function catchTraceKvErrorAsync(action: () => Promise<unknown>, context = ''): Promise<TraceKvError> {
  try {
    await action();
  } catch (error) {
    expect(error, context).toBeInstanceOf(TraceKvError);
    return error as TraceKvError;
  }
  throw new Error(`expected a TraceKvError ${context}`);
}

export function expectCode(error: TraceKvError, code: TraceKvErrorCode, context = ''): void {
  expect(error.code, `${context}: ${error.message}`).toBe(code);
}

/** A synced segment at `file` holding one seeded record per length; where each starts and where the file ends. */
export async function writeTestSegment(
  file: string,
  header: SegmentHeader,
  random: () => number,
  lengths: readonly number[],
): Promise<{ records: TestRecord[]; offsets: number[]; endOffset: number }> {
  const records: TestRecord[] = [];
  for (const length of lengths) records.push(await makeRecord(random, length));
  const writer = await SegmentWriter.create(nodeFileLayer, file, header);
  const offsets = records.map((r) => writer.append(r.record));
  await writer.sync();
  writer.close();
  return { records, offsets, endOffset: writer.endOffset };
}
