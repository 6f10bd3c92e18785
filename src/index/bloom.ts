/**
 * Split-block Bloom filter (data-format.md §4.3, as in Parquet). One key sets one bit in each of
 * the eight u32 words of one 32-byte block, so a probe touches a single cache line. The block
 * comes from h3 and the bit pattern from h2, two independent hashes of the trace id.
 *
 * The words live in a caller-owned Uint32Array (a chunk file's resident region, or the output
 * buffer being built); `wordsAt` is the index of the filter's first word in it.
 */
import { FILTER_BITS_PER_ENTRY, FILTER_BLOCK_BYTES } from '../constants.js';

/** Bits in one block: eight u32 words. */
const FILTER_BLOCK_BITS = FILTER_BLOCK_BYTES * 8;
/** u32 words in one block. */
export const FILTER_BLOCK_WORDS = FILTER_BLOCK_BYTES / 4;

// The eight odd multipliers of the Parquet split-block filter; each maps h2 to one bit per word.
const SALT0 = 0x47b6137b;
const SALT1 = 0x44974d91;
const SALT2 = 0x8824ad5b;
const SALT3 = 0xa2b7289d;
const SALT4 = 0x705495c7;
const SALT5 = 0x2df1424b;
const SALT6 = 0x9efc4947;
const SALT7 = 0x5c6bfb31;

/** `max(1, ceil(entryCount × 10 / 256))`: the filterBlockCount rule of §4.3. */
export function filterBlockCountFor(entryCount: number): number {
  return Math.max(1, Math.ceil((entryCount * FILTER_BITS_PER_ENTRY) / FILTER_BLOCK_BITS));
}

/**
 * h2 and h3 may be passed as u32 or as the same bits in an int32 (`h | 0`). The int32 form is a
 * V8 small integer: a call that is not inlined then boxes nothing, where a u32 ≥ 2^31 argument
 * costs a heap number per call.
 */
export function filterInsert(words: Uint32Array, wordsAt: number, blockCount: number, h2: number, h3: number): void {
  const base = wordsAt + ((h3 >>> 0) % blockCount) * FILTER_BLOCK_WORDS;
  // (h2 × SALT) mod 2^32 is Math.imul's low 32 bits; its sign does not matter once shifted by >>> 27.
  words[base] |= 1 << (Math.imul(h2, SALT0) >>> 27);
  words[base + 1] |= 1 << (Math.imul(h2, SALT1) >>> 27);
  words[base + 2] |= 1 << (Math.imul(h2, SALT2) >>> 27);
  words[base + 3] |= 1 << (Math.imul(h2, SALT3) >>> 27);
  words[base + 4] |= 1 << (Math.imul(h2, SALT4) >>> 27);
  words[base + 5] |= 1 << (Math.imul(h2, SALT5) >>> 27);
  words[base + 6] |= 1 << (Math.imul(h2, SALT6) >>> 27);
  words[base + 7] |= 1 << (Math.imul(h2, SALT7) >>> 27);
}

/** True when every bit of the key is set: the key may be present. False means it surely is not. */
export function filterProbe(words: Uint32Array, wordsAt: number, blockCount: number, h2: number, h3: number): boolean {
  const base = wordsAt + ((h3 >>> 0) % blockCount) * FILTER_BLOCK_WORDS;
  // Branch-free: AND the eight selected bits together.
  const all =
    (words[base]! >>> (Math.imul(h2, SALT0) >>> 27)) &
    (words[base + 1]! >>> (Math.imul(h2, SALT1) >>> 27)) &
    (words[base + 2]! >>> (Math.imul(h2, SALT2) >>> 27)) &
    (words[base + 3]! >>> (Math.imul(h2, SALT3) >>> 27)) &
    (words[base + 4]! >>> (Math.imul(h2, SALT4) >>> 27)) &
    (words[base + 5]! >>> (Math.imul(h2, SALT5) >>> 27)) &
    (words[base + 6]! >>> (Math.imul(h2, SALT6) >>> 27)) &
    (words[base + 7]! >>> (Math.imul(h2, SALT7) >>> 27));
  return (all & 1) === 1;
}
