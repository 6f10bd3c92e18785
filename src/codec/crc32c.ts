/**
 * CRC32C (Castagnoli) behind one module, so the library can be swapped. @node-rs/crc32 runs at
 * about 5 GB/s here; every checksum in data-format.md is this function with initial value 0.
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const view = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
  // The binding takes a Buffer; wrapping the same memory copies nothing.
  const buffer = Buffer.isBuffer(view) ? view : Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  return nativeCrc32c(buffer) >>> 0;
}
