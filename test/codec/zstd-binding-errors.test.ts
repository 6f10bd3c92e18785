// Proves a zstd binding that fails (will not load, rejects its arguments, throws) is ERR_INTERNAL on both sides, never ERR_IO on an invented file, while zstd's own verdict on a stored frame stays ERR_SEGMENT_CORRUPT.
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { zstdCompress, zstdDecompress } from '../../src/codec/zstd.js';
import { BatchEncoder, TraceKvError, TraceStore } from '../../src/index.js';
import { RECORD_HEADER_BYTES } from '../../src/constants.js';
import { decodeRecordBody } from '../../src/segment/record-codec.js';
import { readRecordHeader } from '../../src/segment/record-header.js';
import { CODEC_ZSTD, makeRecord, seededRandom } from '../segment/helpers.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';
import { rejection } from '../helpers/rejection.js';

/** What the fake binding does instead of the real one; null passes the call through. */
const { BINDING_ID, fake } = vi.hoisted(() => ({
  BINDING_ID: '@mongodb-js/zstd/bindings',
  fake: {
    loadError: null as Error | null,
    compress: null as ((data: Buffer, level?: number) => Promise<Buffer>) | null,
    decompress: null as ((data: Buffer) => Promise<Buffer>) | null,
  },
}));

// zstd.ts loads the binding with createRequire; replacing that require is the only seam, so no
// test hook lives in production code.
vi.mock('node:module', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:module')>();
  const createRequire = (url: string | URL) => {
    const require = actual.createRequire(url);
    return (id: string) => {
      if (id !== BINDING_ID) return require(id);
      if (fake.loadError !== null) throw fake.loadError;
      const real = require(id) as { compress(d: Buffer, l?: number): Promise<Buffer>; decompress(d: Buffer): Promise<Buffer> };
      return {
        compress: (data: Buffer, level?: number) => (fake.compress ?? real.compress)(data, level),
        decompress: (data: Buffer) => (fake.decompress ?? real.decompress)(data),
      };
    };
  };
  return { ...actual, createRequire, default: { ...actual, createRequire } };
});

afterEach(() => {
  fake.loadError = null;
  fake.compress = null;
  fake.decompress = null;
});
afterAll(removeTempDirs);

const FILE = '/data/gen-0000000003/seg-0000000001.tkv';
const FILE_OFFSET = 32;

/** An error shaped like the ones napi-rs makes: a message and a status code. */
function napiError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

async function decodeWhole(record: Uint8Array): Promise<Uint8Array> {
  const header = readRecordHeader(record, 0, FILE, FILE_OFFSET);
  return decodeRecordBody(header, record.subarray(RECORD_HEADER_BYTES), FILE, FILE_OFFSET);
}

describe('zstd binding failures', () => {
  it('a binding that will not load is ERR_INTERNAL with the loader error as cause', async () => {
    vi.resetModules();
    const fresh = await import('../../src/codec/zstd.js');
    const loadError = new Error(`Cannot find module '${BINDING_ID}'`);
    fake.loadError = loadError;
    // A fresh module graph has its own TraceKvError class: check the code, not the class.
    const error = (await fresh.zstdCompress(new Uint8Array(10), 1).catch((e: unknown) => e)) as TraceKvError;
    expect(error.code).toBe('ERR_INTERNAL');
    expect(error.message).toContain('Cannot find module');
    expect(error.cause).toBe(loadError);
  });

  it('a throw inside compress is ERR_INTERNAL, with the original message and stack', async () => {
    const thrown = new TypeError('binding exploded');
    fake.compress = () => {
      throw thrown;
    };
    const error = await rejection(zstdCompress(new Uint8Array(10), 1));
    expect(error.code).toBe('ERR_INTERNAL');
    expect(error.message).toContain('TypeError: binding exploded');
    expect(error.cause).toBe(thrown);
    expect((error.cause as Error).stack).toContain('zstd-binding-errors.test.ts');
  });

  it('a decompress that rejects its arguments is ERR_INTERNAL, not ERR_SEGMENT_CORRUPT, on a record whose CRC matched', async () => {
    const made = await makeRecord(seededRandom(0x2577d), 2_000, CODEC_ZSTD, 1);
    fake.decompress = () => Promise.reject(napiError('InvalidArg', ''));
    const error = await rejection(decodeWhole(made.record));
    expect(error.code).toBe('ERR_INTERNAL');
    expect(error.message).toContain('InvalidArg');
    await expect(zstdDecompress(made.record.subarray(RECORD_HEADER_BYTES))).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
  });

  it("zstd's verdict on the frame (napi GenericFailure) stays ERR_SEGMENT_CORRUPT naming file and offset", async () => {
    const made = await makeRecord(seededRandom(0x2577e), 2_000, CODEC_ZSTD, 1);
    fake.decompress = () => Promise.reject(napiError('GenericFailure', 'Data corruption detected'));
    const error = await rejection(decodeWhole(made.record));
    expect(error).toMatchObject({ code: 'ERR_SEGMENT_CORRUPT', file: FILE, offset: FILE_OFFSET });
    expect(error.message).toContain('Data corruption detected');
  });

  it('an allocation failure reported by zstd is ERR_INTERNAL: it says nothing about the bytes', async () => {
    const made = await makeRecord(seededRandom(0x2577f), 2_000, CODEC_ZSTD, 1);
    fake.decompress = () => Promise.reject(napiError('GenericFailure', 'Allocation error : not enough memory'));
    const error = await rejection(decodeWhole(made.record));
    expect(error.code).toBe('ERR_INTERNAL');
  });

  it('an append whose compression throws in the binding is ERR_INTERNAL, not ERR_IO on "(memory)", and the store goes on', async () => {
    const store = await TraceStore.open({ dir: tempDir('zstd-binding'), readerThreads: 0 });
    try {
      const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 'zstd' } } });
      encoder.add({ traceId: '1'.padStart(32, 'a'), spanId: '1'.padStart(16, 'b'), name: 's', startTimeUnixNano: 1n, endTimeUnixNano: 2n });
      const batch = encoder.finish();
      fake.compress = () => Promise.reject(new RangeError('compress level out of range'));
      const error = await rejection(store.append(batch));
      expect(error.code).toBe('ERR_INTERNAL');
      expect(error.file).toBeUndefined();
      expect(error.message).toContain('RangeError: compress level out of range');
      fake.compress = null;
      await expect(store.append(batch)).resolves.toMatchObject({ spans: 1 });
    } finally {
      await store.close();
    }
  });
});
