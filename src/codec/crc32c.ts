/**
 * CRC32C (Castagnoli) behind one module, so the library can be swapped. Every checksum in
 * data-format.md is this function with initial value 0.
 *
 * Normally @node-rs/crc32, a native addon at ~5 GB/s. With TRACEKV_NATIVE_FREE=1 (the
 * native-free benchmarks, which measure our TypeScript alone) the pure-JS crc-32 package instead,
 * and the addon is never loaded.
 */
import { createRequire } from 'node:module';

type Crc32cOfBuffer = (bytes: Buffer) => number;

const require = createRequire(import.meta.url);
export const NATIVE_FREE = process.env.TRACEKV_NATIVE_FREE === '1';

const implementation: Crc32cOfBuffer = NATIVE_FREE
  ? ((require('crc-32/crc32c') as { buf(bytes: Uint8Array, seed?: number): number }).buf as Crc32cOfBuffer)
  : (require('@node-rs/crc32') as { crc32c(bytes: Buffer): number }).crc32c;

export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const view = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
  // The binding takes a Buffer; wrapping the same memory copies nothing.
  const buffer = Buffer.isBuffer(view) ? view : Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  return implementation(buffer) >>> 0;
}
