// Proves the writer appends records that the record cursor reads back intact, advances durableOffset only on a successful sync, and fails for good (with the file cut back) on a write or sync error.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SEGMENT_HEADER_BYTES } from '../../src/constants.js';
import { nodeFileLayer } from '../../src/io/file-layer.js';
import { decodeRecordBody } from '../../src/segment/record-codec.js';
import { RecordCursor, type CursorItem } from '../../src/segment/record-cursor.js';
import { SegmentWriter } from '../../src/segment/segment-writer.js';
import {
  catchTraceKvError,
  catchTraceKvErrorAsync,
  errnoError,
  expectCode,
  faultyLayer,
  makeRecord,
  makeTempDir,
  removeTempDir,
  seededRandom,
  type TestRecord,
} from './helpers.js';

const HEADER = { generationId: 4, segmentId: 1, createdAtMs: 1_718_000_000_000 };
const SEED = 0x3717e5;

let dir: string;
let file: string;
beforeEach(() => {
  dir = makeTempDir();
  file = path.join(dir, 'seg-0000000001.tkv');
});
afterEach(() => removeTempDir(dir));

/** Every item of a whole walk of the file, and where its valid data ends. */
function walk(isLastSegment: boolean): { items: CursorItem[]; end: number; header: unknown } {
  const cursor = RecordCursor.open(nodeFileLayer, file, { isLastSegment, bodies: true });
  try {
    const items = [...cursor];
    return { items, end: cursor.position, header: cursor.segmentHeader };
  } finally {
    cursor.close();
  }
}

async function makeRecords(count: number): Promise<TestRecord[]> {
  const random = seededRandom(SEED);
  const records: TestRecord[] = [];
  for (let i = 0; i < count; i++) records.push(await makeRecord(random, 500 + i * 300));
  return records;
}

