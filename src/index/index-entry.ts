/**
 * The 32-byte index entry (data-format.md §4.2), handled as eight u32 words. The tail keeps its
 * entries in exactly the on-disk byte layout, so sealing copies words and a chunk lookup compares
 * words, with no per-entry decoding.
 *
 * Word access equals the little-endian disk format only on a little-endian host. Every platform
 * Node ships for in practice (x64, arm64) is one; rather than byte-swap every hot loop for the
 * rare big-endian build, the index refuses to load there.
 */
import { INDEX_ENTRY_BYTES } from '../constants.js';

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
if (!HOST_IS_LITTLE_ENDIAN) {
  throw new Error('tracekv: the index reads its files as little-endian u32 words and needs a little-endian host');
}

/** 32 bytes / 4. */
export const ENTRY_WORDS = INDEX_ENTRY_BYTES / 4;
/** Words 0..3 hold the 16 traceId bytes. */
export const ENTRY_TRACE_ID_WORD = 0;
export const ENTRY_SEGMENT_ID_WORD = 4;
export const ENTRY_FILE_OFFSET_WORD = 5;
export const ENTRY_RECORD_LENGTH_WORD = 6;
/** spanCount (u16) in the low half, flags (u16) in the high half. */
export const ENTRY_SPAN_COUNT_FLAGS_WORD = 7;

export const SPAN_COUNT_MAX = 0xffff;

/** The u32 at `at`, little-endian, from bytes at any alignment (a trace id inside a batch). */
export function readWordLE(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/**
 * Why the entry at word `base` is invalid, or null when it is fine. Checked on every entry a
 * lookup reads: the bucket CRC proves the bytes are the writer's, this proves the writer's bytes
 * follow §4.2. Returns a string only on failure, so the valid path allocates nothing.
 */
export function entryProblem(words: Uint32Array, base: number): string | null {
  const spanCountFlags = words[base + ENTRY_SPAN_COUNT_FLAGS_WORD]!;
  const flags = spanCountFlags >>> 16;
  if (flags !== 0) return `entry flags got 0x${flags.toString(16)}; want 0`;
  if ((spanCountFlags & SPAN_COUNT_MAX) === 0) return 'entry spanCount got 0; want ≥ 1';
  return null;
}
