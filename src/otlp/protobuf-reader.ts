/**
 * A reader of the protobuf wire format (varints, 64-bit and 32-bit fixed values, length-delimited
 * fields), for decoding OTLP requests straight into batch encoder calls with no message objects in
 * between. One reader walks a whole request: `enter()` narrows it to an embedded message and
 * `leave()` widens it back, so nesting costs no allocation, and the depth is bounded.
 *
 * Every read is bounds-checked against the current message's end before it happens: a truncated
 * varint, a length past the end, a varint over 10 bytes, a reserved wire type or nesting deeper than
 * PROTOBUF_NESTING_DEPTH_MAX is ERR_INVALID_ARGUMENT naming the offset ("got …; want …"), never an
 * out-of-range read or a stack overflow. Unknown fields are skipped by their wire type.
 *
 * 64-bit integers are read as two u32 halves (`lo`, `hi`) so that ids and nanosecond times never
 * become a BigInt or lose precision in a double on the hot path; `uint64()` builds the BigInt when a
 * caller wants one.
 */
import { PROTOBUF_NESTING_DEPTH_MAX } from '../constants.js';
import { assert, invalidArgument } from '../errors.js';

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** A varint carries 7 bits a byte: 10 bytes hold 64 bits. */
const VARINT_BYTES_MAX = 10;
/** Field numbers are 29 bits (the spec's maximum, 2^29 − 1); zero is invalid. */
const FIELD_NUMBER_MAX = 0x1fffffff;
/** Little-endian double decoding without a DataView per value (every supported platform is little-endian; asserted below). */
const DOUBLE_SCRATCH = new Float64Array(1);
const DOUBLE_BYTES = new Uint8Array(DOUBLE_SCRATCH.buffer);
assert(new Uint8Array(new Uint16Array([1]).buffer)[0] === 1, 'a big-endian platform: ProtobufReader.double() reads little-endian bytes');

export class ProtobufReader {
  /** Offset of the next byte to read. */
  pos: number;
  /** End of the message being read (exclusive). */
  end: number;
  /** Field number and wire type of the last `nextField()`. */
  fieldNumber = 0;
  wireType = 0;
  /** The low and high 32 bits of the last varint or fixed64 read (unsigned). */
  lo = 0;
  hi = 0;
  private depth = 0;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    end = bytes.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  /** Reads the next field's tag; false at the end of the current message. */
  nextField(): boolean {
    if (this.pos >= this.end) return false;
    const at = this.pos;
    this.readVarint();
    const wireType = this.lo & 7;
    // A tag is a uint32: field numbers stop at 2^29 − 1, so anything in the high half is invalid.
    const fieldNumber = this.lo >>> 3;
    if (this.hi !== 0 || fieldNumber === 0) {
      throw this.error(at, `field number got ${this.hi !== 0 ? 'over 2^29' : 0}; want 1..${FIELD_NUMBER_MAX}`);
    }
    if (wireType !== WIRE_VARINT && wireType !== WIRE_I64 && wireType !== WIRE_LEN && wireType !== WIRE_I32) {
      throw this.error(at, `field ${fieldNumber} wire type got ${wireType}; want 0, 1, 2 or 5 (groups are not used by OTLP)`);
    }
    this.fieldNumber = fieldNumber;
    this.wireType = wireType;
    return true;
  }

