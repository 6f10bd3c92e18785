// Proves records round-trip with both codecs and that no damaged record ever decodes to bytes other than the original batch, with zstd on the binding and inline (WASM) alike.
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/codec/crc32c.js';
import { zstdCompress } from '../../src/codec/zstd.js';
import { RECORD_HEADER_BYTES } from '../../src/constants.js';
import { checkRecordBody, decodeCheckedRecordBody, decodeRecordBody, encodeRecord } from '../../src/segment/record-codec.js';
import { isRecordHeaderValid, readRecordHeader } from '../../src/segment/record-header.js';
import { CODEC_NONE, CODEC_ZSTD, catchTraceKvErrorAsync, expectCode, fakeBatch, makeRecord, seededRandom } from './helpers.js';

const FILE = '/data/gen-0000000003/seg-0000000001.tkv';
const FILE_OFFSET = 32;
const SEED = 0xc0dec;

/** Header check, body CRC, then the codec undone, on the binding's threadpool or inline. */
async function decodeWhole(record: Uint8Array, inline: boolean): Promise<Uint8Array> {
  const header = readRecordHeader(record, 0, FILE, FILE_OFFSET);
  const body = record.subarray(RECORD_HEADER_BYTES);
  checkRecordBody(header, body, FILE, FILE_OFFSET);
  return decodeCheckedRecordBody(header, body, FILE, FILE_OFFSET, inline);
}

describe.each([
  ['binding', false],
  ['inline', true],
])('record codec, zstd on the %s', (_name, inline) => {
  const decode = (record: Uint8Array) => decodeWhole(record, inline);

  it('round-trips codec none and zstd levels 1 and 3', async () => {
    const random = seededRandom(SEED);
    for (const [codec, level] of [[CODEC_NONE, 0], [CODEC_ZSTD, 1], [CODEC_ZSTD, 3]]) {
      const made = await makeRecord(random, 20_000, codec, level);
      const header = readRecordHeader(made.record, 0, FILE, FILE_OFFSET);
      expect(header).toMatchObject({
        codec,
        rawLength: made.batch.length,
        bodyLength: made.record.length - RECORD_HEADER_BYTES,
        spanCount: made.spanCount,
        minStartTimeUnixNano: made.minStart,
        maxStartTimeUnixNano: made.maxStart,
      });
      if (codec === CODEC_NONE) expect(header.bodyLength).toBe(made.batch.length);
      else expect(header.bodyLength).toBeLessThan(made.batch.length);
      expect(Buffer.from(await decode(made.record)).equals(Buffer.from(made.batch))).toBe(true);
    }
  });

  it('ignores `compressed` for codec none', async () => {
    const batch = fakeBatch(seededRandom(SEED), 500);
    const record = encodeRecord(batch, CODEC_NONE, new Uint8Array([1, 2, 3]), 5n, 6n, 1);
    expect(record.length).toBe(RECORD_HEADER_BYTES + 500);
    expect(Buffer.from(await decode(record)).equals(Buffer.from(batch))).toBe(true);
  });

  it('rejects every flipped byte of a zstd record, in the header check or in decodeRecordBody', async () => {
    const made = await makeRecord(seededRandom(SEED), 3_000, CODEC_ZSTD, 1);
    for (let i = 0; i < made.record.length; i++) {
      const record = made.record.slice();
      record[i] ^= 0xff;
      const context = `byte ${i} of ${made.record.length}`;
      if (i < RECORD_HEADER_BYTES) expect(isRecordHeaderValid(record, 0), context).toBe(false);
      const error = await catchTraceKvErrorAsync(() => decode(record), context);
      expectCode(error, 'ERR_SEGMENT_CORRUPT', context);
      expect(error.offset).toBe(FILE_OFFSET);
    }
  });

  it('names got and want for a body CRC mismatch and a short body', async () => {
    const made = await makeRecord(seededRandom(SEED), 1_000, CODEC_ZSTD, 1);
    const header = readRecordHeader(made.record, 0, FILE, FILE_OFFSET);
    const body = made.record.slice(RECORD_HEADER_BYTES);
    body[0] ^= 1;
    await expect(decodeRecordBody(header, body, FILE, FILE_OFFSET)).rejects.toThrow(/bodyCrc got 0x[0-9a-f]{8}; want 0x[0-9a-f]{8}/);
    await expect(decodeRecordBody(header, body.subarray(1), FILE, FILE_OFFSET)).rejects.toThrow(
      `record body got ${body.length - 1} bytes; want bodyLength ${body.length}`,
    );
  });

  it('reports a zstd frame that does not decode (CRC intact) as ERR_SEGMENT_CORRUPT naming file and offset', async () => {
    const garbage = new Uint8Array(64).fill(0x41);
    const record = encodeRecord(new Uint8Array(100), CODEC_ZSTD, garbage, 1n, 2n, 1);
    const error = await catchTraceKvErrorAsync(() => decode(record));
    expectCode(error, 'ERR_SEGMENT_CORRUPT');
    expect(error.file).toBe(FILE);
    expect(error.offset).toBe(FILE_OFFSET);
    expect(error.message).toContain('does not decompress');
  });

  it('rejects a decoded length other than rawLength', async () => {
    const random = seededRandom(SEED);
    const compressed = await zstdCompress(fakeBatch(random, 900), 1);
    const record = encodeRecord(fakeBatch(random, 1_000), CODEC_ZSTD, compressed, 1n, 2n, 1);
    const error = await catchTraceKvErrorAsync(() => decode(record));
    expectCode(error, 'ERR_SEGMENT_CORRUPT');
    expect(error.message).toContain('decoded length got 900; want rawLength 1000');
  });

  it('rejects a frame that holds more than rawLength', async () => {
    const random = seededRandom(SEED);
    const compressed = await zstdCompress(fakeBatch(random, 1_100), 1);
    const record = encodeRecord(fakeBatch(random, 1_000), CODEC_ZSTD, compressed, 1n, 2n, 1);
    const error = await catchTraceKvErrorAsync(() => decode(record));
    expectCode(error, 'ERR_SEGMENT_CORRUPT');
    // The binding decodes it all and the length check refuses it; inline, zstd refuses to overrun.
    expect(error.message).toMatch(inline ? /does not decompress.*rejected the frame/ : /decoded length got 1100; want rawLength 1000/);
  });

  it('computes the body CRC over the bytes as stored', async () => {
    const made = await makeRecord(seededRandom(SEED), 2_000, CODEC_ZSTD, 3);
    const header = readRecordHeader(made.record, 0, FILE, FILE_OFFSET);
    expect(header.bodyCrc).toBe(crc32c(made.record.subarray(RECORD_HEADER_BYTES)));
  });
});
