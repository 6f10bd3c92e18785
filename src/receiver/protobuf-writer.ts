/**
 * The few protobuf writes the receivers' replies need: a reply is a handful of fields, so this is
 * a growable byte list, not the zero-allocation reader the requests need (src/otlp/).
 * Wire types and varints as in the protobuf encoding specification.
 */
import { assert } from '../errors.js';

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

export class ProtobufWriter {
  private readonly bytes: number[] = [];

  /** A non-negative integer field (int32, int64, enum) as a varint; zero is left out, as proto3 does. */
  uint(field: number, value: number): this {
    assert(Number.isSafeInteger(value) && value >= 0, `protobuf varint ${value}`);
    if (value === 0) return this;
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  /** A string field in UTF-8; the empty string is left out. */
  string(field: number, value: string): this {
    if (value === '') return this;
    return this.bytesField(field, Buffer.from(value, 'utf8'));
  }

  /** A bytes or embedded-message field (always written: an empty message still says the field is set). */
  bytesField(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.varint(value.length);
    for (const byte of value) this.bytes.push(byte);
    return this;
  }

  finish(): Buffer {
    return Buffer.from(this.bytes);
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number): void {
    let rest = value;
    while (rest >= 0x80) {
      this.bytes.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.bytes.push(rest);
  }
}
