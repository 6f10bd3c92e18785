/**
 * Little-endian integer access (data-format.md §1) on a Uint8Array: plain byte arithmetic, no
 * DataView to allocate, for header fields and per-offset scans. Loops over a whole trailer use one
 * DataView per batch instead, which V8 compiles to plain loads.
 *
 * A u64 on a hot path is handled as two u32 halves (`hi`, `lo`) compared in order; only the paths
 * that hand a time to a caller build a bigint.
 */

export function readU16LE(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8);
}

export function readU32LE(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

export function writeU16LE(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
}

export function writeU32LE(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
  bytes[at + 2] = (value >>> 16) & 0xff;
  bytes[at + 3] = (value >>> 24) & 0xff;
}

/** Allocates one bigint: for header fields and the read path, never per span on append. */
export function readU64LE(bytes: Uint8Array, at: number): bigint {
  return (BigInt(readU32LE(bytes, at + 4)) << 32n) | BigInt(readU32LE(bytes, at));
}

export function writeU64LE(bytes: Uint8Array, at: number, value: bigint): void {
  writeU32LE(bytes, at, u64Lo(value));
  writeU32LE(bytes, at + 4, u64Hi(value));
}

/** High 32 bits of a u64, as a number. Split a bound once, then compare halves per span. */
export function u64Hi(value: bigint): number {
  return Number((value >> 32n) & 0xffff_ffffn);
}

/** Low 32 bits of a u64, as a number. */
export function u64Lo(value: bigint): number {
  return Number(value & 0xffff_ffffn);
}

/** `a < b` for u64 values given as (hi, lo) halves. */
export function u64Below(aHi: number, aLo: number, bHi: number, bLo: number): boolean {
  return aHi < bHi || (aHi === bHi && aLo < bLo);
}

export function isU32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

/** A u32 as 0x-prefixed, 8-digit hex, for "got X; want Y" messages about checksums and magics. */
export function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
