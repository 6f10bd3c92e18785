/**
 * Little-endian field access for the segment codecs (data-format.md §1). Plain byte arithmetic
 * instead of a DataView so the scan's per-offset header check allocates nothing.
 */

export function readU16(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8);
}

export function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

export function writeU16(into: Uint8Array, at: number, value: number): void {
  into[at] = value & 0xff;
  into[at + 1] = (value >>> 8) & 0xff;
}

export function writeU32(into: Uint8Array, at: number, value: number): void {
  into[at] = value & 0xff;
  into[at + 1] = (value >>> 8) & 0xff;
  into[at + 2] = (value >>> 16) & 0xff;
  into[at + 3] = (value >>> 24) & 0xff;
}

/** A u64 as a bigint; callers that must not allocate compare the two u32 halves instead. */
export function readU64(bytes: Uint8Array, at: number): bigint {
  return (BigInt(readU32(bytes, at + 4)) << 32n) | BigInt(readU32(bytes, at));
}

export function writeU64(into: Uint8Array, at: number, value: bigint): void {
  writeU32(into, at, Number(value & 0xffff_ffffn));
  writeU32(into, at + 4, Number(value >> 32n));
}

export function isU32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

export function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
