// Proves that ERR_BUSY from the daemon's in-flight byte budget is always worth retrying: a request larger than the whole budget is refused only while something else is in flight, and runs once nothing is (it used to be refused forever; found by the overload campaign).
import { afterAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceClient } from '../../src/index.js';
import { startDaemon } from '../../src/daemon/server.js';
import { Opcode, RESPONSE_BIT, encodeFrame } from '../../src/protocol/frame.js';
import { RawClient } from '../helpers/raw-client.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';

afterAll(removeTempDirs);

const quiet = () => {};
/** Fits one small batch with the daemon's 4 KiB per-request charge, not the padded one. */
const IN_FLIGHT_BYTES_MAX = 6_000;
const PAD_BYTES = 8_192;

function batch(traceNo: number, padBytes: number): Uint8Array {
  const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 'budget' } } });
  encoder.add({
    traceId: (traceNo + 1).toString(16).padStart(32, '0'),
    spanId: '1'.padStart(16, '0'),
    name: `t${traceNo}`,
    startTimeUnixNano: 1n,
    endTimeUnixNano: 2n,
    attributes: { pad: 'p'.repeat(padBytes) },
  });
  return encoder.finish();
}

describe('in-flight byte budget', () => {
  it('runs a request larger than inFlightBytesMax once nothing else is in flight (it was answered ERR_BUSY forever)', async () => {
    const daemon = await startDaemon({ dir: tempDir('budget'), port: 0, logger: quiet, inFlightBytesMax: IN_FLIGHT_BYTES_MAX });
    const raw = await RawClient.connect(daemon.port);
    const big = batch(2, PAD_BYTES);
    expect(big.length).toBeGreaterThan(IN_FLIGHT_BYTES_MAX);
    // In one write: the small append is still in flight (it waits for fdatasync) when the big one is read.
    raw.socket.write(Buffer.concat([encodeFrame(Opcode.APPEND, 0, 1, {}, batch(1, 0)), encodeFrame(Opcode.APPEND, 0, 2, {}, big)]));
    await raw.until(() => raw.frames.length === 2);
    const answer = (requestId: number) => raw.frames.find((frame) => frame.requestId === requestId)!;
    expect(answer(1).opcode).toBe(Opcode.APPEND | RESPONSE_BIT);
    expect(answer(2)).toMatchObject({ opcode: Opcode.ERROR, header: { code: 'ERR_BUSY', retryAfterMs: expect.any(Number) } });
    expect(daemon.store.stats().appendedSpans).toBe(1);

    const again = await raw.ask(Opcode.APPEND, 3, {}, big);
    expect(again.opcode).toBe(Opcode.APPEND | RESPONSE_BIT);
    expect(daemon.store.stats().appendedSpans).toBe(2);
    raw.socket.destroy();

    // The client's retries see the same: BUSY only ever means "later".
    const client = await TraceClient.connect({ port: daemon.port });
    await expect(client.append(batch(3, PAD_BYTES))).resolves.toMatchObject({ spans: 1 });
    expect((await client.getTrace((4).toString(16).padStart(32, '0')))?.spans.length).toBe(1);
    await client.close();
    await daemon.close();
  });
});
