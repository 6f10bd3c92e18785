// Proves generations roll by time, retention drops exactly the expired ones (whole directories), and time bounds filter spans and skip generations.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore } from '../../src/index.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';

afterAll(removeTempDirs);

const HOUR_MS = 3_600_000;
const resource = { attributes: { 'service.name': 'gen' } };

function batchAt(traceNo: number, startTimeUnixNano: bigint): Uint8Array {
  const encoder = new BatchEncoder({ resource });
  for (let s = 1; s <= 3; s++) {
    const start = startTimeUnixNano + BigInt(s) * 1000n;
    encoder.add({ traceId: (traceNo + 1).toString(16).padStart(32, 'c'), spanId: s.toString(16).padStart(16, 'd'), name: `s${s}`, startTimeUnixNano: start, endTimeUnixNano: start + 10n });
  }
  return encoder.finish();
}

describe('generations and retention', () => {
  it('rolls a generation per hour and drops exactly the expired ones', async () => {
    const dir = tempDir('retention');
    let now = 1_800_000_000_000;
    const clock = () => now;
    // One reader: each reader closes the fds of dropped segments on its next read.
    const store = await TraceStore.open({ dir, clock, retentionHours: 4, readerThreads: 1 });
    const t0 = now;
    for (let hour = 0; hour < 5; hour++) {
      await store.append(batchAt(hour, BigInt(now) * 1_000_000n));
      now += HOUR_MS + 1;
    }
    // Each append after the first found its generation an hour old and rolled it: generation k
    // closed at t0 + k h + k ms. Retention also ran at each roll, but nothing was 4 h past closing yet.
    expect(store.stats().generations).toBe(5);
    now = t0 + 7 * HOUR_MS + 10;
    // Reading every trace leaves the reader holding fds on every generation's segments.
    expect((await store.getTraces([0, 1, 2, 3, 4].map((n) => (n + 1).toString(16).padStart(32, 'c')))).every((t) => t !== null)).toBe(true);
    // Expired when closedAt + 4 h <= now: gens 1 (5h+1), 2 (6h+2), 3 (7h+3); not 4 (8h+4) or the open 5.
    const dropped = await store.enforceRetention();
    expect(dropped).toEqual([1, 2, 3]);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('gen-')).sort()).toEqual(['gen-0000000004', 'gen-0000000005']);
    const traces = await store.getTraces([0, 1, 2, 3, 4].map((n) => (n + 1).toString(16).padStart(32, 'c')));
    expect(traces.map((t) => t !== null)).toEqual([false, false, false, true, true]);
    // Dropped segments' space is freed now: no fd of this process still holds one.
    const heldDeleted = fs
      .readdirSync('/proc/self/fd')
      .map((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return '';
        }
      })
      .filter((target) => target.startsWith(dir) && target.endsWith('(deleted)'));
    expect(heldDeleted).toEqual([]);
    await store.close();

    // Reopen at 7h+10: generation 5's hour is up, so it is closed now (closedAt 7h+10); nothing expires.
    const reopened = await TraceStore.open({ dir, clock, retentionHours: 4 });
    expect(reopened.stats().generations).toBe(2);
    await reopened.close();
    now = t0 + 11 * HOUR_MS + 9;
    // 11h+9: generation 4 (8h+4) has expired, generation 5 (expires at 11h+10) has not, by 1 ms.
    const later = await TraceStore.open({ dir, clock, retentionHours: 4 });
    expect(later.stats()).toMatchObject({ generations: 1, generationsDropped: 1 });
    expect((await later.getTrace((5).toString(16).padStart(32, 'c')))?.spans.length).toBe(3);
    await later.close();
  });

  it('filters spans by start time and skips generations that cannot match', async () => {
    const dir = tempDir('bounds');
    let now = 1_800_000_000_000;
    const store = await TraceStore.open({ dir, clock: () => now });
    const traceId = '1'.padStart(32, 'c');
    await store.append(batchAt(0, 1_000_000n));
    now += HOUR_MS + 1;
    await store.append(batchAt(0, 9_000_000n)); // same trace, next generation
    expect(store.stats().generations).toBe(2);
    expect((await store.getTrace(traceId))?.spans.length).toBe(6);
    const early = await store.getTrace(traceId, { endTimeUnixNano: 2_000_000n });
    expect(early?.spans.map((s) => s.startTimeUnixNano)).toEqual([1_001_000n, 1_002_000n, 1_003_000n]);
    const late = await store.getTrace(traceId, { startTimeUnixNano: 9_002_000n });
    expect(late?.spans.map((s) => s.startTimeUnixNano)).toEqual([9_002_000n, 9_003_000n]);
    expect(await store.getTrace(traceId, { startTimeUnixNano: 5_000_000n, endTimeUnixNano: 6_000_000n })).toBeNull();
    await expect(store.getTrace(traceId, { startTimeUnixNano: 5n, endTimeUnixNano: 4n })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(store.getTrace(traceId, { startTimeUnixNano: 5 as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await store.close();
  });
});
