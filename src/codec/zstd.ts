/**
 * zstd behind one module. We call the native binding directly: the package's `compress(buf, level)`
 * wrapper in 1.2.x ignores `level` and always uses 3.
 */
import { createRequire } from 'node:module';

interface ZstdBinding {
  compress(data: Buffer, level?: number | null): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

const require = createRequire(import.meta.url);
let loaded: ZstdBinding | null = null;

/** Loaded on first use: code that never compresses (native-free benchmarks) never loads the addon. */
function binding(): ZstdBinding {
  loaded ??= require('@mongodb-js/zstd/bindings') as ZstdBinding;
  return loaded;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function zstdCompress(bytes: Uint8Array, level: number): Promise<Buffer> {
  return binding().compress(asBuffer(bytes), level);
}

/** Rejects with the binding's plain Error on malformed input; callers turn that into a typed error. */
export function zstdDecompress(bytes: Uint8Array): Promise<Buffer> {
  return binding().decompress(asBuffer(bytes));
}
