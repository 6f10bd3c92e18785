// Proves the daemon gaps of issue 11 (item 5, and 4b) stay closed: a slowloris trickling one frame is cut off at frameDeadlineMs; PING and STATS are answered over a saturated budget; response bytes count against the in-flight budget until flushed and are released on every path; retryAfterMs grows with the queue; getTraces over a request limit is ERR_REQUEST_TOO_LARGE over the daemon as it is embedded.
import { afterAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceClient, type TraceKvError } from '../../src/index.js';
import type { Daemon } from '../../src/daemon/server.js';
import type { DaemonOptions } from '../../src/daemon/daemon-options.js';
import { FLAG_MORE, Opcode, RESPONSE_BIT, encodeFrame } from '../../src/protocol/frame.js';
import { daemonWith as daemonWithIn, paddedBatch } from '../helpers/daemon.js';
import { RawClient } from '../helpers/raw-client.js';
import { removeTempDirs } from '../helpers/store-dir.js';

afterAll(removeTempDirs);

/** Liveness bound for "the daemon eventually does it": far above any deadline the tests set, never a speed check. */
const EVENTUALLY_MS = 20_000;

function daemonWith(options: DaemonOptions = {}): Promise<Daemon> {
  return daemonWithIn('issue-11', options);
}

function traceIdOf(traceNo: number): string {
  return (traceNo + 1).toString(16).padStart(32, '0');
}

function batch(traceNo: number, spans = 1, padBytes = 0): Uint8Array {
  return paddedBatch('issue-11', traceNo, spans, padBytes);
}

function idBytes(traceNo: number): Buffer {
  return Buffer.from(traceIdOf(traceNo), 'hex');
}

/** Final frames (not flagged MORE) of the answers to `opcode`. */
function finalAnswers(client: RawClient, opcode: number): number {
  return client.frames.filter((frame) => frame.opcode === (opcode | RESPONSE_BIT) && (frame.flags & FLAG_MORE) === 0).length;
}

/** ~1 MB of traces: 10 traces of 20 spans with 5 KB of attributes each. */
const BIG_TRACES = 10;
async function storeBigTraces(daemon: Daemon): Promise<Buffer[]> {
  for (let t = 0; t < BIG_TRACES; t++) await daemon.store.append(batch(t, 20, 5_000));
  return Array.from({ length: BIG_TRACES }, (_, t) => idBytes(t));
}

/**
 * A reader that asks for ~16 MB of answers and does not read them: far more than loopback's socket
 * buffers hold, so most of it waits in the daemon's output until the reader resumes.
 */
const UNREAD_REQUESTS = 16;
async function unreadReader(daemon: Daemon, ids: Buffer[]): Promise<RawClient> {
  const reader = await RawClient.connect(daemon.port);
  reader.socket.pause();
  for (let r = 1; r <= UNREAD_REQUESTS; r++) reader.send(Opcode.GET_TRACES, r, { ids });
  return reader;
}

/** Short, so the test is quick; the trickle's 50 ms per byte sends ~20 bytes of the frame's 1,000 in it. */
const FRAME_DEADLINE_MS = 1_000;

