/**
 * zstd behind one module. We call the native binding directly: the package's `compress(buf, level)`
 * wrapper in 1.2.x ignores `level` and always uses 3.
 *
 * Reads can also decompress inline, on the calling thread, with zstd's own decoder compiled to
 * WebAssembly (the `zstddec` package: zstd's C source, BSD-3-Clause). Why: the binding takes
 * ~110–125 µs of CPU for an 81 KB W1 batch that zstd decompresses in ~30 µs, and every call is a hop
 * to the libuv threadpool and back; the WASM decoder takes ~65–75 µs, synchronously. The reader
 * workers are threads already, so for them inline is both less CPU and less latency.
 *
 * Two kinds of failure come out of here. zstd's verdict on a frame it cannot decode is a plain
 * Error, which the caller, who knows the file and offset, turns into a corruption error. Anything
 * else is the binding failing, not the bytes: ERR_INTERNAL, with the binding's error as `cause`.
 */
import { createRequire } from 'node:module';
import type { ZSTDDecoder } from 'zstddec';
import { assert, internalError } from '../errors.js';

/**
 * The largest output zstdDecompressInline takes. Each thread's WASM heap grows to its largest
 * frame and never shrinks, so larger batches go to the binding: this bounds that heap at ~2× this
 * per thread. W1's batches are ~81 KB and an OTLP request's a few hundred KB. Measured on the full
 * protocol fuzz (seed 20261205), daemon RSS after it against before: +15.2% at 4 MiB, +3.6% at 1 MiB.
 */
export const ZSTD_INLINE_RAW_BYTES_MAX = 1024 * 1024;

interface ZstdBinding {
  compress(data: Buffer, level?: number | null): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

const require = createRequire(import.meta.url);
let loaded: ZstdBinding | null = null;
let inlineDecoder: ZSTDDecoder | null = null;
let inlineDecoderInit: Promise<void> | null = null;

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

/**
 * Decompresses one frame whose content is `rawLength` bytes (the record header says so) on this
 * thread, with the WASM decoder. The same contract as zstdDecompress: a plain Error when zstd
 * rejects the frame, ERR_INTERNAL when the decoder itself failed. A frame that decodes to another
 * length comes back as decoded (zstd refuses one longer than `rawLength`); the caller checks it.
 */
export async function zstdDecompressInline(bytes: Uint8Array, rawLength: number): Promise<Buffer> {
  assert(rawLength > 0 && rawLength <= ZSTD_INLINE_RAW_BYTES_MAX, `zstdDecompressInline: rawLength ${rawLength} outside 1..${ZSTD_INLINE_RAW_BYTES_MAX}`);
  const decoder = inlineDecoder ?? (await compiledInlineDecoder());
  let decoded: Uint8Array;
  try {
    decoded = decoder.decode(bytes, rawLength);
  } catch (error) {
    throw internalError('in the zstd WASM decoder (decompress)', error);
  }
  // zstddec hands back ZSTD_decompress's size as it is: a zstd error code is a negative i32 there,
  // and the slice it takes comes back empty. rawLength > 0, so empty is always a rejection.
  if (decoded.length === 0) throw new Error('zstd (WASM) rejected the frame: ZSTD_decompress returned an error code');
  return Buffer.from(decoded.buffer, decoded.byteOffset, decoded.byteLength);
}

/** The WASM decoder, compiled on this thread's first inline read (~70 KB of base64); a failed compile is tried again next time. */
async function compiledInlineDecoder(): Promise<ZSTDDecoder> {
  // Imported here, not at the top: a thread that never decompresses inline never loads the module.
  inlineDecoderInit ??= import('zstddec').then(async ({ ZSTDDecoder: Decoder }) => {
    await new Decoder().init();
    inlineDecoder = new Decoder();
  });
  try {
    await inlineDecoderInit;
  } catch (error) {
    inlineDecoderInit = null;
    throw internalError('compiling the zstd WASM decoder', error);
  }
  return inlineDecoder!;
}
