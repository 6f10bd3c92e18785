/**
 * Growable byte output and bounds-checked byte input with LEB128 varints (data-format.md §2.7:
 * `uvarint`, zigzag `svarint`), for the columnar batch. Values are JS numbers up to 2^53 and
 * bigints beyond, so the hot path (ids, counts, small deltas) allocates nothing.
 */
import { assert } from '../errors.js';

const OUT_BYTES_INITIAL = 1024;
const F64_BYTES = 8;
const COPY_LOOP_BYTES_MAX = 64;

/**
 * Copies `source[start, end)` into `target` at `at`. Most strings and ids in a span are short, and
 * for them a plain loop beats set() (which needs a subarray view) and Buffer#copy (which makes one).
 */
export function copyBytes(source: Uint8Array, start: number, end: number, target: Uint8Array, at: number): void {
  if (end - start <= COPY_LOOP_BYTES_MAX) {
    for (let i = start; i < end; i++) target[at++] = source[i]!;
  } else target.set(source.subarray(start, end), at);
}

/** Whether `a[aAt, aAt + length)` and `b[bAt, bAt + length)` hold the same bytes (ids and short strings: a loop). */
export function sameBytes(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aAt + i] !== b[bAt + i]) return false;
  return true;
}

/** A uvarint is at most 10 bytes (64 bits in 7-bit groups). */
export const UVARINT_BYTES_MAX = 10;
const TWO_POW_32 = 2 ** 32;
/** Below this a uvarint's value fits the bit operators (an int32). */
const UVARINT_SHIFT_LIMIT = 2 ** 31;
const U64_MAX = (1n << 64n) - 1n;

/**
 * A byte buffer that grows by doubling: what every batch writer appends to (this file's ByteOut,
 * MsgpackWriter). `bytes[0, length)` is what was written.
 */
export class GrowableBytes {
  bytes: Uint8Array;
  length = 0;

  constructor(initialBytes = OUT_BYTES_INITIAL) {
    this.bytes = new Uint8Array(initialBytes);
  }

  reset(): void {
    this.length = 0;
  }

  /**
   * Empties it, and lets go of its buffer if that grew past `bytesMax`: a writer that once held a
   * huge batch keeps a buffer its size for ever otherwise (the daemon's transcoders live as long as
   * the daemon).
   */
  resetBounded(bytesMax: number): void {
    this.length = 0;
    if (this.bytes.length > bytesMax) this.bytes = new Uint8Array(OUT_BYTES_INITIAL);
  }

  /** Cuts what was written back to `length`, a mark taken earlier. */
  truncate(length: number): void {
    // The message is built only on failure: writers call this for every record.
    if (!(length >= 0 && length <= this.length)) assert(false, `truncate to ${length} of ${this.length}`);
    this.length = length;
  }

  /** Makes room for `bytes` more. */
  ensure(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(needed, this.bytes.length * 2));
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }
}

/** The columnar batch's writer: bytes, LEB128 varints and doubles. */
export class ByteOut extends GrowableBytes {
  private data: DataView | null = null;

  u8(value: number): void {
    this.ensure(1);
    this.bytes[this.length++] = value;
  }

  /** A non-negative integer up to 2^53 − 1. */
  uvarint(value: number): void {
    this.ensure(UVARINT_BYTES_MAX);
    const bytes = this.bytes;
    let at = this.length;
    if (value < UVARINT_SHIFT_LIMIT) {
      // Ids, counts and small deltas: bit operators, and the length kept in a local.
      let rest = value;
      while (rest >= 0x80) {
        bytes[at++] = (rest & 0x7f) | 0x80;
        rest >>>= 7;
      }
      bytes[at++] = rest;
    } else {
      // Above 2^31 the bit operators would cut it: divide instead.
      let rest = value;
      while (rest >= 0x80) {
        bytes[at++] = (rest % 0x80) | 0x80;
        rest = Math.floor(rest / 0x80);
      }
      bytes[at++] = rest;
    }
    this.length = at;
  }

