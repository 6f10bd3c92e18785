// Proves writeChunkFile publishes a chunk only through write-new, fdatasync, rename, fsync dir, and
// that every I/O failure (writing or opening) surfaces as ERR_IO naming the file, leaving no .tmp of ours.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TraceKvError } from '../../src/errors.js';
import { type FileLayer, nodeFileLayer } from '../../src/io/file-layer.js';
import { ChunkFile } from '../../src/index/chunk-file.js';
import { buildChunkFile, writeChunkFile } from '../../src/index/chunk-writer.js';
import { IndexTail } from '../../src/index/index-tail.js';
import { makeTempDir, removeTempDir } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = makeTempDir('chunk-writer');
});
afterEach(() => removeTempDir(dir));

function smallChunk(): Uint8Array {
  const tail = new IndexTail(4, 16);
  tail.beginRecord(1, 32, 100, 1n, 2n);
  tail.addSpans(new Uint8Array(16).fill(7), 0, 1);
  tail.endRecord();
  return buildChunkFile(tail, { generationId: 1, chunkSeq: 1, from: { segmentId: 1, fileOffset: 32 }, to: { segmentId: 1, fileOffset: 132 } });
}

/** nodeFileLayer with one method failing with EIO, and a log of the calls made. */
function faulty(failing: keyof FileLayer | null, calls: string[]): FileLayer {
  const layer = { ...nodeFileLayer } as Record<string, unknown>;
  for (const name of ['open', 'write', 'fdatasync', 'close', 'rename', 'unlink', 'fsyncDir'] as const) {
    const real = nodeFileLayer[name] as (...args: unknown[]) => unknown;
    layer[name] = (...args: unknown[]) => {
      calls.push(name);
      if (name === failing) throw Object.assign(new Error(`EIO: injected ${name}`), { code: 'EIO' });
      return real(...args);
    };
  }
  return layer as unknown as FileLayer;
}

async function ioFailure(promise: Promise<void>): Promise<TraceKvError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TraceKvError);
  expect((error as TraceKvError).code).toBe('ERR_IO');
  return error as TraceKvError;
}

describe('writeChunkFile', () => {
  it('writes tmp, syncs, renames into place and syncs the directory', async () => {
    const calls: string[] = [];
    const bytes = smallChunk();
    await writeChunkFile(faulty(null, calls), dir, 'idx-0000000001.tki', bytes);
    expect(calls).toEqual(['open', 'write', 'fdatasync', 'close', 'rename', 'fsyncDir']);
    expect(fs.readdirSync(dir)).toEqual(['idx-0000000001.tki']);
    expect(new Uint8Array(fs.readFileSync(path.join(dir, 'idx-0000000001.tki')))).toEqual(bytes);
  });

  it.each(['write', 'fdatasync', 'close', 'rename'] as const)('on a failed %s: ERR_IO, no tmp, no chunk', async (failing) => {
    const error = await ioFailure(writeChunkFile(faulty(failing, []), dir, 'idx-0000000001.tki', smallChunk()));
    expect(error.file).toBe(path.join(dir, 'idx-0000000001.tki.tmp'));
    expect(error.message).toContain('EIO');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('on a failed directory fsync: ERR_IO naming the directory', async () => {
    const error = await ioFailure(writeChunkFile(faulty('fsyncDir', []), dir, 'idx-0000000001.tki', smallChunk()));
    expect(error.file).toBe(dir);
  });

  it('ChunkFile.open of a missing file is ERR_IO naming it', () => {
    const missing = path.join(dir, 'idx-0000000009.tki');
    let error: unknown = null;
    try {
      ChunkFile.open(nodeFileLayer, missing, { generationId: 1, chunkSeq: 9, partitionCount: 4 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TraceKvError);
    expect((error as TraceKvError).code).toBe('ERR_IO');
    expect((error as TraceKvError).file).toBe(missing);
  });

  it('refuses to reuse a tmp file it did not create, and leaves it alone', async () => {
    fs.writeFileSync(path.join(dir, 'idx-0000000001.tki.tmp'), 'someone else');
    await ioFailure(writeChunkFile(nodeFileLayer, dir, 'idx-0000000001.tki', smallChunk()));
    expect(fs.readdirSync(dir)).toEqual(['idx-0000000001.tki.tmp']);
  });
});
