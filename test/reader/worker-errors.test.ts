// Proves a reader's errors say what happened, inline and across the worker boundary: a bug (a non-TraceKvError) is ERR_INTERNAL carrying the original message and stack, an I/O error stays ERR_IO naming the real file, and a TraceKvError keeps its code, file and offset.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { TraceKvError } from '../../src/errors.js';
import { nodeFileLayer } from '../../src/io/file-layer.js';
import { createExecutor, type RecordExecutor } from '../../src/reader/reader-pool.js';
import { fromTaskError, toTaskError, type RecordTask } from '../../src/reader/record-task.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';

afterAll(removeTempDirs);

const CACHE_BYTES = 1 << 20;
const TIMEOUT_MS = 30_000;

/** A task for one record of `file` wanted by one trace (with no spans promised). */
function taskFor(file: string, fileOffset: number): RecordTask {
  return {
    files: [file],
    fileOffsets: [fileOffset],
    recordLengths: [64],
    planIndexes: [0],
    traceIds: new Uint8Array(16).fill(7),
    bounds: BigUint64Array.from([0n, 1n]),
    wants: Uint32Array.from([1, 0, 0]),
    traceBytesMax: 1 << 20,
    requestBytesMax: 1 << 20,
    retentionEpoch: 0,
    raw: false,
    otlp: false,
    fillCache: true,
  };
}

async function failure(executor: RecordExecutor, task: RecordTask): Promise<TraceKvError> {
  const error = await executor.run(task, performance.now() + TIMEOUT_MS).then(
    () => new Error('resolved; want a rejection'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TraceKvError);
  return error as TraceKvError;
}

describe.each([0, 1])('reader errors with readerThreads %i', (threads) => {
  it('a TypeError inside the reader is ERR_INTERNAL with the original message and stack, not ERR_IO', async () => {
    const executor = createExecutor(threads, nodeFileLayer, CACHE_BYTES);
    try {
      // A malformed task stands for a bug on the main side: runRecordTask reads traceIds.length.
      const task = { ...taskFor('/unused', 32), traceIds: undefined } as unknown as RecordTask;
      const error = await failure(executor, task);
      expect(error.code).toBe('ERR_INTERNAL');
      expect(error.file).toBeUndefined();
      expect(error.message).toContain("TypeError: Cannot read properties of undefined (reading 'length')");
      const cause = error.cause as Error;
      expect(cause).toBeInstanceOf(TypeError);
      expect(cause.message).toBe("Cannot read properties of undefined (reading 'length')");
      // The stack is the reader's own, from where the bug is, not the main thread's.
      expect(cause.stack).toMatch(/at runRecordTask .*record-task\.(js|ts)/);
    } finally {
      await executor.close();
    }
  });

  it('an errno error stays ERR_IO naming the real file, with the errno on its cause', async () => {
    const executor = createExecutor(threads, nodeFileLayer, CACHE_BYTES);
    try {
      const file = `${tempDir('worker-errors')}/seg-0000000001.tkv`;
      const error = await failure(executor, taskFor(file, 32));
      expect(error.code).toBe('ERR_IO');
      expect(error.file).toBe(file);
      expect(error.message).toContain(file);
      expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    } finally {
      await executor.close();
    }
  });

  it('a TraceKvError keeps its code, file and offset', async () => {
    const executor = createExecutor(threads, nodeFileLayer, CACHE_BYTES);
    try {
      const file = `${tempDir('worker-errors')}/seg-0000000001.tkv`;
      fs.writeFileSync(file, new Uint8Array(16));
      const error = await failure(executor, taskFor(file, 0));
      expect(error).toMatchObject({ code: 'ERR_SEGMENT_CORRUPT', file, offset: 0 });
    } finally {
      await executor.close();
    }
  });
});

describe('task errors', () => {
  it('an errno error no reader code wrapped is ERR_IO naming its path, not an internal error', () => {
    let raw: unknown;
    try {
      fs.readFileSync('/nonexistent-tracekv-dir/seg-0000000001.tkv');
    } catch (error) {
      raw = error;
    }
    const error = fromTaskError(structuredClone(toTaskError(raw)));
    expect(error).toMatchObject({ code: 'ERR_IO', file: '/nonexistent-tracekv-dir/seg-0000000001.tkv' });
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('a thrown non-Error is ERR_INTERNAL with its text', () => {
    const error = fromTaskError(structuredClone(toTaskError('plain string')));
    expect(error.code).toBe('ERR_INTERNAL');
    expect(error.message).toContain('plain string');
  });
});
