/**
 * The trace hash (data-format.md §4.1): MurmurHash3 x86_32 over the 16 traceId bytes, with three
 * seeds. h1 picks the partition, h2 the bucket and the filter bit pattern, h3 the filter block.
 * Three independent hashes keep partition, bucket and filter choices uncorrelated even for ids that
 * are mostly zero (64-bit Zipkin ids left-padded to 128 bits).
 *
 * Allocation-free: results go into a caller-owned Uint32Array(3).
 */
import { readU32LE } from './little-endian.js';

export const TRACE_HASH_SEED_PARTITION = 0x00000000;
export const TRACE_HASH_SEED_BUCKET = 0x9747b28c;
export const TRACE_HASH_SEED_BLOCK = 0x5bd1e995;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** MurmurHash3_x86_32 of exactly 16 bytes at `at`. */
export function murmur3Of16(bytes: Uint8Array, at: number, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < 16; i += 4) {
    let k = readU32LE(bytes, at + i);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= 16;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Fills out[0..2] with h1 (partition), h2 (bucket, filter bits), h3 (filter block). */
export function traceHash(traceId: Uint8Array, at: number, out: Uint32Array): void {
  out[0] = murmur3Of16(traceId, at, TRACE_HASH_SEED_PARTITION);
  out[1] = murmur3Of16(traceId, at, TRACE_HASH_SEED_BUCKET);
  out[2] = murmur3Of16(traceId, at, TRACE_HASH_SEED_BLOCK);
}

export function partitionOf(h1: number, partitions: number): number {
  return h1 % partitions;
}
