// Proves the one stored-batch loader (src/segment/stored-batch.ts) refuses every way a stored record can disagree with itself, whichever caller loads it: body CRC, batch structure, span count and time range against the record header, and the batch CRC when asked.
import type { BatchView } from '../../src/batch/batch-view.js';
import { describe, expect, it } from 'vitest';
import { CODEC_NONE, CODEC_ZSTD, RECORD_HEADER_BYTES } from '../../src/constants.js';
import { zstdCompress } from '../../src/codec/zstd.js';
import { TraceKvError } from '../../src/errors.js';
import { encodeRecord } from '../../src/segment/record-codec.js';
import { readRecordHeader, writeRecordHeader, type RecordHeader } from '../../src/segment/record-header.js';
import { loadStoredBatch } from '../../src/segment/stored-batch.js';
import { smallBatch } from '../batch/samples.js';

const FILE = '/data/gen-0000000001/seg-0000000001.tkv';
const FILE_OFFSET = 4_096;
const SPANS = 4;
/** plainSpan's start times: 1e9 + index. */
const MIN_START = 1_000_000_000n;
const MAX_START = MIN_START + BigInt(SPANS - 1);

async function record(batch: Uint8Array, codec = CODEC_ZSTD, spanCount = SPANS, min = MIN_START, max = MAX_START) {
  const compressed = codec === CODEC_ZSTD ? await zstdCompress(batch, 1) : new Uint8Array(0);
  const bytes = encodeRecord(batch, codec, compressed, min, max, spanCount);
  return { header: readRecordHeader(bytes, 0, FILE, FILE_OFFSET), body: bytes.slice(RECORD_HEADER_BYTES) };
}

async function refusal(load: Promise<unknown>): Promise<TraceKvError> {
  const error = await load.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TraceKvError);
  const typed = error as TraceKvError;
  expect(typed.code).toBe('ERR_SEGMENT_CORRUPT');
  expect(typed.file).toBe(FILE);
  expect(typed.offset).toBe(FILE_OFFSET);
  return typed;
}

describe('loadStoredBatch', () => {
  it('loads a zstd and an uncompressed record as the batch that was stored', async () => {
    const batch = smallBatch(SPANS);
    for (const codec of [CODEC_ZSTD, CODEC_NONE]) {
      const { header, body } = await record(batch, codec);
      const view = await loadStoredBatch(header, body, FILE, FILE_OFFSET);
      expect(Buffer.from(view.bytes).equals(Buffer.from(batch))).toBe(true);
      expect(view.spanCount).toBe(SPANS);
    }
  });

  it('checks the body CRC unless the caller has, and a bad body then fails the batch checks instead', async () => {
    const { header, body } = await record(smallBatch(SPANS), CODEC_NONE);
    body[10] ^= 0x01;
    expect((await refusal(loadStoredBatch(header, body, FILE, FILE_OFFSET))).message).toMatch(/bodyCrc got/);
    // Byte 10 is in the batch header's spanCount: the structural check sees it.
    expect((await refusal(loadStoredBatch(header, body, FILE, FILE_OFFSET, { bodyCrcChecked: true }))).message).toMatch(/stored batch is invalid/);
  });

  it('refuses a record header that disagrees with its batch on span count or time range', async () => {
    const batch = smallBatch(SPANS);
    const wrongCount = await record(batch, CODEC_ZSTD, SPANS + 1);
    expect((await refusal(loadStoredBatch(wrongCount.header, wrongCount.body, FILE, FILE_OFFSET))).message).toMatch(
      /record says 5 spans; its batch holds 4/,
    );
    const wrongTimes = await record(batch, CODEC_ZSTD, SPANS, MIN_START, MAX_START + 1n);
    expect((await refusal(loadStoredBatch(wrongTimes.header, wrongTimes.body, FILE, FILE_OFFSET))).message).toMatch(/record time range/);
  });

  it('refuses a decoded length other than rawLength', async () => {
    const { header, body } = await record(smallBatch(SPANS));
    const lying: RecordHeader = { ...header, rawLength: header.rawLength + 1 };
    const bytes = new Uint8Array(RECORD_HEADER_BYTES);
    writeRecordHeader(bytes, 0, lying);
    expect((await refusal(loadStoredBatch(readRecordHeader(bytes, 0, FILE, FILE_OFFSET), body, FILE, FILE_OFFSET))).message).toMatch(
      /decoded length got/,
    );
  });

  it('recomputes the batch CRC only when asked (verify --deep)', async () => {
    const batch = smallBatch(SPANS);
    // The last span record's last byte: no structural check reads it, only the batch CRC covers it.
    const clean = await record(batch);
    const spansEnd = ((await loadStoredBatch(clean.header, clean.body, FILE, FILE_OFFSET)) as BatchView).trailerEntryOffset(0);
    const damaged = batch.slice();
    damaged[spansEnd - 1] ^= 0x01;
    const { header, body } = await record(damaged);
    await expect(loadStoredBatch(header, body, FILE, FILE_OFFSET)).resolves.toBeDefined();
    expect((await refusal(loadStoredBatch(header, body, FILE, FILE_OFFSET, { batchCrc: true }))).message).toMatch(/batchCrc|CRC/i);
  });
});
