// Proves readRecordAt returns exactly the record an index entry names, and that any disagreement between the entry and the file is ERR_SEGMENT_CORRUPT.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RECORD_HEADER_BYTES } from '../../src/constants.js';
import { nodeFileLayer } from '../../src/io/file-layer.js';
import { decodeRecordBody } from '../../src/segment/record-codec.js';
import { RECORD_BODY_BYTES_MAX } from '../../src/segment/record-header.js';
import { readRecordAt } from '../../src/segment/segment-reader.js';
import {
  catchTraceKvError,
  errnoError,
  expectCode,
  faultyLayer,
  writeTestSegment,
  makeTempDir,
  removeTempDir,
  seededRandom,
  type TestRecord,
} from './helpers.js';

const SEED = 0x2ead;

let dir: string;
let file: string;
let records: TestRecord[];
let offsets: number[];
let fd: number;

beforeEach(async () => {
  dir = makeTempDir();
  file = path.join(dir, 'seg-0000000001.tkv');
  ({ records, offsets } = await writeTestSegment(file, { generationId: 1, segmentId: 1, createdAtMs: 0 }, seededRandom(SEED), [800, 1_600, 400]));
  fd = nodeFileLayer.open(file, 'read');
});
afterEach(() => {
  nodeFileLayer.close(fd);
  removeTempDir(dir);
});

describe('readRecordAt', () => {
  it('reads each record with one pread and decodes it to its batch', async () => {
    let preads = 0;
    const layer = faultyLayer({
      pread: (...args) => {
        preads++;
        return nodeFileLayer.pread(...args);
      },
    });
    for (let i = 0; i < records.length; i++) {
      const { header, body } = readRecordAt(layer, fd, file, offsets[i], records[i].record.length);
      expect(header.spanCount).toBe(records[i].spanCount);
      const batch = await decodeRecordBody(header, body, file, offsets[i]);
      expect(Buffer.from(batch).equals(Buffer.from(records[i].batch))).toBe(true);
    }
    expect(preads).toBe(records.length);
  });

  it('rejects a length or offset that disagrees with the file', () => {
    const cases: Array<[string, number, number, string]> = [
      ['past end of file', offsets[2], records[2].record.length + 1, 'before end of file'],
      ['shorter than the header says', offsets[1], records[1].record.length - 1, 'from the index'],
      ['below a header', offsets[0], RECORD_HEADER_BYTES - 1, 'record length got 47'],
      ['above any record', offsets[0], RECORD_HEADER_BYTES + RECORD_BODY_BYTES_MAX + 1, 'record length got'],
      ['inside the segment header', 8, 100, 'record offset got 8'],
      ['not at a record start', offsets[1] + 1, records[1].record.length, 'magic'],
    ];
    for (const [name, offset, length, message] of cases) {
      const error = catchTraceKvError(() => readRecordAt(nodeFileLayer, fd, file, offset, length), name);
      expectCode(error, 'ERR_SEGMENT_CORRUPT', name);
      expect(error.file).toBe(file);
      expect(error.offset).toBe(offset);
      expect(error.message, name).toContain(message);
    }
  });

  it('rejects a damaged header on disk', () => {
    const bytes = fs.readFileSync(file);
    bytes[offsets[1] + 9] ^= 0x01;
    fs.writeFileSync(file, bytes);
    const error = catchTraceKvError(() => readRecordAt(nodeFileLayer, fd, file, offsets[1], records[1].record.length));
    expectCode(error, 'ERR_SEGMENT_CORRUPT');
    expect(error.message).toContain('headerCrc');
  });

  it('wraps a read error as ERR_IO', () => {
    const layer = faultyLayer({
      pread: () => {
        throw errnoError('EIO', 'read');
      },
    });
    const error = catchTraceKvError(() => readRecordAt(layer, fd, file, offsets[0], records[0].record.length));
    expectCode(error, 'ERR_IO');
    expect(error.file).toBe(file);
  });
});
