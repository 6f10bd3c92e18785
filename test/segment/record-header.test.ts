// Proves the record header round-trips, and that readRecordHeader and isRecordHeaderValid agree on every truncated, bit-flipped or out-of-range header.
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/codec/crc32c.js';
import { BATCH_BYTES_LIMIT, CODEC_NONE, CODEC_ZSTD, RECORD_HEADER_BYTES, UNIX_NANO_MAX } from '../../src/constants.js';
import {
  isRecordHeaderValid,
  RECORD_BODY_BYTES_MAX,
  readRecordHeader,
  type RecordHeader,
  writeRecordHeader,
} from '../../src/segment/record-header.js';
import { catchTraceKvError, expectCode, seededRandom } from './helpers.js';

const FILE = '/data/gen-0000000001/seg-0000000002.tkv';
const FILE_OFFSET = 4096;
const SEED = 0x7ec0bd;
const HEADER: RecordHeader = {
  codec: CODEC_ZSTD,
  bodyLength: 12_345,
  rawLength: 56_789,
  spanCount: 321,
  bodyCrc: 0xdeadbeef,
  minStartTimeUnixNano: 1_718_000_000_000_000_000n,
  maxStartTimeUnixNano: 1_718_000_001_000_000_000n,
};

function encode(header: RecordHeader, at = 0): Uint8Array {
  const bytes = new Uint8Array(at + RECORD_HEADER_BYTES);
  writeRecordHeader(bytes, at, header);
  return bytes;
}

/** Applies `damage`, then fixes the CRC so only the field rule can reject the header. */
function damagedWithCrc(damage: (view: DataView) => void): Uint8Array {
  const bytes = encode(HEADER);
  const view = new DataView(bytes.buffer);
  damage(view);
  view.setUint32(44, crc32c(bytes, 0, 44), true);
  return bytes;
}

function expectInvalid(bytes: Uint8Array, context: string, message?: string): void {
  expect(isRecordHeaderValid(bytes, 0), context).toBe(false);
  const error = catchTraceKvError(() => readRecordHeader(bytes, 0, FILE, FILE_OFFSET), context);
  expectCode(error, 'ERR_SEGMENT_CORRUPT', context);
  expect(error.file).toBe(FILE);
  expect(error.offset).toBe(FILE_OFFSET);
  if (message !== undefined) expect(error.message, context).toContain(message);
}