  /** Reads a varint into lo/hi. */
  readVarint(): void {
    // Tags, lengths and counts are almost all one byte.
    const pos = this.pos;
    if (pos < this.end) {
      const first = this.bytes[pos]!;
      if (first < 0x80) {
        this.lo = first;
        this.hi = 0;
        this.pos = pos + 1;
        return;
      }
    }
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < VARINT_BYTES_MAX; i++) {
      if (this.pos >= this.end) throw this.error(this.pos, `varint cut short after ${i} bytes; want a byte with the high bit clear`);
      const byte = this.bytes[this.pos++]!;
      const bits = byte & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if ((byte & 0x80) === 0) {
        if (i === VARINT_BYTES_MAX - 1 && byte > 1) throw this.error(this.pos - 1, `varint's 10th byte got ${byte}; want 0 or 1 (64 bits)`);
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw this.error(this.pos - 1, `varint longer than ${VARINT_BYTES_MAX} bytes; want at most ${VARINT_BYTES_MAX}`);
  }

  /** A varint as a uint32 (enums, counts, flags): the high bits are dropped, as protobuf does for 32-bit fields. */
  uint32(): number {
    this.readVarint();
    return this.lo;
  }

  /** A varint as an int32 (enums may be negative on the wire: 10 bytes, sign-extended). */
  int32(): number {
    this.readVarint();
    return this.lo | 0;
  }

  /** A varint as a bool. */
  bool(): boolean {
    this.readVarint();
    return (this.lo | this.hi) !== 0;
  }

  /** 8 little-endian bytes into lo/hi (fixed64, sfixed64). */
  readFixed64(): void {
    this.need(8, 'fixed64');
    const at = this.pos;
    const bytes = this.bytes;
    this.lo = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
    this.hi = (bytes[at + 4]! | (bytes[at + 5]! << 8) | (bytes[at + 6]! << 16) | (bytes[at + 7]! << 24)) >>> 0;
    this.pos = at + 8;
  }

  /** 4 little-endian bytes (fixed32). */
  fixed32(): number {
    this.need(4, 'fixed32');
    const at = this.pos;
    const bytes = this.bytes;
    this.pos = at + 4;
    return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
  }

  /** A double (wire type I64). */
  double(): number {
    this.need(8, 'double');
    // Through a shared scratch: a DataView per value would allocate per attribute.
    for (let i = 0; i < 8; i++) DOUBLE_BYTES[i] = this.bytes[this.pos + i]!;
    this.pos += 8;
    return DOUBLE_SCRATCH[0]!;
  }

  /** lo/hi as an unsigned 64-bit BigInt (for callers that need one; the hot path keeps the halves). */
  uint64(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** lo/hi as a signed 64-bit BigInt. */
  int64(): bigint {
    return BigInt.asIntN(64, this.uint64());
  }

  /**
   * A length-delimited field's bounds: returns its end and leaves `pos` at its first byte. The
   * caller reads [pos, end) and sets `pos = end` (or uses enter/leave for a message).
   */
  lengthDelimited(): number {
    const at = this.pos;
    this.readVarint();
    const length = this.lo;
    if (this.hi !== 0 || length > this.end - this.pos) {
      throw this.error(at, `length got ${this.hi !== 0 ? 'over 2^32' : length} bytes; want at most ${this.end - this.pos} (the rest of the message)`);
    }
    return this.pos + length;
  }

  /** Narrows the reader to the embedded message in the current length-delimited field; returns what `leave` needs. */
  enter(): number {
    const at = this.pos;
    const messageEnd = this.lengthDelimited();
    if (this.depth >= PROTOBUF_NESTING_DEPTH_MAX) {
      throw this.error(at, `messages nested ${this.depth + 1} deep; want at most ${PROTOBUF_NESTING_DEPTH_MAX}`);
    }
    this.depth++;
    const outerEnd = this.end;
    this.end = messageEnd;
    return outerEnd;
  }

  /** Widens the reader back to the enclosing message, after the embedded one. */
  leave(outerEnd: number): void {
    this.pos = this.end;
    this.end = outerEnd;
    this.depth--;
  }

  /** Skips the value of the field just read, by its wire type. */
  skipValue(): void {
    switch (this.wireType) {
      case WIRE_VARINT:
        this.readVarint();
        return;
      case WIRE_I64:
        this.need(8, 'fixed64');
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.pos = this.lengthDelimited();
        return;
      default:
        this.need(4, 'fixed32');
        this.pos += 4;
    }
  }

  private need(bytes: number, what: string): void {
    if (this.end - this.pos < bytes) throw this.error(this.pos, `${what} got ${this.end - this.pos} bytes; want ${bytes}`);
  }

  private error(at: number, problem: string): Error {
    return invalidArgument(`protobuf at offset ${at}: ${problem}`);
  }
}
