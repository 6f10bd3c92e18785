/**
 * A msgpack writer for building span records and common sections byte by byte, for writers that
 * have no span object to hand msgpackr: the OTLP transcoder copies strings and bytes straight out
 * of a request, and the SDK exporter writes a span's fields as it reads them.
 *
 * It writes exactly what msgpackr writes for the same values (msgpack.ts's settings): the smallest
 * integer format for an integral number in the int32/uint32 range, float64 for any other number,
 * 0xd3 for every 64-bit integer, str8/16/32 and fixstr by length, and the smallest array and map
 * headers. Arrays and maps whose length is not known up front get a one-byte header that
 * `endArray`/`endMap` widen in place, moving the body, only when the count passes 15.
 *
 * One writer is reused for every record: its buffer grows and is never shrunk, so a writer in
 * steady state allocates nothing.
 */
import { isAscii } from 'node:buffer';
import { assert } from '../errors.js';
import { GrowableBytes, copyBytes } from './byte-stream.js';

/**
 * Below this many bytes a loop copies faster than set() on a subarray, and allocates no view. Above
 * it (a whole span record into its batch) the view is the cheaper of the two: copying records by
 * loop made the OTLP transcoder 15% slower (measured on W1).
 */
/** Below this many bytes a loop copies and checks for ASCII faster than set() plus isAscii() on a view (measured on W1). */
const ASCII_LOOP_BYTES_MAX = 16;

/** Starting capacity; records of typical spans are a few hundred bytes. */
const WRITER_BYTES_INITIAL = 4 * 1024;
/** Lengths that fit the 1-byte fix headers (fixarray, fixmap: < 16; fixstr: < 32). */
const FIX_COLLECTION_COUNT_LIMIT = 16;
const FIXSTR_BYTES_LIMIT = 32;
/** Integers below this are msgpack's one-byte positive fixint. */
const POSITIVE_FIXINT_LIMIT = 0x80;
const UINT8_LIMIT = 0x100;
const UINT16_LIMIT = 0x1_0000;
/** Little-endian scratch for float64, written out big-endian as msgpack wants. */
const FLOAT_SCRATCH = new Float64Array(1);
const FLOAT_BYTES = new Uint8Array(FLOAT_SCRATCH.buffer);
assert(new Uint8Array(new Uint16Array([1]).buffer)[0] === 1, 'a big-endian platform: MsgpackWriter.number() assumes little-endian typed arrays');

export class MsgpackWriter extends GrowableBytes {
  constructor(initialBytes = WRITER_BYTES_INITIAL) {
    super(initialBytes);
  }

  nil(): void {
    this.ensure(1);
    this.bytes[this.length++] = 0xc0;
  }

  bool(value: boolean): void {
    this.ensure(1);
    this.bytes[this.length++] = value ? 0xc3 : 0xc2;
  }

  /** A JS number as msgpackr writes it: an integer format when integral within int32/uint32, else float64. */
  number(value: number): void {
    if (value >>> 0 === value) this.uint32(value);
    else if (value >> 0 === value) this.negativeInt32(value);
    else this.float64(value);
  }

  /** An integer in [0, 2^32). */
  uint32(value: number): void {
    this.ensure(5);
    // Positive fixint below 0x80, then uint8/16/32 (0xcc, 0xcd, 0xce).
    this.length = writeSizedHeader(this.bytes, this.length, value, 0, POSITIVE_FIXINT_LIMIT, 0xcc);
  }

  /** An integer in [−2^31, 0). */
  private negativeInt32(value: number): void {
    this.ensure(5);
    const bytes = this.bytes;
    let at = this.length;
    if (value >= -0x20) bytes[at++] = value & 0xff;
    else if (value >= -0x80) {
      bytes[at++] = 0xd0;
      bytes[at++] = value & 0xff;
    } else if (value >= -0x8000) {
      bytes[at++] = 0xd1;
      bytes[at++] = (value >> 8) & 0xff;
      bytes[at++] = value & 0xff;
    } else {
      bytes[at++] = 0xd2;
      at = writeU32BE(bytes, at, value >>> 0);
    }
    this.length = at;
  }

  float64(value: number): void {
    this.ensure(9);
    const bytes = this.bytes;
    let at = this.length;
    bytes[at++] = 0xcb;
    FLOAT_SCRATCH[0] = value;
    for (let i = 7; i >= 0; i--) bytes[at++] = FLOAT_BYTES[i]!;
    this.length = at;
  }

