// Proves the inline (WASM) zstd decoder gives the binding's bytes for every frame the store writes, at any size up to its limit, and refuses what it cannot decode as a plain Error (zstd's verdict), never with bytes.
import { describe, expect, it } from 'vitest';
import { ZSTD_INLINE_RAW_BYTES_MAX, zstdCompress, zstdDecompress, zstdDecompressInline } from '../../src/codec/zstd.js';
import { TraceKvError } from '../../src/errors.js';
import { seededRandom } from '../segment/helpers.js';

/** Bytes that compress like a batch (runs of a few repeated words) or not at all (random). */
function sample(random: () => number, length: number, compressible: boolean): Buffer {
  const bytes = Buffer.alloc(length);
  const words = ['trace', 'span', 'http.method', 'GET', 'service-', '0123'];
  for (let at = 0; at < length; ) {
    if (!compressible) {
      bytes[at++] = Math.floor(random() * 256);
      continue;
    }
    at += bytes.write(words[Math.floor(random() * words.length)]!, at);
  }
  return bytes;
}

describe('zstdDecompressInline', () => {
  it('decodes what the binding decodes, sizes 1 B to the inline limit, levels 1, 3 and 6', async () => {
    const random = seededRandom(0x2575);
    const sizes = [1, 2, 100, 4_095, 65_536, 81_906, 1_000_000, ZSTD_INLINE_RAW_BYTES_MAX];
    for (const size of sizes) {
      for (const compressible of [true, false]) {
        for (const level of [1, 3, 6]) {
          const raw = sample(random, size, compressible);
          const frame = await zstdCompress(raw, level);
          const inline = await zstdDecompressInline(frame, size);
          const context = `${size} B, ${compressible ? 'compressible' : 'random'}, level ${level}`;
          expect(inline.equals(raw), context).toBe(true);
          expect(inline.equals(await zstdDecompress(frame)), context).toBe(true);
        }
      }
    }
  });

  it('rejects a damaged or cut frame with a plain Error, the verdict callers turn into ERR_SEGMENT_CORRUPT', async () => {
    const random = seededRandom(0x2576);
    const raw = sample(random, 50_000, true);
    const frame = await zstdCompress(raw, 3);
    const damaged: Buffer[] = [Buffer.alloc(64, 0x41), frame.subarray(0, frame.length - 1), frame.subarray(0, 10)];
    for (let i = 0; i < 200; i++) {
      const copy = Buffer.from(frame);
      copy[Math.floor(random() * copy.length)] ^= 1 + Math.floor(random() * 255);
      damaged.push(copy);
    }
    for (const [i, bytes] of damaged.entries()) {
      let outcome: Buffer | Error;
      try {
        outcome = await zstdDecompressInline(bytes, raw.length);
      } catch (error) {
        outcome = error as Error;
      }
      // Not a frame, one byte short, and ten bytes: zstd must refuse these three.
      if (i < 3) expect(outcome, `damage ${i}`).toBeInstanceOf(Error);
      if (outcome instanceof Error) {
        expect(outcome, `damage ${i}`).not.toBeInstanceOf(TraceKvError);
        expect(outcome.message, `damage ${i}`).toContain('rejected the frame');
      } else {
        // A flip zstd cannot see (no content checksum here; the record's body CRC is what catches
        // it) still decodes to at most rawLength bytes, which the caller checks against rawLength.
        expect(outcome.length, `damage ${i}`).toBeLessThanOrEqual(raw.length);
      }
    }
    // The decoder is still sound after every refusal.
    expect((await zstdDecompressInline(frame, raw.length)).equals(raw)).toBe(true);
  });

  it('holds a frame that decodes to less than rawLength to what it decoded', async () => {
    const raw = sample(seededRandom(0x2577), 900, true);
    const decoded = await zstdDecompressInline(await zstdCompress(raw, 1), 1_000);
    expect(decoded.equals(raw)).toBe(true);
  });

  it('asserts rawLength is within 1..ZSTD_INLINE_RAW_BYTES_MAX (callers check it first)', async () => {
    const frame = await zstdCompress(Buffer.from('x'), 1);
    for (const rawLength of [0, ZSTD_INLINE_RAW_BYTES_MAX + 1]) {
      await expect(zstdDecompressInline(frame, rawLength)).rejects.toThrow(/^BUG: zstdDecompressInline: rawLength/);
    }
  });
});