describe('issue 11: gaps the daemon fuzz found', () => {
  it('closes a slowloris connection that sends a frame\'s first bytes and then trickles, at frameDeadlineMs (it stayed open: each byte reset the idle timeout)', async () => {
    const daemon = await daemonWith({ frameDeadlineMs: FRAME_DEADLINE_MS });
    const frame = encodeFrame(Opcode.PING, 0, 42, { pad: 'x'.repeat(1_000) });
    const slow = await RawClient.connect(daemon.port);
    slow.socket.write(frame.subarray(0, 20));
    let sent = 20;
    const trickle = setInterval(() => {
      if (!slow.closed && sent < frame.length - 1) slow.socket.write(frame.subarray(sent, ++sent));
    }, 50);
    try {
      await slow.until(() => slow.closed, EVENTUALLY_MS);
    } finally {
      clearInterval(trickle);
    }
    expect(sent).toBeLessThan(frame.length - 1); // cut off mid-frame, not for running out of bytes
    expect(slow.frames).toHaveLength(1);
    expect(slow.frames[0]).toMatchObject({ opcode: Opcode.ERROR, requestId: 42, header: { code: 'ERR_TIMEOUT' } });

    // Stalled inside the prefix: the request id is unknown, so the ERROR carries 0 (§6.1).
    const stalled = await RawClient.connect(daemon.port);
    stalled.socket.write(frame.subarray(0, 6));
    await stalled.until(() => stalled.closed, EVENTUALLY_MS);
    expect(stalled.frames[0]).toMatchObject({ opcode: Opcode.ERROR, requestId: 0, header: { code: 'ERR_TIMEOUT' } });

    // A frame that completes in time is served, however it is cut; with no frame begun, the deadline does not run.
    const fine = await RawClient.connect(daemon.port);
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    fine.socket.write(frame.subarray(0, 3));
    await sleep(50);
    fine.socket.write(frame.subarray(3, 500));
    await sleep(50);
    fine.socket.write(Buffer.concat([frame.subarray(500), encodeFrame(Opcode.PING, 0, 43, {})]));
    await fine.until(() => fine.frames.length === 2);
    expect(fine.frames.map((f) => [f.requestId, f.opcode])).toEqual([[42, Opcode.PING | RESPONSE_BIT], [43, Opcode.PING | RESPONSE_BIT]]);
    await sleep(2 * FRAME_DEADLINE_MS);
    expect((await fine.ask(Opcode.STATS, 44)).opcode).toBe(Opcode.STATS | RESPONSE_BIT);
    fine.socket.destroy();
    await daemon.close();
  });

  it('answers PING and STATS over a saturated in-flight budget (they were refused with ERR_BUSY, blinding monitoring under overload)', async () => {
    const daemon = await daemonWith({ inFlightBytesMax: 6_000 });
    const client = await RawClient.connect(daemon.port);
    // In one write: the append is still in flight (waiting for its fdatasync) when the rest is read.
    client.socket.write(
      Buffer.concat([
        encodeFrame(Opcode.APPEND, 0, 1, {}, batch(1, 1, 1_000)),
        encodeFrame(Opcode.GET_TRACE, 0, 2, { traceId: idBytes(1) }),
        encodeFrame(Opcode.PING, 0, 3, {}),
        encodeFrame(Opcode.STATS, 0, 4, {}),
      ]),
    );
    await client.until(() => client.frames.length === 4);
    const answer = (requestId: number) => client.frames.find((frame) => frame.requestId === requestId)!;
    expect(answer(1).opcode).toBe(Opcode.APPEND | RESPONSE_BIT);
    expect(answer(2).header.code).toBe('ERR_BUSY'); // the budget was saturated
    expect(answer(3).opcode).toBe(Opcode.PING | RESPONSE_BIT);
    expect(answer(4).opcode).toBe(Opcode.STATS | RESPONSE_BIT);
    expect(daemon.metrics.busyReplies).toBe(1);
    client.socket.destroy();
    await daemon.close();
  });

  it('charges response bytes against the in-flight budget until they are flushed (a reader not reading its large answers never held any of it)', async () => {
    const inFlightBytesMax = 256 * 1024;
    const daemon = await daemonWith({ inFlightBytesMax });
    const ids = await storeBigTraces(daemon);
    const reader = await unreadReader(daemon, ids);
    await reader.until(() => daemon.metrics.inFlightBytes > inFlightBytesMax, EVENTUALLY_MS);

    const other = await RawClient.connect(daemon.port);
    const busy = await other.ask(Opcode.GET_TRACE, 1, { traceId: ids[0] });
    expect(busy.header).toMatchObject({ code: 'ERR_BUSY', retryAfterMs: expect.any(Number) });
    expect((await other.ask(Opcode.PING, 2)).opcode).toBe(Opcode.PING | RESPONSE_BIT);

    reader.socket.resume();
    await reader.until(() => finalAnswers(reader, Opcode.GET_TRACES) === UNREAD_REQUESTS, EVENTUALLY_MS);
    await reader.until(() => daemon.metrics.inFlightBytes === 0, EVENTUALLY_MS);
    const served = await other.ask(Opcode.GET_TRACE, 3, { traceId: ids[0] });
    expect(served.opcode).toBe(Opcode.GET_TRACE | RESPONSE_BIT);
    reader.socket.destroy();
    other.socket.destroy();
    await daemon.close();
  });

  it('releases every charged byte on every path: reset or hang-up with answers unread, malformed frames, errors, BUSY (the budget returns to 0)', async () => {
    const inFlightBytesMax = 256 * 1024;
    const daemon = await daemonWith({ inFlightBytesMax, writeDeadlineMs: 2_000 });
    const ids = await storeBigTraces(daemon);
    // Reset while megabytes of answers wait to be written.
    const reset = await unreadReader(daemon, ids);
    await reset.until(() => daemon.metrics.inFlightBytes > inFlightBytesMax, EVENTUALLY_MS);
    // BUSY replies, and errors on an open connection, while that output is still charged.
    const erring = await RawClient.connect(daemon.port);
    expect((await erring.ask(Opcode.GET_TRACE, 1, { traceId: ids[0] })).header.code).toBe('ERR_BUSY');
    reset.socket.resetAndDestroy();
    await erring.until(() => daemon.metrics.connections === 1, EVENTUALLY_MS);
    expect((await erring.ask(Opcode.GET_TRACE, 2, { traceId: 42 })).header.code).toBe('ERR_INVALID_ARGUMENT');
    expect((await erring.ask(0x42, 3)).header.code).toBe('ERR_UNKNOWN_OPCODE');
    // A malformed frame right behind a large request: ERROR, close, with the answer possibly in flight.
    const malformed = await RawClient.connect(daemon.port);
    malformed.socket.write(Buffer.concat([encodeFrame(Opcode.GET_TRACES, 0, 1, { ids }), Buffer.from([0xff, 0xff, 0xff, 0xff])]));
    await malformed.until(() => malformed.closed, EVENTUALLY_MS);
    // A client that hangs up (FIN) with its answers unread: cut off at the write deadline.
    const leaver = await unreadReader(daemon, ids);
    await leaver.until(() => daemon.metrics.inFlightBytes > inFlightBytesMax, EVENTUALLY_MS);
    leaver.socket.end();
    erring.socket.end();

    await erring.until(() => daemon.metrics.connections === 0, EVENTUALLY_MS);
    await erring.until(() => daemon.metrics.inFlightBytes === 0 && daemon.metrics.inFlightRequests === 0, EVENTUALLY_MS);
    expect(daemon.metrics.inFlightBytes).toBe(0);
    await daemon.close();
  });

  it('makes retryAfterMs grow with the queue of refused requests (it was a fixed 50 ms, so every refused client came back at once)', async () => {
    const daemon = await daemonWith({ inFlightBytesMax: 6_000 });
    const client = await RawClient.connect(daemon.port);
    const refused = 30;
    const frames = [encodeFrame(Opcode.APPEND, 0, 1, {}, batch(1, 1, 1_000))];
    for (let r = 2; r <= refused + 1; r++) frames.push(encodeFrame(Opcode.GET_TRACE, 0, r, { traceId: idBytes(1) }));
    client.socket.write(Buffer.concat(frames));
    await client.until(() => client.frames.length === refused + 1);
    const retryAfter = client.frames
      .filter((frame) => frame.header.code === 'ERR_BUSY')
      .sort((a, b) => a.requestId - b.requestId)
      .map((frame) => frame.header.retryAfterMs as number);
    expect(retryAfter).toHaveLength(refused);
    expect(retryAfter.every((ms) => Number.isInteger(ms) && ms >= 1)).toBe(true);
    for (let i = 1; i < retryAfter.length; i++) expect(retryAfter[i]).toBeGreaterThanOrEqual(retryAfter[i - 1]!);
    expect(retryAfter[retryAfter.length - 1]).toBeGreaterThan(retryAfter[0]!);
    client.socket.destroy();
    await daemon.close();
  });

  it('answers getTraces over requestTracesMax with ERR_REQUEST_TOO_LARGE over the daemon, as embedded (it was ERR_INVALID_ARGUMENT)', async () => {
    const daemon = await daemonWith({ store: { requestTracesMax: 4 } });
    const ids = Array.from({ length: 5 }, (_, t) => traceIdOf(t));
    await expect(daemon.store.getTraces(ids)).rejects.toMatchObject({ code: 'ERR_REQUEST_TOO_LARGE' });
    const raw = await RawClient.connect(daemon.port);
    expect((await raw.ask(Opcode.GET_TRACES, 1, { ids: ids.map((_, t) => idBytes(t)) })).header.code).toBe('ERR_REQUEST_TOO_LARGE');
    raw.socket.destroy();
    const client = await TraceClient.connect({ port: daemon.port });
    await expect(client.getTraces(ids)).rejects.toMatchObject({ code: 'ERR_REQUEST_TOO_LARGE' });
    await expect(client.getTraces(ids.slice(0, 4))).resolves.toHaveLength(4);
    await client.close();
    await daemon.close();
  });

  it('answers a request whose answer no frame can carry with ERR_REQUEST_TOO_LARGE, on an open connection (it was ERR_FRAME_TOO_LARGE, the code of a malformed frame)', async () => {
    const daemon = await daemonWith({ frameBytesMax: 64 * 1024 });
    await daemon.store.append(batch(1, 20, 5_000)); // ~100 KB of spans: stored embedded, past any frame
    const raw = await RawClient.connect(daemon.port);
    expect((await raw.ask(Opcode.GET_TRACE, 1, { traceId: idBytes(1) })).header.code).toBe('ERR_REQUEST_TOO_LARGE');
    expect((await raw.ask(Opcode.PING, 2)).opcode).toBe(Opcode.PING | RESPONSE_BIT);
    raw.socket.destroy();
    await daemon.close();
  });

  it('answers getTraces over requestBytesMax with ERR_REQUEST_TOO_LARGE over the daemon, as embedded (the daemon read in slices and checked each slice alone)', async () => {
    // 600 one-span traces of ~300 B: a 256-trace slice fits the limit, the whole call does not.
    const daemon = await daemonWith({ store: { requestBytesMax: 110_000 } });
    const traces = 600;
    for (let first = 0; first < traces; first += 100) {
      const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 'issue-11' } } });
      for (let t = first; t < first + 100; t++) {
        encoder.add({ traceId: traceIdOf(t), spanId: '1'.padStart(16, '0'), name: `t${t}`, startTimeUnixNano: 1n, endTimeUnixNano: 2n, attributes: { pad: 'p'.repeat(200) } });
      }
      await daemon.store.append(encoder.finish());
    }
    const ids = Array.from({ length: traces }, (_, t) => traceIdOf(t));
    await expect(daemon.store.getTraces(ids.slice(0, 256))).resolves.toHaveLength(256);
    const embedded = await daemon.store.getTraces(ids).catch((error: TraceKvError) => error);
    expect(embedded).toMatchObject({ code: 'ERR_REQUEST_TOO_LARGE' });
    const client = await TraceClient.connect({ port: daemon.port });
    await expect(client.getTraces(ids)).rejects.toMatchObject({ code: 'ERR_REQUEST_TOO_LARGE' });
    await expect(client.getTraces(ids.slice(0, 256))).resolves.toHaveLength(256);
    await client.close();
    await daemon.close();
  });
});
