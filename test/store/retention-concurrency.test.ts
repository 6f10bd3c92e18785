// Proves retention runs one at a time: the minute timer, a generation roll and the public call, started together over several expired generations, drop each generation exactly once and the store keeps taking writes.
import fs from 'node:fs';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { BatchEncoder, TraceStore } from '../../src/index.js';
import { RETENTION_CHECK_INTERVAL_MS, SEGMENT_BYTES_MAX_MIN } from '../../src/constants.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';

afterAll(removeTempDirs);
afterEach(() => vi.useRealTimers());

const HOUR_MS = 3_600_000;
const EXPIRED_GENERATIONS = 6;

function batch(traceNo: number): Uint8Array {
  const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 'retention' } } });
  for (let s = 1; s <= 20; s++) {
    const start = 1_000_000_000n + BigInt(s) * 1000n;
    // Long names make each batch a good part of generationBytesMax, so every few appends roll.
    encoder.add({ traceId: (traceNo + 1).toString(16).padStart(32, 'e'), spanId: s.toString(16).padStart(16, 'f'), name: `span ${s} `.repeat(40), startTimeUnixNano: start, endTimeUnixNano: start + 5n });
  }
  return encoder.finish();
}

function generationDirs(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name.startsWith('gen-')).sort();
}

describe('retention runs one at a time', () => {
  it('the timer, a roll and enforceRetention() together no longer rename a generation twice (ENOENT) and fail the store', async () => {
    // Only the interval is faked, so the test fires the minute timer at the moment it chooses; fs stays real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const dir = tempDir('retention-race');
    let now = 1_800_000_000_000;
    // Generations roll by size, not time, so all of them close at the same clock reading.
    const store = await TraceStore.open({ dir, clock: () => now, retentionHours: 1, generationBytesMax: SEGMENT_BYTES_MAX_MIN, segmentBytesMax: SEGMENT_BYTES_MAX_MIN, readerThreads: 0 });
    let traceNo = 0;
    while (store.stats().generations <= EXPIRED_GENERATIONS) await store.append(batch(traceNo++));
    const before = store.stats().generations;
    expect(before).toBeGreaterThan(EXPIRED_GENERATIONS);

    now += HOUR_MS + 1;
    vi.advanceTimersByTime(RETENTION_CHECK_INTERVAL_MS); // the timer's run starts here
    const rolling = store.append(batch(traceNo++)); // full generation: this append rolls, and the roll runs retention
    const publicRun = store.enforceRetention();
    const [appended, dropped] = await Promise.all([rolling, publicRun]);
    expect(appended.spans).toBe(20);
    // Whichever run did the work, every closed generation went exactly once.
    expect(store.stats().failed).toBe(false);
    await store.enforceRetention();
    const stats = store.stats();
    expect(stats.generationsDropped).toBe(before - 1);
    expect(new Set(dropped).size).toBe(dropped.length);
    expect(generationDirs(dir)).toHaveLength(stats.generations);
    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.deleting'))).toEqual([]);

    // The store keeps taking writes, and what it took is readable.
    await store.append(batch(traceNo));
    expect((await store.getTrace((traceNo + 1).toString(16).padStart(32, 'e')))?.spans).toHaveLength(20);
    await store.close();
  });
});
