/** The transcoding pool gives the same batches from a worker thread as inline, sends small bodies inline, and reports undecodable input from a worker as ERR_INVALID_ARGUMENT. */
import { afterAll, describe, expect, it } from 'vitest';
import { OTLP_TRANSCODE_INLINE_BYTES_MAX } from '../../src/constants.js';
import { TranscodePool } from '../../src/receiver/index.js';
import { exportRequest, exportRequestJson } from '../../scripts/testkit/otlp-request.js';
import { plainSpan, richSpan } from '../batch/samples.js';

const LIMITS = { batchBytesMax: 1 << 20, batchSpansMax: 1000 };
const pooled = new TranscodePool(LIMITS, 1);
const inline = new TranscodePool(LIMITS, 0);
afterAll(() => Promise.all([pooled.close(), inline.close()]));

const hex = (batches: Uint8Array[]) => batches.map((batch) => Buffer.from(batch).toString('hex'));

describe('TranscodePool', () => {
  it('transcodes a large body on a worker to the same batches as inline, in both formats', async () => {
    const spans = [richSpan(), ...Array.from({ length: 3000 }, (_, i) => plainSpan(i))];
    const protobuf = exportRequest([{ resource: { attributes: { 'service.name': 'a' } }, spans }]);
    expect(protobuf.length).toBeGreaterThan(OTLP_TRANSCODE_INLINE_BYTES_MAX);
    const fromWorker = await pooled.transcode(protobuf, 'protobuf');
    const fromInline = await inline.transcode(protobuf, 'protobuf');
    expect(fromWorker.spans).toBe(3001);
    expect(fromWorker.batches.length).toBe(4);
    expect(hex(fromWorker.batches)).toEqual(hex(fromInline.batches));
    const json = new TextEncoder().encode(JSON.stringify(exportRequestJson([{ spans }])));
    expect(hex((await pooled.transcode(json, 'json')).batches)).toEqual(hex((await inline.transcode(json, 'json')).batches));
  });

  it('answers an undecodable body with ERR_INVALID_ARGUMENT from a worker and inline', async () => {
    const garbage = new Uint8Array(OTLP_TRANSCODE_INLINE_BYTES_MAX * 2).fill(0xff);
    await expect(pooled.transcode(garbage, 'protobuf')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringMatching(/^protobuf at offset/) });
    await expect(pooled.transcode(new Uint8Array([0xff]), 'protobuf')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(pooled.transcode(garbage, 'json')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    // The worker is still serving after refusing.
    expect((await pooled.transcode(exportRequest([{ spans: Array.from({ length: 1000 }, (_, i) => plainSpan(i)) }]), 'protobuf')).spans).toBe(1000);
  });
});
