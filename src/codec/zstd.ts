/**
 * zstd behind one module. We call the native binding directly: the package's `compress(buf, level)`
 * wrapper in 1.2.x ignores `level` and always uses 3.
 *
 * Two kinds of failure come out of here. zstd's verdict on a frame it cannot decode is a plain
 * Error, which the caller, who knows the file and offset, turns into a corruption error. Anything
 * else is the binding failing, not the bytes: ERR_INTERNAL, with the binding's error as `cause`.
 */
import { createRequire } from 'node:module';
import { internalError } from '../errors.js';

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

/**
 * Whether the binding's rejection is zstd judging the frame. The napi-rs binding reports zstd's
 * own errors ("Unknown frame descriptor", "incomplete frame", "Data corruption detected", ...) with
 * status GenericFailure, and bad arguments with InvalidArg and an empty message. zstd's allocation
 * failure comes as GenericFailure too but says nothing about the bytes, so it is not a verdict.
 */
function isFrameVerdict(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error as { code?: unknown }).code === 'GenericFailure' &&
    error.message !== '' &&
    !/allocation|memory/i.test(error.message)
  );
}

/** Rejects with ERR_INTERNAL on any failure: zstd does not judge bytes it is asked to compress. */
export async function zstdCompress(bytes: Uint8Array, level: number): Promise<Buffer> {
  try {
    return await binding().compress(asBuffer(bytes), level);
  } catch (error) {
    throw internalError('in the zstd binding (compress)', error);
  }
}

/**
 * Rejects with the binding's plain Error when zstd rejects the frame (callers turn that into a
 * typed corruption error naming the file), and with ERR_INTERNAL when the binding itself failed.
 */
export async function zstdDecompress(bytes: Uint8Array): Promise<Buffer> {
  try {
    return await binding().decompress(asBuffer(bytes));
  } catch (error) {
    if (isFrameVerdict(error)) throw error;
    throw internalError('in the zstd binding (decompress)', error);
  }
}
