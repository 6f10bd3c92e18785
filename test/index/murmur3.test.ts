// Proves murmur3Of16 (the trace hash of data-format.md §4.1) is MurmurHash3_x86_32: a reference
// implementation for any length matches published vectors, and murmur3Of16 matches the reference.
import { describe, expect, it } from 'vitest';
import {
  TRACE_HASH_SEED_BLOCK,
  TRACE_HASH_SEED_BUCKET,
  TRACE_HASH_SEED_PARTITION,
  murmur3Of16,
  traceHash,
} from '../../src/codec/trace-hash.js';
import { seededRandom, randomInt, withSeed } from './helpers.js';

/** Straight transcription of Austin Appleby's MurmurHash3_x86_32, including the 1–3 byte tail. */
function referenceMurmur3(bytes: Uint8Array, seed: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = bytes.length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const at = i * 4;
    let k = bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = blocks * 4;
  const rest = bytes.length & 3;
  if (rest > 0) {
    // The C original's switch falls through 3 → 2 → 1.
    let k = 0;
    if (rest >= 3) k ^= bytes[tail + 2]! << 16;
    if (rest >= 2) k ^= bytes[tail + 1]! << 8;
    k ^= bytes[tail]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('MurmurHash3_x86_32', () => {
  it('reference implementation matches published vectors', () => {
    expect(referenceMurmur3(text(''), 0)).toBe(0);
    expect(referenceMurmur3(text(''), 1)).toBe(0x514e28b7);
    expect(referenceMurmur3(text(''), 0xffffffff)).toBe(0x81f16f39);
    expect(referenceMurmur3(new Uint8Array(4), 0)).toBe(0x2362f9de);
    expect(referenceMurmur3(text('Hello, world!'), 1234)).toBe(0xfaf6cdb3);
    expect(referenceMurmur3(text('The quick brown fox jumps over the lazy dog'), 0x9747b28c)).toBe(0x2fa826cd);
  });

  it('murmur3Of16 equals the reference on random 16-byte inputs at any offset', () => {
    const seed = 0x5eed0001;
    withSeed(seed, () => {
      const random = seededRandom(seed);
      const buffer = new Uint8Array(64);
      for (let round = 0; round < 2000; round++) {
        for (let i = 0; i < buffer.length; i++) buffer[i] = randomInt(random, 256);
        const at = randomInt(random, buffer.length - 16);
        const key = buffer.slice(at, at + 16);
        for (const hashSeed of [TRACE_HASH_SEED_PARTITION, TRACE_HASH_SEED_BUCKET, TRACE_HASH_SEED_BLOCK, randomInt(random, 2 ** 32)]) {
          expect(murmur3Of16(buffer, at, hashSeed)).toBe(referenceMurmur3(key, hashSeed));
        }
      }
    });
  });

  it('traceHash fills h1, h2, h3 with the three §4.1 seeds', () => {
    const id = text('0123456789abcdef');
    const out = new Uint32Array(3);
    traceHash(id, 0, out);
    expect([...out]).toEqual([referenceMurmur3(id, 0), referenceMurmur3(id, 0x9747b28c), referenceMurmur3(id, 0x5bd1e995)]);
  });
});
