// Proves a read-only open works beside a live writer: no lock, no writes (torn tails, temp files and broken chunks stay as they are), every acknowledged span readable, appends refused.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore } from '../../src/index.js';
import { removeTempDirs, segmentFiles, tempDir, snapshotFiles } from '../helpers/store-dir.js';

afterAll(removeTempDirs);

function batch(n: number): Uint8Array {
  const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 'ro' } } });
  encoder.add({ traceId: (n + 1).toString(16).padStart(32, '0'), spanId: '1'.padStart(16, '0'), name: `b${n}`, startTimeUnixNano: 1n, endTimeUnixNano: 2n });
  return encoder.finish();
}


describe('read-only open', () => {
  it('reads beside a live writer and changes nothing on disk', async () => {
    const dir = tempDir('read-only');
    // Default flush size: no background seal may write a chunk file between the two snapshots.
    const writer = await TraceStore.open({ dir });
    for (let n = 0; n < 30; n++) await writer.append(batch(n));
    // Leave a torn tail and a temp file, as a writer mid-record or a crash would.
    const segment = segmentFiles(dir)[0]!;
    fs.appendFileSync(segment, Buffer.from([0x54, 0x4b, 0x56, 0x52, 1, 2, 3]));
    fs.writeFileSync(path.join(dir, 'gen-0000000001', 'idx-0000000042.tki.tmp'), 'partial');
    const before = snapshotFiles(dir);
    const reader = await TraceStore.open({ dir, readOnly: true });
    expect(reader.stats().recovery.truncatedBytes).toBe(7);
    const traces = await reader.getTraces(Array.from({ length: 30 }, (_, n) => (n + 1).toString(16).padStart(32, '0')));
    expect(traces.every((t) => t?.spans.length === 1)).toBe(true);
    await expect(reader.append(batch(99))).rejects.toMatchObject({ code: 'ERR_READ_ONLY' });
    await expect(reader.enforceRetention()).rejects.toMatchObject({ code: 'ERR_READ_ONLY' });
    await reader.close();
    expect(snapshotFiles(dir)).toEqual(before);
    await writer.close();
    await expect(TraceStore.open({ dir: tempDir('ro-missing'), readOnly: true })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'dir' });
  });
});