describe('record header', () => {
  it('round-trips at any position in a buffer, including extreme values', () => {
    const extremes: RecordHeader = {
      codec: CODEC_NONE,
      bodyLength: BATCH_BYTES_LIMIT,
      rawLength: BATCH_BYTES_LIMIT,
      spanCount: 65_535,
      bodyCrc: 0xffff_ffff,
      minStartTimeUnixNano: UNIX_NANO_MAX,
      maxStartTimeUnixNano: UNIX_NANO_MAX,
    };
    for (const header of [HEADER, extremes, { ...HEADER, bodyLength: RECORD_BODY_BYTES_MAX, minStartTimeUnixNano: 0n }]) {
      for (const at of [0, 3, 100]) {
        const bytes = encode(header, at);
        expect(isRecordHeaderValid(bytes, at)).toBe(true);
        expect(readRecordHeader(bytes, at, FILE, FILE_OFFSET)).toEqual(header);
      }
    }
  });

  it('matches the byte layout of data-format.md §3.2', () => {
    const bytes = encode(HEADER);
    const view = new DataView(bytes.buffer);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('TKVR');
    expect([bytes[4], bytes[5], view.getUint16(6, true)]).toEqual([1, CODEC_ZSTD, 0]);
    expect(view.getUint32(8, true)).toBe(HEADER.bodyLength);
    expect(view.getUint32(12, true)).toBe(HEADER.rawLength);
    expect(view.getUint32(16, true)).toBe(HEADER.spanCount);
    expect(view.getUint32(20, true)).toBe(HEADER.bodyCrc);
    expect(view.getBigUint64(24, true)).toBe(HEADER.minStartTimeUnixNano);
    expect(view.getBigUint64(32, true)).toBe(HEADER.maxStartTimeUnixNano);
    expect(view.getUint32(40, true)).toBe(0);
    expect(view.getUint32(44, true)).toBe(crc32c(bytes, 0, 44));
  });

  it('rejects every prefix', () => {
    const bytes = encode(HEADER);
    for (let length = 0; length < RECORD_HEADER_BYTES; length++) {
      expectInvalid(bytes.subarray(0, length), `length ${length}`, `got ${length} bytes; want 48`);
    }
  });

  it('rejects every byte flipped whole and every byte with one random bit flipped', () => {
    const random = seededRandom(SEED);
    const original = encode(HEADER);
    for (let i = 0; i < RECORD_HEADER_BYTES; i++) {
      for (const mask of [0xff, 1 << Math.floor(random() * 8)]) {
        const bytes = original.slice();
        bytes[i] ^= mask;
        expectInvalid(bytes, `seed ${SEED} byte ${i} mask ${mask}`);
      }
    }
  });

  it('rejects each §3.2 field rule even when the CRC matches', () => {
    const cases: Array<[string, (view: DataView) => void, string]> = [
      ['magic', (v) => v.setUint32(0, 0x52564b55, true), 'magic got 0x52564b55; want 0x52564b54'],
      ['version', (v) => v.setUint8(4, 2), 'version got 2; want 1'],
      ['codec', (v) => v.setUint8(5, 2), 'codec got 2; want 0 or 1'],
      ['flags', (v) => v.setUint16(6, 4, true), 'flags got 4; want 0'],
      ['reserved', (v) => v.setUint32(40, 1, true), 'reserved got 1; want 0'],
      ['bodyLength', (v) => v.setUint32(8, RECORD_BODY_BYTES_MAX + 1, true), `bodyLength got ${RECORD_BODY_BYTES_MAX + 1}`],
      ['rawLength', (v) => v.setUint32(12, BATCH_BYTES_LIMIT + 1, true), `rawLength got ${BATCH_BYTES_LIMIT + 1}`],
      ['codec none lengths', (v) => v.setUint8(5, CODEC_NONE), 'want bodyLength 12345 for codec 0'],
      ['spanCount 0', (v) => v.setUint32(16, 0, true), 'spanCount got 0; want 1..65535'],
      ['spanCount 65536', (v) => v.setUint32(16, 65_536, true), 'spanCount got 65536'],
      ['time range', (v) => v.setBigUint64(24, HEADER.maxStartTimeUnixNano + 1n, true), 'want min ≤ max'],
      ['time range high word', (v) => v.setBigUint64(32, 5n, true), 'want min ≤ max'],
    ];
    for (const [name, damage, message] of cases) expectInvalid(damagedWithCrc(damage), name, message);
  });

  it('never reads past the buffer when scanning near its end', () => {
    const bytes = encode(HEADER, 10);
    expect(isRecordHeaderValid(bytes, 10)).toBe(true);
    for (let at = 11; at <= bytes.length + 1; at++) expect(isRecordHeaderValid(bytes, at)).toBe(false);
    expect(isRecordHeaderValid(bytes, -1)).toBe(false);
  });

  it('treats an out-of-range header on write as a bug', () => {
    const into = new Uint8Array(RECORD_HEADER_BYTES);
    expect(() => writeRecordHeader(into, 0, { ...HEADER, spanCount: 0 })).toThrow(/^BUG:/);
    expect(() => writeRecordHeader(into, 0, { ...HEADER, codec: 7 })).toThrow(/^BUG:/);
    expect(() => writeRecordHeader(into, 1, HEADER)).toThrow(/^BUG:/);
    expect(() => writeRecordHeader(into, 0, { ...HEADER, minStartTimeUnixNano: HEADER.maxStartTimeUnixNano + 1n })).toThrow(/^BUG:/);
  });
});