describe('SegmentWriter', () => {
  it('appends records that a walk reads back byte for byte', async () => {
    const records = await makeRecords(5);
    const writer = await SegmentWriter.create(nodeFileLayer, file, HEADER);
    expect(writer.path).toBe(file);
    const offsets = records.map((r) => writer.append(r.record));
    await writer.sync();
    writer.close();

    let expectedOffset = SEGMENT_HEADER_BYTES;
    for (let i = 0; i < records.length; i++) {
      expect(offsets[i]).toBe(expectedOffset);
      expectedOffset += records[i].record.length;
    }
    const { items, end, header } = walk(false);
    expect({ end, header, size: fs.statSync(file).size }).toEqual({ end: expectedOffset, header: HEADER, size: expectedOffset });
    expect(items.map((item) => [item.kind, item.fileOffset])).toEqual(offsets.map((offset) => ['record', offset]));
    for (let i = 0; i < records.length; i++) {
      const item = items[i];
      if (item.kind !== 'record') throw new Error(`item ${i} is damage`);
      const batch = await decodeRecordBody(item.header, item.body!, file, item.fileOffset);
      expect(Buffer.from(batch).equals(Buffer.from(records[i].batch))).toBe(true);
    }
  });

  it('advances durableOffset to the end offset seen when each sync was called', async () => {
    const [a, b, c] = await makeRecords(3);
    const writer = await SegmentWriter.create(nodeFileLayer, file, HEADER);
    expect([writer.endOffset, writer.durableOffset]).toEqual([32, 32]);
    writer.append(a.record);
    const afterA = writer.endOffset;
    expect(writer.durableOffset).toBe(32);
    const firstSync = writer.sync();
    writer.append(b.record); // written while the first sync is in flight: not covered by it
    await firstSync;
    expect(writer.durableOffset).toBe(afterA);
    const secondSync = writer.sync();
    writer.append(c.record);
    const thirdSync = writer.sync();
    await Promise.all([secondSync, thirdSync]);
    expect(writer.durableOffset).toBe(writer.endOffset);
    expect(writer.endOffset).toBe(32 + a.record.length + b.record.length + c.record.length);
    writer.close();
    writer.close(); // idempotent
    expectCode(catchTraceKvError(() => writer.append(a.record)), 'ERR_STORE_CLOSED');
  });

  it('refuses to create over an existing file', async () => {
    fs.writeFileSync(file, 'x');
    const error = await catchTraceKvErrorAsync(() => SegmentWriter.create(nodeFileLayer, file, HEADER));
    expectCode(error, 'ERR_IO');
    expect(error.file).toBe(file);
    expect(fs.readFileSync(file, 'latin1')).toBe('x');
  });

  it('closes the fd when creation fails to sync', async () => {
    const closed: number[] = [];
    const layer = faultyLayer({
      fdatasync: () => Promise.reject(errnoError('EIO', 'fdatasync')),
      close: (fd) => {
        closed.push(fd);
        nodeFileLayer.close(fd);
      },
    });
    expectCode(await catchTraceKvErrorAsync(() => SegmentWriter.create(layer, file, HEADER)), 'ERR_IO');
    expect(closed.length).toBe(1);
  });

  it('on a write error cuts the file back, throws ERR_IO, then ERR_STORE_FAILED for every call', async () => {
    const [a, b, c] = await makeRecords(3);
    let failWrites = false;
    const layer = faultyLayer({
      write(fd, bytes, offset, length, position) {
        if (!failWrites) return nodeFileLayer.write(fd, bytes, offset, length, position);
        const half = Math.floor(length / 2);
        nodeFileLayer.write(fd, bytes, offset, half, position);
        throw errnoError('EIO', 'i/o error');
      },
    });
    const writer = await SegmentWriter.create(layer, file, HEADER);
    writer.append(a.record);
    await writer.sync();
    const goodEnd = writer.endOffset;
    failWrites = true;
    const error = catchTraceKvError(() => writer.append(b.record));
    expectCode(error, 'ERR_IO');
    expect(error.file).toBe(file);
    expect(error.message).toContain('EIO');
    expect(fs.statSync(file).size).toBe(goodEnd);
    expect([writer.endOffset, writer.durableOffset, writer.failed]).toEqual([goodEnd, goodEnd, true]);

    failWrites = false;
    expectCode(catchTraceKvError(() => writer.append(c.record)), 'ERR_STORE_FAILED');
    const syncError = await catchTraceKvErrorAsync(() => writer.sync());
    expectCode(syncError, 'ERR_STORE_FAILED');
    expect(syncError.cause).toBe(error);
    writer.close();
    expect(walk(true)).toMatchObject({ end: goodEnd, items: [{ kind: 'record' }] });
  });

  it('leaves a torn tail for recovery when the cut-back truncate fails too', async () => {
    const [a, b] = await makeRecords(2);
    const layer = faultyLayer({
      write(fd, bytes, offset, length, position) {
        if (position === SEGMENT_HEADER_BYTES || length === SEGMENT_HEADER_BYTES) {
          return nodeFileLayer.write(fd, bytes, offset, length, position);
        }
        nodeFileLayer.write(fd, bytes, offset, length - 1, position);
        throw errnoError('ENOSPC', 'no space left on device');
      },
      truncate: () => {
        throw errnoError('EIO', 'truncate');
      },
    });
    const writer = await SegmentWriter.create(layer, file, HEADER);
    writer.append(a.record);
    expectCode(catchTraceKvError(() => writer.append(b.record)), 'ERR_IO');
    writer.close();
    const goodEnd = SEGMENT_HEADER_BYTES + a.record.length;
    expect(walk(true)).toMatchObject({ end: goodEnd, items: [{ kind: 'record' }, { kind: 'damage', fileOffset: goodEnd, bytes: b.record.length - 1, torn: true }] });
  });

  it('on an fdatasync error throws ERR_IO once, keeps durableOffset, and fails every later call', async () => {
    const [a, b] = await makeRecords(2);
    let syncs = 0;
    const layer = faultyLayer({
      fdatasync: (fd) => (++syncs === 2 ? Promise.reject(errnoError('EIO', 'fdatasync')) : nodeFileLayer.fdatasync(fd)),
    });
    const writer = await SegmentWriter.create(layer, file, HEADER);
    writer.append(a.record);
    const failing = catchTraceKvErrorAsync(() => writer.sync());
    const overlapping = catchTraceKvErrorAsync(() => writer.sync()); // succeeds on disk, must not acknowledge
    const error = await failing;
    expectCode(error, 'ERR_IO');
    expect(error.message).toContain('fdatasync');
    expectCode(await overlapping, 'ERR_STORE_FAILED');
    expect([writer.durableOffset, writer.failed]).toEqual([SEGMENT_HEADER_BYTES, true]);
    expectCode(catchTraceKvError(() => writer.append(b.record)), 'ERR_STORE_FAILED');
    expectCode(await catchTraceKvErrorAsync(() => writer.sync()), 'ERR_STORE_FAILED');
    expect(syncs).toBe(3); // never retried after the failure
    writer.close();
  });
});
