// Proves the record cursor's rules (data-format.md §3.4): it yields records and damaged stretches in file order, resyncs at the next valid record header (across scan windows), calls damage with nothing valid after it a torn tail only in the last segment (a whole record with a bad body CRC included), and reports a torn segment creation or a damaged segment header without hiding the records after it.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RECORD_HEADER_BYTES, SCAN_WINDOW_BYTES, SEGMENT_HEADER_BYTES } from '../../src/constants.js';
import { nodeFileLayer } from '../../src/io/file-layer.js';
import { RecordCursor, describeDamage, type CursorDamage, type CursorItem, type RecordCursorOptions } from '../../src/segment/record-cursor.js';
import { encodeSegmentHeader } from '../../src/segment/segment-header.js';
import { catchTraceKvError, expectCode, makeTempDir, removeTempDir, seededRandom, writeTestSegment, type TestRecord } from './helpers.js';

const HEADER = { generationId: 2, segmentId: 9, createdAtMs: 1_718_000_000_000 };
const SEED = 0x5ca9;

let dir: string;
let file: string;
let records: TestRecord[];
let offsets: number[];
let fileEnd: number;

beforeEach(async () => {
  dir = makeTempDir();
  file = path.join(dir, 'seg-0000000009.tkv');
  ({ records, offsets, endOffset: fileEnd } = await writeTestSegment(file, HEADER, seededRandom(SEED), [400, 600, 800, 1_000, 1_200]));
});
afterEach(() => removeTempDir(dir));

interface Walk {
  records: number[];
  damage: CursorDamage[];
  /** Every item's kind and offset, in the order the cursor yielded them. */
  order: string[];
  /** The cursor's position when the walk ended: the end of the valid data. */
  end: number;
  cursor: RecordCursor;
}

function walk(options: Partial<RecordCursorOptions> = {}): Walk {
  const cursor = RecordCursor.open(nodeFileLayer, file, { isLastSegment: true, bodies: true, ...options });
  try {
    const items: CursorItem[] = [...cursor];
    return {
      records: items.filter((item) => item.kind === 'record').map((item) => item.fileOffset),
      damage: items.filter((item): item is CursorDamage => item.kind === 'damage'),
      order: items.map((item) => `${item.kind}@${item.fileOffset}`),
      end: cursor.position,
      cursor,
    };
  } finally {
    cursor.close();
  }
}

function flipByte(at: number): void {
  const bytes = fs.readFileSync(file);
  bytes[at] ^= 0x40;
  fs.writeFileSync(file, bytes);
}

