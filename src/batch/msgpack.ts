/**
 * msgpackr behind one module, configured once for data-format.md §2.4–2.5.
 *
 * - `useRecords: false`: plain msgpack maps, no msgpackr record extension.
 * - `variableMapSize: true`: fixmap for small objects (msgpackr otherwise writes map16 always).
 * - `int64AsType: 'bigint'`: 0xd3/0xcf decode to bigint and every other number format to number,
 *   which is what tells an OTLP intValue from a doubleValue; msgpackr writes every bigint as 0xd3.
 * - `mapsAsObjects: false`: maps decode to Map, so non-string keys are visible (a plain-object
 *   decode would coerce them) and a "__proto__" key comes back as data, not a prototype.
 */
import { Packr, Unpackr } from 'msgpackr';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: false });

/**
 * Encodes one value. The result is a view of msgpackr's reusable buffer that the next call
 * overwrites: copy it out before packing again.
 */
export function packTransient(value: unknown): Uint8Array {
  return packr.pack(value);
}

/**
 * Decodes exactly one msgpack value filling all of `bytes`. Throws whatever msgpackr throws
 * (including for trailing bytes); callers wrap it in their own corrupt-data error.
 */
export function unpackOne(bytes: Uint8Array): unknown {
  // From a Buffer source msgpackr returns bin as Buffer subarrays, while its typed-array extension
  // returns plain typed arrays; isBin relies on that difference.
  const source = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return unpackr.unpack(source);
}

/** True for a value decoded from msgpack bin (§2.5 "bin"), false for any extension type. */
export function isBin(value: unknown): value is Buffer {
  return Buffer.isBuffer(value);
}

/** A decoded bin as a plain Uint8Array copy, so it equals the caller's input and outlives the batch. */
export function binToBytes(value: Buffer): Uint8Array {
  return new Uint8Array(value);
}