  /** A 64-bit integer from its two's-complement halves, always 0xd3 (an OTLP intValue). */
  int64(lo: number, hi: number): void {
    this.ensure(9);
    this.bytes[this.length] = 0xd3;
    writeU32BE(this.bytes, this.length + 1, hi >>> 0);
    writeU32BE(this.bytes, this.length + 5, lo >>> 0);
    this.length += 9;
  }

  /**
   * A signed 64-bit difference from its two's-complement halves, in the fewest bytes msgpackr
   * would use: an integer format when it lies in [−2^31, 2^32), else 0xd3.
   */
  compactInt64(lo: number, hi: number): void {
    if (hi === 0) this.uint32(lo >>> 0);
    else if ((hi | 0) === -1 && lo >>> 0 >= 0x8000_0000) this.negativeInt32(lo | 0);
    else this.int64(lo, hi);
  }

  /** A string whose UTF-8 bytes are `source[start, end)` (the caller has checked they are well-formed). */
  strBytes(source: Uint8Array, start: number, end: number): void {
    const length = end - start;
    this.strHeader(length);
    this.ensure(length);
    copyBytes(source, start, end, this.bytes, this.length);
    this.length += length;
  }

  /**
   * strBytes for bytes not checked yet: returns false when any byte is ≥ 0x80, so the caller
   * validates only non-ASCII strings (the copy loop tests the bytes as it goes).
   */
  strBytesAscii(source: Uint8Array, start: number, end: number): boolean {
    const length = end - start;
    this.ensure(5 + length);
    let at = this.length;
    const bytes = this.bytes;
    // Keys and values are mostly short: the fixstr header inline, the others through strHeader.
    if (length < FIXSTR_BYTES_LIMIT) bytes[at++] = 0xa0 | length;
    else {
      this.strHeader(length);
      at = this.length;
    }
    if (length > ASCII_LOOP_BYTES_MAX) {
      // Longer strings: a native copy and a SIMD check are worth a view.
      const view = source.subarray(start, end);
      bytes.set(view, at);
      this.length = at + length;
      return isAscii(view);
    }
    let any = 0;
    for (let i = start; i < end; i++) {
      const byte = source[i]!;
      any |= byte;
      bytes[at++] = byte;
    }
    this.length = at;
    return any < 0x80;
  }

