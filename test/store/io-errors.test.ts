// Proves a failed write or fdatasync is fatal: the batch is not acknowledged, the store takes no more writes, and a reopen is consistent.
import { describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore } from '../../src/index.js';
import { SimulatedDisk, type MutatingCall } from '../../scripts/reliability/simulated-disk.js';

function batch(n: number): Uint8Array {
  const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 'io' } } });
  encoder.add({ traceId: (n + 1).toString(16).padStart(32, 'e'), spanId: '1'.padStart(16, 'f'), name: `b${n}`, startTimeUnixNano: 1n, endTimeUnixNano: 2n });
  return encoder.finish();
}

describe('I/O errors', () => {
  for (const [point, code] of [['fdatasync', 'EIO'], ['write', 'ENOSPC'], ['write', 'EIO']] as [MutatingCall, string][]) {
    it(`${code} on ${point}: not acknowledged, store failed, reopen consistent`, async () => {
      const dir = '/store';
      const fileLayer = new SimulatedDisk();
      const store = await TraceStore.open({ dir, fileLayer, readerThreads: 0 });
      await store.append(batch(0));
      // The next call of that kind fails once (a write fault lands half the bytes first).
      fileLayer.injectFault({ call: point, nth: fileLayer.callCount(point) + 1, code, persistent: false });
      await expect(store.append(batch(1))).rejects.toMatchObject({ code: 'ERR_STORE_FAILED' });
      // The fault was one-off, but the store must not retry and then acknowledge (fsyncgate).
      await expect(store.append(batch(2))).rejects.toMatchObject({ code: 'ERR_STORE_FAILED' });
      expect(store.stats().failed).toBe(true);
      expect((await store.getTrace(batch0Id))?.spans.length).toBe(1); // durable data stays readable
      await store.close();

      const reopened = await TraceStore.open({ dir, fileLayer, readerThreads: 0 });
      expect((await reopened.getTrace(batch0Id))?.spans.length).toBe(1);
      // The unacknowledged batch is either wholly there (its bytes reached the file) or absent; never half.
      const second = await reopened.getTrace((2).toString(16).padStart(32, 'e'));
      expect(second === null || second.spans.length === 1).toBe(true);
      if (point === 'write') expect(second).toBeNull(); // the partial write was truncated away
      expect(await reopened.getTrace((3).toString(16).padStart(32, 'e'))).toBeNull();
      await reopened.append(batch(3));
      await reopened.close();
    });
  }
});

const batch0Id = (1).toString(16).padStart(32, 'e');
