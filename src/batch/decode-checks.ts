/**
 * Type checks of msgpackr output on the decode side (data-format.md §2.4–2.5). Each failure goes
 * through the caller's CorruptError, so the same checks serve the common section
 * (ERR_BATCH_CORRUPT) and span records (ERR_SPAN_CORRUPT).
 *
 * Inside a checked array, `undefined` always means "past the end of the array": checkArray rejects
 * an element that decoded to undefined (msgpackr's extension 0), so it cannot pose as absent.
 */
import type { CorruptError } from './attributes.js';
import { INT64_MAX, INT64_MIN, U32_MAX, describe } from './input-checks.js';

export function checkArray(
  value: unknown,
  what: string,
  lengthMin: number,
  lengthMax: number,
  corrupt: CorruptError,
): unknown[] {
  if (!Array.isArray(value)) throw corrupt(`${what}: got ${describe(value)}; want an array`);
  if (value.length < lengthMin || value.length > lengthMax) {
    const want = lengthMin === lengthMax ? `${lengthMin}` : `${lengthMin}..${lengthMax}`;
    throw corrupt(`${what}: array length got ${value.length}; want ${want}`);
  }
  for (let i = 0; i < value.length; i++) {
    if (value[i] === undefined) throw corrupt(`${what}[${i}]: got an undefined extension value; want a msgpack value`);
  }
  return value;
}

/** A uint field that must fit u32; absent ⇒ 0. Any msgpack integer encoding is accepted. */
export function decodeU32(value: unknown, what: string, corrupt: CorruptError): number {
  if (value === undefined) return 0;
  const number = typeof value === 'bigint' && value >= 0n && value <= BigInt(U32_MAX) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 0 || number > U32_MAX) {
    throw corrupt(`${what}: got ${describe(value)}; want a u32`);
  }
  return number;
}

/** A "uint / nil" field: absent or nil ⇒ undefined. */
export function decodeOptionalU32(value: unknown, what: string, corrupt: CorruptError): number | undefined {
  if (value === undefined || value === null) return undefined;
  return decodeU32(value, what, corrupt);
}

/**
 * An "int" field (durations, offsets), read as int64; absent ⇒ 0. Any msgpack integer encoding is
 * accepted; an integral float cannot be told from an integer after msgpackr and is accepted too.
 */
export function decodeInt64(value: unknown, what: string, corrupt: CorruptError): bigint {
  if (value === undefined) return 0n;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX) return value;
  throw corrupt(`${what}: got ${describe(value)}; want an int64`);
}

export function decodeString(value: unknown, what: string, corrupt: CorruptError): string {
  if (typeof value !== 'string') throw corrupt(`${what}: got ${describe(value)}; want a string`);
  return value;
}

/** A "str / nil" field: absent or nil ⇒ undefined. */
export function decodeOptionalString(value: unknown, what: string, corrupt: CorruptError): string | undefined {
  if (value === undefined || value === null) return undefined;
  return decodeString(value, what, corrupt);
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