  /**
   * A JS string, UTF-8 encoded. Returns false, writing nothing, when it holds a lone surrogate:
   * the format accepts only well-formed strings (data-format.md §2.5).
   */
  str(value: string): boolean {
    const chars = value.length;
    const mark = this.length;
    // 5 + 3 × chars, not the header's size: strHeader below must not grow (and so copy) the buffer mid-string.
    if (mark + 5 + chars * 3 > this.bytes.length) this.ensure(5 + chars * 3);
    const bytes = this.bytes;
    // Header sized as if the string were ASCII, as nearly every key, name and value is: then the
    // bytes land where they stay. A non-ASCII string may need a wider header, and moves once.
    const headerBytes = chars < FIXSTR_BYTES_LIMIT ? 1 : strHeaderBytes(chars);
    let at = mark + headerBytes;
    for (let i = 0; i < chars; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) return this.strTail(value, i, mark, headerBytes, at);
      bytes[at++] = code;
    }
    if (headerBytes === 1) {
      bytes[mark] = 0xa0 | chars;
      this.length = at;
    } else {
      this.strHeader(chars);
      this.length = at;
    }
    return true;
  }

  /** str() from the first non-ASCII character, `value[i]`, on. */
  private strTail(value: string, i: number, mark: number, headerBytes: number, at: number): boolean {
    const chars = value.length;
    const bytes = this.bytes;
    for (; i < chars; i++) {
      let code = value.charCodeAt(i);
      if (code < 0x80) bytes[at++] = code;
      else if (code < 0x800) {
        bytes[at++] = 0xc0 | (code >> 6);
        bytes[at++] = 0x80 | (code & 0x3f);
      } else if ((code & 0xf800) === 0xd800) {
        const next = value.charCodeAt(i + 1);
        if (code > 0xdbff || (next & 0xfc00) !== 0xdc00) {
          this.length = mark;
          return false;
        }
        code = 0x10000 + ((code & 0x3ff) << 10) + (next & 0x3ff);
        i++;
        bytes[at++] = 0xf0 | (code >> 18);
        bytes[at++] = 0x80 | ((code >> 12) & 0x3f);
        bytes[at++] = 0x80 | ((code >> 6) & 0x3f);
        bytes[at++] = 0x80 | (code & 0x3f);
      } else {
        bytes[at++] = 0xe0 | (code >> 12);
        bytes[at++] = 0x80 | ((code >> 6) & 0x3f);
        bytes[at++] = 0x80 | (code & 0x3f);
      }
    }
    const length = at - mark - headerBytes;
    const needed = strHeaderBytes(length);
    // Within what str() ensured: needed + length ≤ 5 + 3 × chars.
    if (needed > headerBytes) bytes.copyWithin(mark + needed, mark + headerBytes, at);
    this.length = mark;
    this.strHeader(length);
    this.length = mark + needed + length;
    return true;
  }

  /** Bytes as msgpack bin. */
  bin(source: Uint8Array, start: number, end: number): void {
    const length = end - start;
    this.ensure(5 + length);
    const bytes = this.bytes;
    // bin has no fix form: bin8/16/32 (0xc4, 0xc5, 0xc6).
    const at = writeSizedHeader(bytes, this.length, length, 0, 0, 0xc4);
    copyBytes(source, start, end, bytes, at);
    this.length = at + length;
  }

  /** Starts an array of a count not known yet; returns the mark `endArray` needs. */
  beginArray(): number {
    return this.beginCollection();
  }

  endArray(mark: number, count: number): void {
    this.endCollection(mark, count, 0x90, 0xdc, 0xdd);
  }

  /** Starts a map of a count not known yet; returns the mark `endMap` needs. */
  beginMap(): number {
    return this.beginCollection();
  }

  endMap(mark: number, count: number): void {
    this.endCollection(mark, count, 0x80, 0xde, 0xdf);
  }

  /** An array header of a known count. */
  arrayHeader(count: number): void {
    this.endArray(this.beginCollection(), count);
  }

  private beginCollection(): number {
    this.ensure(1);
    return this.length++;
  }

  private endCollection(mark: number, count: number, fix: number, marker16: number, marker32: number): void {
    if (count < FIX_COLLECTION_COUNT_LIMIT) {
      this.bytes[mark] = fix | count;
      return;
    }
    const extra = count < UINT16_LIMIT ? 2 : 4;
    this.ensure(extra);
    const bytes = this.bytes;
    bytes.copyWithin(mark + 1 + extra, mark + 1, this.length);
    this.length += extra;
    if (extra === 2) {
      bytes[mark] = marker16;
      bytes[mark + 1] = count >>> 8;
      bytes[mark + 2] = count & 0xff;
    } else {
      bytes[mark] = marker32;
      writeU32BE(bytes, mark + 1, count);
    }
  }

  private strHeader(length: number): void {
    this.ensure(5);
    // fixstr (0xa0 | length) below 32, then str8/16/32 (0xd9, 0xda, 0xdb).
    this.length = writeSizedHeader(this.bytes, this.length, length, 0xa0, FIXSTR_BYTES_LIMIT, 0xd9);
  }
}

/**
 * Writes at `at` the header of a msgpack family whose size grows with `value` (uint, str, bin):
 * the one-byte fix form `fixBase | value` below `fixLimit`, else `marker8` and 1 byte, `marker8 + 1`
 * and 2, or `marker8 + 2` and 4 big-endian (msgpack numbers each family's 8/16/32-bit forms in a
 * row). Returns the position after it; the caller has made room for 5 bytes.
 */
function writeSizedHeader(bytes: Uint8Array, at: number, value: number, fixBase: number, fixLimit: number, marker8: number): number {
  if (value < fixLimit) {
    bytes[at] = fixBase | value;
    return at + 1;
  }
  if (value < UINT8_LIMIT) {
    bytes[at] = marker8;
    bytes[at + 1] = value;
    return at + 2;
  }
  if (value < UINT16_LIMIT) {
    bytes[at] = marker8 + 1;
    bytes[at + 1] = value >>> 8;
    bytes[at + 2] = value & 0xff;
    return at + 3;
  }
  bytes[at] = marker8 + 2;
  return writeU32BE(bytes, at + 1, value);
}

function strHeaderBytes(length: number): number {
  return length < FIXSTR_BYTES_LIMIT ? 1 : length < UINT8_LIMIT ? 2 : length < UINT16_LIMIT ? 3 : 5;
}

function writeU32BE(bytes: Uint8Array, at: number, value: number): number {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
  return at + 4;
}
