/**
 * OTel attributes straight into msgpack (data-format.md §2.5, "AnyValue"), mapped as the OpenTelemetry
 * JS OTLP exporters map them (@opentelemetry/otlp-transformer's writeAnyValue), so a span reads back
 * the same whether it came through this exporter or through OTLP:
 * - an integral number in [−2^63, 2^63) is an OTLP intValue, written 0xd3 (it reads back as a bigint);
 *   any other number is a doubleValue, written float64;
 * - string, boolean, Uint8Array, array and plain object (kvlist) as themselves.
 *
 * null and undefined are what OTLP sends as an empty AnyValue, which the format has no encoding
 * for (nil is not an AnyValue); they follow data-format.md §7.1, as the OTLP receivers do: a
 * top-level attribute whose value is empty is left out and counted in its owner's
 * droppedAttributesCount, and an empty element of an array or of a nested map is left out. The SDK
 * already drops null span attributes, but allows null elements in arrays.
 *
 * A value of any other type, a lone surrogate in a string or key, or nesting past
 * ATTRIBUTE_NESTING_MAX makes the caller drop the span, as BatchEncoder.add() would refuse them.
 */
import { ATTRIBUTE_NESTING_MAX } from '../constants.js';
import type { MsgpackWriter } from '../batch/msgpack-writer.js';

const TWO_32 = 0x1_0000_0000;
/** OTLP intValue is int64; both bounds are exact doubles (powers of two). */
const INT64_FLOOR = -(2 ** 63);
const INT64_CEILING = 2 ** 63;
/** writeAttributes' answer when the span must be dropped (it has written a partial value then). */
export const ATTRIBUTES_INVALID = -1;

/** Whether an attribute's value is empty: left out, and at the top level counted as dropped (see above). */
export function isEmptyValue(value: unknown): boolean {
  return value === undefined || value === null;
}

/**
 * Writes an attribute map (`undefined` is the empty map). Returns how many top-level entries were
 * left out as empty (to add to the owner's droppedAttributesCount), or ATTRIBUTES_INVALID.
 */
export function writeAttributes(w: MsgpackWriter, attributes: object | undefined): number {
  if (attributes === undefined || attributes === null) {
    w.endMap(w.beginMap(), 0);
    return 0;
  }
  return writeMap(w, attributes as Record<string, unknown>, 0);
}

/** Returns the entries left out as empty, or ATTRIBUTES_INVALID. */
function writeMap(w: MsgpackWriter, map: Record<string, unknown>, depth: number): number {
  if (depth > ATTRIBUTE_NESTING_MAX) return ATTRIBUTES_INVALID;
  const mark = w.beginMap();
  let count = 0;
  let empty = 0;
  for (const key in map) {
    if (!Object.prototype.hasOwnProperty.call(map, key)) continue;
    const value = map[key];
    if (isEmptyValue(value)) {
      empty++;
      continue;
    }
    if (!w.str(key)) return ATTRIBUTES_INVALID;
    // Most values are strings: tested here, the common case skips writeValue's dispatch.
    if (!(typeof value === 'string' ? w.str(value) : writeValue(w, value, depth))) return ATTRIBUTES_INVALID;
    count++;
  }
  w.endMap(mark, count);
  return empty;
}

/** One attribute value (`depth`: its map's nesting, 0 for a span's own); false when the span must be dropped. */
export function writeValue(w: MsgpackWriter, value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      return w.str(value);
    case 'number':
      writeNumber(w, value);
      return true;
    case 'boolean':
      w.bool(value);
      return true;
    case 'bigint':
      return writeBigInt(w, value);
    case 'object':
      if (value === null) return false;
      if (value instanceof Uint8Array) {
        w.bin(value, 0, value.length);
        return true;
      }
      if (Array.isArray(value)) return writeArray(w, value, depth);
      // A nested map's empty entries are left out, uncounted (data-format.md §7.1).
      if (isPlainObject(value)) return writeMap(w, value as Record<string, unknown>, depth + 1) !== ATTRIBUTES_INVALID;
      return false;
    default:
      return false;
  }
}

function writeArray(w: MsgpackWriter, items: unknown[], depth: number): boolean {
  if (depth >= ATTRIBUTE_NESTING_MAX) return false;
  // Counted first, so the header is written once at its final size (no move of the body after).
  let count = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item !== undefined && item !== null) count++;
  }
  w.arrayHeader(count);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (isEmptyValue(item)) continue;
    if (!writeValue(w, item, depth + 1)) return false;
  }
  return true;
}

/** intValue (0xd3) when the transformer would send one, else float64; see the module comment. */
export function writeNumber(w: MsgpackWriter, value: number): void {
  if (Number.isInteger(value) && value >= INT64_FLOOR && value < INT64_CEILING) {
    // Exact for every integral double: the division is by a power of two, and the remainder fits 32 bits.
    const hi = Math.floor(value / TWO_32);
    w.int64(value - hi * TWO_32, hi);
  } else {
    w.float64(value);
  }
}

/** Not an OTel attribute type, but an int64 bigint has an exact encoding: the one msgpackr uses. */
function writeBigInt(w: MsgpackWriter, value: bigint): boolean {
  if (value < -(1n << 63n) || value >= 1n << 63n) return false;
  w.int64(Number(BigInt.asUintN(32, value)), Number(BigInt.asIntN(32, value >> 32n)));
  return true;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
