// Proves recovery pass 3 (data-format.md §5.5): damage with nothing valid after it is a torn tail only in the last segment, and damage followed by any valid record is ERR_SEGMENT_CORRUPT naming the file and the damaged record's offset.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES } from '../../src/constants.js';
import { nodeFileLayer } from '../../src/io/file-layer.js';
import { SCAN_WINDOW_BYTES, scanSegment, type ScanOptions } from '../../src/segment/segment-scan.js';
import { encodeSegmentHeader } from '../../src/segment/segment-header.js';
import { SegmentWriter } from '../../src/segment/segment-writer.js';
import { catchTraceKvError, expectCode, makeRecord, makeTempDir, removeTempDir, seededRandom, type TestRecord } from './helpers.js';

const HEADER = { generationId: 2, segmentId: 9, createdAtMs: 1_718_000_000_000 };
const SEED = 0x5ca9;

let dir: string;
let file: string;
let records: TestRecord[];
let offsets: number[];
let fileEnd: number;

beforeEach(async () => {
  dir = makeTempDir();
  file = path.join(dir, 'seg-0000000009.tkv');
  const random = seededRandom(SEED);
  records = [];
  for (let i = 0; i < 5; i++) records.push(await makeRecord(random, 400 + 200 * i));
  const writer = await SegmentWriter.create(nodeFileLayer, file, HEADER);
  offsets = records.map((r) => writer.append(r.record));
  await writer.sync();
  writer.close();
  fileEnd = writer.endOffset;
});
afterEach(() => removeTempDir(dir));

function scan(options: Partial<ScanOptions> = {}) {
  const seen: number[] = [];
  const result = scanSegment(nodeFileLayer, file, {
    fromOffset: 0,
    isLastSegment: true,
    onRecord: (record) => seen.push(record.fileOffset),
    ...options,
  });
  return { ...result, seen };
}

function scanError(options: Partial<ScanOptions> = {}, context = '') {
  const error = catchTraceKvError(() => scan(options), context);
  expectCode(error, 'ERR_SEGMENT_CORRUPT', context);
  expect(error.file).toBe(file);
  return error;
}

function damageByte(at: number): void {
  const bytes = fs.readFileSync(file);
  bytes[at] ^= 0x40;
  fs.writeFileSync(file, bytes);
}

describe('scanSegment', () => {
  it('walks a clean segment from its first record or from a given offset', () => {
    expect(scan()).toEqual({ endOffset: fileEnd, tornBytes: 0, fileSize: fileEnd, header: HEADER, seen: offsets });
    expect(scan({ fromOffset: offsets[3] }).seen).toEqual(offsets.slice(3));
    expect(scan({ fromOffset: fileEnd }).seen).toEqual([]);
    expect(scanError({ fromOffset: fileEnd + 1 }).message).toContain('scan starts past the end');
  });

  it('reports every cut inside the last record as a torn tail, and as corruption in an earlier segment', () => {
    const lastStart = offsets[4];
    for (let length = fileEnd - 1; length >= lastStart; length--) {
      fs.truncateSync(file, length);
      const context = `cut at ${length}`;
      const result = scan();
      expect(result, context).toMatchObject({ endOffset: lastStart, tornBytes: length - lastStart, fileSize: length });
      expect(result.seen, context).toEqual(offsets.slice(0, 4));
      if (length > lastStart) expect(scanError({ isLastSegment: false }, context).offset).toBe(lastStart);
    }
  });

  it('treats a zero-filled or random extension spanning several scan windows as a torn tail', () => {
    const random = seededRandom(SEED);
    const garbage = new Uint8Array(2 * SCAN_WINDOW_BYTES + 12_345);
    for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(random() * 256);
    for (const extension of [new Uint8Array(4096), new Uint8Array(SCAN_WINDOW_BYTES + 100), garbage]) {
      fs.truncateSync(file, fileEnd);
      fs.appendFileSync(file, extension);
      const context = `extension of ${extension.length} bytes, seed ${SEED}`;
      expect(scan(), context).toMatchObject({ endOffset: fileEnd, tornBytes: extension.length, seen: offsets });
      expect(scanError({ isLastSegment: false }, context).offset).toBe(fileEnd);
    }
  });

  it('reports a damaged byte in record 2 of 5 as mid-file corruption at its offset, last segment or not', () => {
    for (const at of [offsets[1] + 3, offsets[1] + RECORD_HEADER_BYTES + 10]) {
      damageByte(at);
      for (const isLastSegment of [true, false]) {
        const error = scanError({ isLastSegment }, `byte ${at}`);
        expect(error.offset).toBe(offsets[1]);
        expect(error.message).toContain(`${file} at offset ${offsets[1]}`);
        expect(error.message).toContain(`a valid record follows at offset ${offsets[2]}`);
      }
      damageByte(at);
    }
  });

  it('finds a valid record far past the damage, including one straddling two scan windows', () => {
    const firstEnd = offsets[1];
    const later = records[3].record;
    // The search starts one byte after the damage; its first window ends SCAN_WINDOW_BYTES later.
    for (const gap of [3 * SCAN_WINDOW_BYTES, SCAN_WINDOW_BYTES + 1 - 20]) {
      fs.truncateSync(file, firstEnd);
      fs.appendFileSync(file, new Uint8Array(gap).fill(0x54)); // the magic's first byte, to make the search work
      fs.appendFileSync(file, later);
      const error = scanError({}, `gap ${gap}`);
      expect(error.offset).toBe(firstEnd);
      expect(error.message).toContain(`a valid record follows at offset ${firstEnd + gap}`);
    }
  });

  it('ignores a valid header whose body does not fit in the file', () => {
    fs.truncateSync(file, offsets[1]);
    fs.appendFileSync(file, new Uint8Array(1000));
    fs.appendFileSync(file, records[3].record.subarray(0, records[3].record.length - 1));
    expect(scan()).toMatchObject({ endOffset: offsets[1], tornBytes: 1000 + records[3].record.length - 1 });
  });

  it('treats a last segment without a whole header as torn from offset 0, and anything else as corruption', () => {
    const header = encodeSegmentHeader(HEADER);
    const cases: Array<[string, Uint8Array]> = [
      ['empty', new Uint8Array(0)],
      ['partial header', header.subarray(0, 20)],
      ['31 bytes', header.subarray(0, 31)],
      ['zeroed header, no records', new Uint8Array(32)],
    ];
    for (const [name, bytes] of cases) {
      fs.writeFileSync(file, bytes);
      expect(scan(), name).toMatchObject({ endOffset: 0, tornBytes: bytes.length, fileSize: bytes.length, header: null });
      expect(scanError({ isLastSegment: false }, name).offset).toBe(0);
      expect(scanError({ fromOffset: 100 }, name).offset).toBe(0);
    }
    fs.writeFileSync(file, header);
    expect(scan()).toMatchObject({ endOffset: SEGMENT_HEADER_BYTES, tornBytes: 0, header: HEADER, seen: [] });
  });

  it('reports a bad segment header in front of records as corruption, even in the last segment', () => {
    damageByte(12);
    const error = scanError();
    expect(error.offset).toBe(0);
    expect(error.message).toContain('segment header');
  });
});
