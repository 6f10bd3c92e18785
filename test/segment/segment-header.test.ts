// Proves the segment header round-trips and that every truncation or flipped bit is a typed ERR_SEGMENT_CORRUPT.
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/codec/crc32c.js';
import { SEGMENT_HEADER_BYTES } from '../../src/constants.js';
import { decodeSegmentHeader, encodeSegmentHeader, type SegmentHeader } from '../../src/segment/segment-header.js';
import { catchTraceKvError, expectCode, seededRandom } from './helpers.js';

const FILE = '/data/gen-0000000001/seg-0000000007.tkv';
const HEADER: SegmentHeader = { generationId: 1, segmentId: 7, createdAtMs: 1_718_000_000_123 };
const SEED = 0x5e6e47;

function withCrc(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer).setUint32(28, crc32c(bytes, 0, 28), true);
  return bytes;
}

describe('segment header', () => {
  it('round-trips, including the extremes of every field', () => {
    for (const header of [
      HEADER,
      { generationId: 0xffff_ffff, segmentId: 0xffff_ffff, createdAtMs: Number.MAX_SAFE_INTEGER },
      { generationId: 0, segmentId: 1, createdAtMs: 0 },
    ]) {
      const bytes = encodeSegmentHeader(header);
      expect(bytes.length).toBe(SEGMENT_HEADER_BYTES);
      expect(decodeSegmentHeader(bytes, FILE)).toEqual(header);
    }
  });

  it('matches the byte layout of data-format.md §3.1', () => {
    const bytes = encodeSegmentHeader(HEADER);
    const view = new DataView(bytes.buffer);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('TKVS');
    expect(view.getUint16(4, true)).toBe(1);
    expect(view.getUint32(12, true)).toBe(7);
    expect(view.getBigUint64(16, true)).toBe(BigInt(HEADER.createdAtMs));
    expect(view.getUint32(28, true)).toBe(crc32c(bytes, 0, 28));
  });

  it('rejects every prefix with ERR_SEGMENT_CORRUPT at offset 0', () => {
    const bytes = encodeSegmentHeader(HEADER);
    for (let length = 0; length < SEGMENT_HEADER_BYTES; length++) {
      const error = catchTraceKvError(() => decodeSegmentHeader(bytes.subarray(0, length), FILE), `length ${length}`);
      expectCode(error, 'ERR_SEGMENT_CORRUPT', `length ${length}`);
      expect(error.file).toBe(FILE);
      expect(error.offset).toBe(0);
      expect(error.message).toContain(`got ${length} bytes; want 32`);
    }
  });

  it('rejects every byte flipped whole and every byte with one random bit flipped', () => {
    const random = seededRandom(SEED);
    const original = encodeSegmentHeader(HEADER);
    for (let i = 0; i < SEGMENT_HEADER_BYTES; i++) {
      for (const mask of [0xff, 1 << Math.floor(random() * 8)]) {
        const bytes = original.slice();
        bytes[i] ^= mask;
        const context = `seed ${SEED} byte ${i} mask ${mask}`;
        expectCode(catchTraceKvError(() => decodeSegmentHeader(bytes, FILE), context), 'ERR_SEGMENT_CORRUPT', context);
      }
    }
  });

  it('rejects unknown magic, version, flags, reserved and an unsafe createdAtMs even with a matching CRC', () => {
    const cases: Array<[string, (view: DataView) => void, string]> = [
      ['magic', (view) => view.setUint32(0, 0x53564b55, true), 'magic got 0x53564b55; want 0x53564b54'],
      ['version', (view) => view.setUint16(4, 2, true), 'version got 2; want 1'],
      ['flags', (view) => view.setUint16(6, 1, true), 'flags got 1; want 0'],
      ['reserved', (view) => view.setUint32(24, 9, true), 'reserved got 9; want 0'],
      ['createdAtMs', (view) => view.setUint32(20, 0x0020_0000, true), 'createdAtMs high word'],
    ];
    for (const [name, damage, message] of cases) {
      const bytes = encodeSegmentHeader(HEADER);
      damage(new DataView(bytes.buffer));
      const error = catchTraceKvError(() => decodeSegmentHeader(withCrc(bytes), FILE), name);
      expectCode(error, 'ERR_SEGMENT_CORRUPT', name);
      expect(error.message).toContain(message);
    }
  });

  it('names got and want for a bad CRC', () => {
    const bytes = encodeSegmentHeader(HEADER);
    bytes[9] ^= 1;
    expect(() => decodeSegmentHeader(bytes, FILE)).toThrow(/headerCrc got 0x[0-9a-f]{8}; want 0x[0-9a-f]{8}/);
  });

  it('treats invalid field values on encode as bugs', () => {
    expect(() => encodeSegmentHeader({ ...HEADER, segmentId: -1 })).toThrow(/^BUG:/);
    expect(() => encodeSegmentHeader({ ...HEADER, createdAtMs: 1.5 })).toThrow(/^BUG:/);
  });
});
