// Proves recovery: a torn tail loses only the torn record, mid-file corruption fails the open with file and offset, temp files go, broken index chunks are re-derived.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore } from '../../src/index.js';
import type { AppendResult } from '../../src/index.js';
import { crashCopy, removeTempDirs, segmentFiles, tempDir } from '../helpers/store-dir.js';

afterAll(removeTempDirs);

const resource = { attributes: { 'service.name': 'recovery' } };

function traceIdOf(i: number): string {
  return (i + 1).toString(16).padStart(32, 'a');
}

function batchFor(i: number): Uint8Array {
  const encoder = new BatchEncoder({ resource });
  for (let s = 1; s <= 20; s++) {
    encoder.add({
      traceId: traceIdOf(i),
      spanId: s.toString(16).padStart(16, 'b'),
      name: `span-${i}-${s}`,
      startTimeUnixNano: BigInt(1e18) + BigInt(i * 100 + s),
      endTimeUnixNano: BigInt(1e18) + BigInt(i * 100 + s + 50),
      attributes: { i, s, pad: 'x'.repeat(i * 7) },
    });
  }
  return encoder.finish();
}

/** A store with `count` acknowledged batches, captured as a crash would leave it. */
async function crashedStore(count: number, label: string): Promise<{ dir: string; results: AppendResult[] }> {
  const live = tempDir(label);
  const store = await TraceStore.open({ dir: live });
  const results: AppendResult[] = [];
  for (let i = 0; i < count; i++) results.push(await store.append(batchFor(i)));
  const dir = crashCopy(live, `${label}-crash`);
  await store.close();
  return { dir, results };
}

async function presentTraces(dir: string, count: number): Promise<boolean[]> {
  const store = await TraceStore.open({ dir });
  const found = (await store.getTraces(Array.from({ length: count }, (_, i) => traceIdOf(i)))).map((t) => t !== null && t.spans.length === 20);
  await store.close();
  return found;
}

describe('recovery', () => {
  it('re-derives the index of a crashed store and finds every acknowledged batch', async () => {
    const { dir } = await crashedStore(6, 'rederive');
    const store = await TraceStore.open({ dir });
    expect(store.stats().recovery).toMatchObject({ reindexedRecords: 6, reindexedSpans: 120, truncatedBytes: 0 });
    await store.close();
    expect(await presentTraces(dir, 6)).toEqual([true, true, true, true, true, true]);
  });

  it('cuts a torn last record at every length and keeps every record before it', async () => {
    const { dir, results } = await crashedStore(4, 'torn');
    const [segment] = segmentFiles(dir);
    const full = fs.readFileSync(segment!);
    const last = results[3]!;
    const cuts = [last.fileOffset + 1, last.fileOffset + 30, last.fileOffset + 47, last.fileOffset + 48, full.length - 1];
    for (const cut of cuts) {
      const copy = tempDir('torn-cut');
      fs.cpSync(dir, copy, { recursive: true });
      fs.writeFileSync(segmentFiles(copy)[0]!, full.subarray(0, cut));
      const store = await TraceStore.open({ dir: copy });
      expect(store.stats().recovery.truncatedBytes).toBe(cut - last.fileOffset);
      await store.close();
      expect(await presentTraces(copy, 4)).toEqual([true, true, true, false]);
    }
  });

  it('treats zeroes or garbage after the last record as a torn tail, but not a valid record after damage', async () => {
    const { dir, results } = await crashedStore(3, 'garbage');
    const segment = segmentFiles(dir)[0]!;
    const full = fs.readFileSync(segment);
    for (const tail of [Buffer.alloc(5000), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 251))]) {
      const copy = tempDir('garbage-tail');
      fs.cpSync(dir, copy, { recursive: true });
      fs.writeFileSync(segmentFiles(copy)[0]!, Buffer.concat([full, tail]));
      const store = await TraceStore.open({ dir: copy });
      expect(store.stats().recovery.truncatedBytes).toBe(tail.length);
      await store.close();
      expect(await presentTraces(copy, 3)).toEqual([true, true, true]);
    }
    // Damage in record 2 of 3: a valid record follows, so this is mid-file corruption, never truncated away.
    const copy = tempDir('midfile');
    fs.cpSync(dir, copy, { recursive: true });
    const damaged = Buffer.from(full);
    damaged[results[1]!.fileOffset + 10]! ^= 0xff;
    fs.writeFileSync(segmentFiles(copy)[0]!, damaged);
    await expect(TraceStore.open({ dir: copy })).rejects.toMatchObject({
      code: 'ERR_SEGMENT_CORRUPT',
      file: segmentFiles(copy)[0],
      offset: results[1]!.fileOffset,
    });
    expect(fs.readFileSync(segmentFiles(copy)[0]!).equals(damaged)).toBe(true); // nothing was cut
  });

  it('removes an empty segment whose creation was torn, so the next segment takes its place (kill -9 campaign regression)', async () => {
    const { dir } = await crashedStore(3, 'empty-segment');
    const gen = path.join(dir, 'gen-0000000001');
    // A kill between creating the next segment (O_EXCL) and writing its header leaves 0 bytes.
    fs.writeFileSync(path.join(gen, 'seg-0000000002.tkv'), Buffer.alloc(0));
    const store = await TraceStore.open({ dir });
    expect(store.stats().recovery.truncatedFiles).toEqual([path.join(gen, 'seg-0000000002.tkv')]);
    expect(fs.existsSync(path.join(gen, 'seg-0000000002.tkv'))).toBe(false);
    const result = await store.append(batchFor(3));
    expect(result.segmentId).toBe(2);
    await store.close();
    // A full re-derivation (no index chunks) must still read every segment.
    for (const name of fs.readdirSync(gen).filter((n) => n.endsWith('.tki'))) fs.unlinkSync(path.join(gen, name));
    expect(await presentTraces(dir, 4)).toEqual([true, true, true, true]);
  });

  it('removes temporary files and re-derives a broken index chunk', async () => {
    const live = tempDir('chunks');
    const store = await TraceStore.open({ dir: live, indexFlushEntries: 16 });
    for (let i = 0; i < 40; i++) await store.append(batchFor(i));
    await store.close();
    const gen = path.join(live, 'gen-0000000001');
    const chunks = fs.readdirSync(gen).filter((n) => n.endsWith('.tki')).sort();
    expect(chunks.length).toBeGreaterThan(1);
    fs.writeFileSync(path.join(gen, 'idx-0000000099.tki.tmp'), 'partial');
    fs.mkdirSync(path.join(live, 'gen-0000000077.tmp'));
    const second = path.join(gen, chunks[1]!);
    const bytes = fs.readFileSync(second);
    bytes[70]! ^= 0x01;
    fs.writeFileSync(second, bytes);
    const reopened = await TraceStore.open({ dir: live, indexFlushEntries: 16 });
    const report = reopened.stats().recovery;
    expect(report.removedTempFiles).toBe(2);
    expect(report.brokenChunks.length).toBe(chunks.length - 1);
    expect(report.reindexedRecords).toBeGreaterThan(0);
    await reopened.close();
    expect(await presentTraces(live, 40)).toEqual(Array(40).fill(true));
  });
});