describe('RecordCursor', () => {
  it('walks a clean segment from its first record or from a given offset, one item per next()', () => {
    const clean = walk();
    expect(clean).toMatchObject({ records: offsets, damage: [], end: fileEnd });
    expect(clean.cursor).toMatchObject({ segmentHeader: HEADER, segmentHeaderProblem: null, tornCreation: false, fileSize: fileEnd });
    expect(walk({ fromOffset: offsets[3] }).records).toEqual(offsets.slice(3));
    expect(walk({ fromOffset: fileEnd })).toMatchObject({ records: [], damage: [], end: fileEnd });
    const error = catchTraceKvError(() => walk({ fromOffset: fileEnd + 1 }));
    expectCode(error, 'ERR_SEGMENT_CORRUPT');
    expect(error.message).toContain('walk starts past the end');

    // The caller pauses by not calling next(): the position says where the walk stands.
    const cursor = RecordCursor.open(nodeFileLayer, file, { isLastSegment: true, bodies: true });
    try {
      const first = cursor.next();
      expect(first).toMatchObject({ kind: 'record', fileOffset: offsets[0], recordLength: records[0].record.length });
      expect(first?.kind === 'record' && Buffer.from(first.body!).equals(records[0].record.subarray(RECORD_HEADER_BYTES))).toBe(true);
      expect(cursor.position).toBe(offsets[1]);
    } finally {
      cursor.close();
    }
  });

  it('reports every cut inside the last record as a torn tail, and as mid-file damage in an earlier segment', () => {
    const lastStart = offsets[4];
    for (let length = fileEnd - 1; length >= lastStart + 1; length--) {
      fs.truncateSync(file, length);
      const context = `cut at ${length}`;
      const last = walk();
      expect(last.records, context).toEqual(offsets.slice(0, 4));
      expect(last.damage, context).toMatchObject([{ fileOffset: lastStart, bytes: length - lastStart, torn: true, nextOffset: null, wholeRecord: false }]);
      expect(last.end, context).toBe(lastStart);
      expect(walk({ isLastSegment: false }).damage, context).toMatchObject([{ fileOffset: lastStart, torn: false, nextOffset: null }]);
    }
    // A cut at a record boundary leaves a clean file: only the index can tell a record is gone.
    fs.truncateSync(file, lastStart);
    expect(walk({ isLastSegment: false })).toMatchObject({ records: offsets.slice(0, 4), damage: [], end: lastStart });
  });

  it('treats a zero-filled or random extension spanning several scan windows as a torn tail', () => {
    const random = seededRandom(SEED);
    const garbage = new Uint8Array(2 * SCAN_WINDOW_BYTES + 12_345);
    for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(random() * 256);
    for (const extension of [new Uint8Array(4096), new Uint8Array(SCAN_WINDOW_BYTES + 100), garbage]) {
      fs.truncateSync(file, fileEnd);
      fs.appendFileSync(file, extension);
      const context = `extension of ${extension.length} bytes, seed ${SEED}`;
      expect(walk(), context).toMatchObject({ records: offsets, damage: [{ fileOffset: fileEnd, bytes: extension.length, torn: true }], end: fileEnd });
      expect(walk({ isLastSegment: false }).damage, context).toMatchObject([{ fileOffset: fileEnd, torn: false }]);
    }
  });

  it('reports a damaged byte in record 2 of 5 as mid-file damage at its offset and walks on, last segment or not', () => {
    for (const at of [offsets[1] + 3, offsets[1] + RECORD_HEADER_BYTES + 10]) {
      flipByte(at);
      for (const isLastSegment of [true, false]) {
        const context = `byte ${at}, last ${isLastSegment}`;
        const result = walk({ isLastSegment });
        expect(result.records, context).toEqual([offsets[0], ...offsets.slice(2)]);
        expect(result.damage, context).toMatchObject([{ fileOffset: offsets[1], bytes: offsets[2] - offsets[1], nextOffset: offsets[2], torn: false }]);
        expect(result.damage[0].wholeRecord, context).toBe(at > offsets[1] + RECORD_HEADER_BYTES);
        expect(describeDamage(result.damage[0]), context).toContain(`a valid record follows at offset ${offsets[2]}`);
        expect(result.end, context).toBe(fileEnd);
      }
      flipByte(at);
    }
  });

  it('finds a valid record far past the damage, including one straddling two scan windows', () => {
    const firstEnd = offsets[1];
    const later = records[3].record;
    // The search starts one byte after the damage; its first window ends SCAN_WINDOW_BYTES later.
    for (const gap of [3 * SCAN_WINDOW_BYTES, SCAN_WINDOW_BYTES + 1 - 20]) {
      fs.truncateSync(file, firstEnd);
      fs.appendFileSync(file, new Uint8Array(gap).fill(0x54)); // the magic's first byte, to make the search work
      fs.appendFileSync(file, later);
      const result = walk();
      expect(result.order, `gap ${gap}`).toEqual([`record@${offsets[0]}`, `damage@${firstEnd}`, `record@${firstEnd + gap}`]);
      expect(result.damage[0], `gap ${gap}`).toMatchObject({ bytes: gap, nextOffset: firstEnd + gap, torn: false });
    }
  });

  it('ignores a valid header whose body does not fit in the file', () => {
    fs.truncateSync(file, offsets[1]);
    fs.appendFileSync(file, new Uint8Array(1000));
    fs.appendFileSync(file, records[3].record.subarray(0, records[3].record.length - 1));
    expect(walk()).toMatchObject({ end: offsets[1], damage: [{ fileOffset: offsets[1], bytes: 1000 + records[3].record.length - 1, torn: true }] });
  });

  it('judges a whole record with a bad body CRC by the same rule as any damage: a torn tail when garbage alone follows in the last segment', () => {
    // The case: a good record, a whole record whose body CRC fails, then garbage.
    fs.truncateSync(file, offsets[2]);
    const bytes = fs.readFileSync(file);
    bytes[offsets[1] + RECORD_HEADER_BYTES + 5] ^= 0x01;
    fs.writeFileSync(file, Buffer.concat([bytes, Buffer.alloc(777, 0x5a)]));
    const torn = walk();
    expect(torn.records).toEqual([offsets[0]]);
    expect(torn.damage).toMatchObject([{ fileOffset: offsets[1], bytes: offsets[2] - offsets[1] + 777, torn: true, wholeRecord: true, nextOffset: null }]);
    expect(torn.damage[0].header?.spanCount).toBe(records[1].spanCount);
    expect(torn.damage[0].problem).toContain('bodyCrc got');
    expect(describeDamage(torn.damage[0])).toContain('a torn tail');
    expect(walk({ isLastSegment: false }).damage).toMatchObject([{ fileOffset: offsets[1], torn: false }]);
    expect(describeDamage(walk({ isLastSegment: false }).damage[0])).toContain('only the last segment of a generation may have a torn tail');
  });

  it('without bodies reads headers only: a damaged body is not seen and no body is returned', () => {
    flipByte(offsets[1] + RECORD_HEADER_BYTES + 10);
    const cursor = RecordCursor.open(nodeFileLayer, file, { isLastSegment: true, bodies: false });
    try {
      const items = [...cursor];
      expect(items.map((item) => [item.kind, item.fileOffset])).toEqual(offsets.map((offset) => ['record', offset]));
      expect(items.every((item) => item.kind === 'record' && item.body === null)).toBe(true);
    } finally {
      cursor.close();
    }
  });

  it('reports a last segment without a whole header as a torn creation, and any other bad segment header as a problem', () => {
    const header = encodeSegmentHeader(HEADER);
    const cases: Array<[string, Uint8Array]> = [
      ['empty', new Uint8Array(0)],
      ['partial header', header.subarray(0, 20)],
      ['31 bytes', header.subarray(0, 31)],
      ['zeroed header, no records', new Uint8Array(32)],
    ];
    for (const [name, bytes] of cases) {
      fs.writeFileSync(file, bytes);
      const result = walk();
      expect(result.cursor, name).toMatchObject({ tornCreation: true, segmentHeader: null, fileSize: bytes.length });
      expect(result.cursor.segmentHeaderProblem, name).not.toBeNull();
      expect(result.order, name).toEqual([]);
      // Not the last segment: no torn creation; the bad header is the whole story, and there is
      // nothing to walk (every tool reports the header problem, none has to catch a throw).
      const notLast = walk({ isLastSegment: false });
      expect(notLast.cursor, name).toMatchObject({ tornCreation: false, segmentHeader: null, fileSize: bytes.length });
      expect(notLast.cursor.segmentHeaderProblem, name).not.toBeNull();
      expect(notLast.order, name).toEqual([]);
      if (bytes.length < SEGMENT_HEADER_BYTES) {
        // A start past the first record still has to lie inside the file (an index's coverage end).
        expectCode(catchTraceKvError(() => walk({ isLastSegment: false, fromOffset: SEGMENT_HEADER_BYTES + 1 }), name), 'ERR_SEGMENT_CORRUPT');
      }
    }
    fs.writeFileSync(file, header);
    expect(walk()).toMatchObject({ records: [], damage: [], end: SEGMENT_HEADER_BYTES });
    expect(walk().cursor).toMatchObject({ segmentHeader: HEADER, tornCreation: false });
  });

  it('reports a bad segment header in front of records, even in the last segment, and still walks the records', () => {
    flipByte(12);
    const result = walk();
    expect(result.cursor).toMatchObject({ segmentHeader: null, tornCreation: false });
    expect(result.cursor.segmentHeaderProblem).toContain('headerCrc');
    expect(result.records).toEqual(offsets);
  });
});
