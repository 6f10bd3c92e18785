// Proves a streamed GET_TRACES answer fits its frames: a frame goes out before the trace that would take it past the target, so traces that fit the frame limit alone are never refused together; and a trace too large for any frame ends the answer with ERR_REQUEST_TOO_LARGE and nothing after it, so the connection stays usable (the full protocol fuzz found frames sent after that error, which the client took as a protocol error and closed on).
import { afterAll, describe, expect, it } from 'vitest';
import { TraceClient } from '../../src/index.js';
import { STREAM_FRAME_BYTES_TARGET } from '../../src/constants.js';
import { daemonWith, paddedBatch } from '../helpers/daemon.js';
import { removeTempDirs } from '../helpers/store-dir.js';

afterAll(removeTempDirs);

/** Room for one trace of 1.2 MB, not for two traces together past the 1 MiB target. */
const FRAME_BYTES_MAX = 1_536 * 1024;

function traceIdOf(traceNo: number): string {
  return (traceNo + 1).toString(16).padStart(32, '0');
}

describe('streamed GET_TRACES frames', () => {
  it('sends a trace that fits a frame alone in a frame of its own, and after one that fits none, nothing more', async () => {
    expect(STREAM_FRAME_BYTES_TARGET).toBeLessThan(FRAME_BYTES_MAX);
    const daemon = await daemonWith('frames', { frameBytesMax: FRAME_BYTES_MAX });
    const client = await TraceClient.connect({ port: daemon.port });
    try {
      // One span each, its attribute the size that matters: 0.8 MB, 1.2 MB, a few bytes, 2 MB.
      const pads = [800_000, 1_200_000, 10, 2_000_000];
      for (const [traceNo, pad] of pads.entries()) await daemon.store.append(paddedBatch('frames', traceNo, 1, pad));
      // 0.8 MB then 1.2 MB: together past the frame limit, each alone within it.
      const traces = await client.getTraces([traceIdOf(0), traceIdOf(1), traceIdOf(2)]);
      expect(traces.map((trace) => (trace?.spans[0]?.attributes.pad as string | undefined)?.length)).toEqual([800_000, 1_200_000, 10]);
      // 2 MB fits no frame: the whole call is refused, and the traces after it are not sent.
      await expect(client.getTraces([traceIdOf(0), traceIdOf(3), traceIdOf(2)])).rejects.toMatchObject({ code: 'ERR_REQUEST_TOO_LARGE' });
      // The same connection answers the next call.
      expect((await client.getTrace(traceIdOf(2)))?.spans).toHaveLength(1);
      expect(client.clientStats.reconnects).toBe(0);
    } finally {
      await client.close();
      await daemon.close();
    }
  });
});