  /** Any u64, as a bigint. */
  uvarintBig(value: bigint): void {
    if (value <= BigInt(Number.MAX_SAFE_INTEGER)) {
      this.uvarint(Number(value));
      return;
    }
    assert(value <= U64_MAX, `uvarintBig ${value}`);
    this.ensure(UVARINT_BYTES_MAX);
    let rest = value;
    while (rest >= 0x80n) {
      this.bytes[this.length++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.bytes[this.length++] = Number(rest);
  }

  /** A signed 64-bit value, zigzag-mapped. */
  svarint(value: bigint): void {
    this.uvarintBig(value >= 0n ? value << 1n : ((-value) << 1n) - 1n);
  }

  /**
   * A signed 64-bit value given as its two's-complement halves (lo and hi as u32 or i32 bits),
   * zigzag-mapped: what svarint() writes for the same value, without a bigint.
   */
  svarintHalves(lo: number, hi: number): void {
    const sign = hi >> 31;
    let zigLo = ((lo << 1) ^ sign) >>> 0;
    let zigHi = (((hi << 1) | (lo >>> 31)) ^ sign) >>> 0;
    this.ensure(UVARINT_BYTES_MAX);
    const bytes = this.bytes;
    let at = this.length;
    while (zigHi !== 0 || zigLo >= 0x80) {
      bytes[at++] = (zigLo & 0x7f) | 0x80;
      zigLo = ((zigLo >>> 7) | (zigHi << 25)) >>> 0;
      zigHi >>>= 7;
    }
    bytes[at++] = zigLo;
    this.length = at;
  }

  raw(source: Uint8Array): void {
    this.ensure(source.length);
    this.bytes.set(source, this.length);
    this.length += source.length;
  }

  /** bytes[start, end) of `source`, copied without a subarray. */
  rawRange(source: Uint8Array, start: number, end: number): void {
    this.ensure(end - start);
    copyBytes(source, start, end, this.bytes, this.length);
    this.length += end - start;
  }

  f64(value: number): void {
    this.ensure(F64_BYTES);
    // One DataView per buffer, not per double: ensure() replaces `bytes` when it grows.
    if (this.data === null || this.data.buffer !== this.bytes.buffer) this.data = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.data.setFloat64(this.length, value, true);
    this.length += F64_BYTES;
  }

  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

/** Thrown by ByteIn on bytes that do not hold what was asked; the decoder names the column. */
export class ByteInError extends Error {}

export class ByteIn {
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  u8(): number {
    if (this.pos >= this.end) throw new ByteInError(`got the end at ${this.pos}; want 1 more byte`);
    return this.bytes[this.pos++]!;
  }

  /** A uvarint that must fit a safe integer (ids, counts, offsets within a batch). */
  uvarint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < UVARINT_BYTES_MAX; i++) {
      if (this.pos >= this.end) throw new ByteInError(`varint cut at ${this.pos}`);
      const byte = this.bytes[this.pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (value > Number.MAX_SAFE_INTEGER) throw new ByteInError(`varint ${value} past 2^53 at ${this.pos}`);
        return value;
      }
      scale *= 0x80;
    }
    throw new ByteInError(`varint longer than ${UVARINT_BYTES_MAX} bytes at ${this.pos}`);
  }

  /** A uvarint that must be < 2^32. */
  u32varint(): number {
    const value = this.uvarint();
    if (value >= TWO_POW_32) throw new ByteInError(`varint ${value} past 2^32 − 1 at ${this.pos}`);
    return value;
  }

  /** Any u64 uvarint, as a bigint. */
  uvarintBig(): bigint {
    let value = 0n;
    let shift = 0n;
    for (let i = 0; i < UVARINT_BYTES_MAX; i++) {
      if (this.pos >= this.end) throw new ByteInError(`varint cut at ${this.pos}`);
      const byte = this.bytes[this.pos++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) {
        if (value > U64_MAX) throw new ByteInError(`varint past 2^64 − 1 at ${this.pos}`);
        return value;
      }
      shift += 7n;
    }
    throw new ByteInError(`varint longer than ${UVARINT_BYTES_MAX} bytes at ${this.pos}`);
  }

  svarint(): bigint {
    const zigzag = this.uvarintBig();
    return zigzag & 1n ? -((zigzag + 1n) >> 1n) : zigzag >> 1n;
  }

  /** Skips one uvarint without building its value. */
  skipVarint(): void {
    this.skipVarints(1);
  }


  take(n: number): Uint8Array {
    if (n > this.end - this.pos) throw new ByteInError(`got ${this.end - this.pos} bytes at ${this.pos}; want ${n}`);
    this.pos += n;
    return this.bytes.subarray(this.pos - n, this.pos);
  }

  skip(n: number): void {
    if (n > this.end - this.pos) throw new ByteInError(`got ${this.end - this.pos} bytes at ${this.pos}; want ${n}`);
    this.pos += n;
  }

  /** Skips `count` uvarints: each up to its last byte (high bit clear), at most 10 bytes each. */
  skipVarints(count: number): void {
    const { bytes, end } = this;
    let pos = this.pos;
    for (let left = count; left > 0; left--) {
      const first = pos;
      while (true) {
        if (pos >= end) throw new ByteInError(`varint cut at ${pos}`);
        if (bytes[pos++]! < 0x80) break;
        if (pos - first >= UVARINT_BYTES_MAX) throw new ByteInError(`varint longer than ${UVARINT_BYTES_MAX} bytes at ${first}`);
      }
    }
    this.pos = pos;
  }
}
