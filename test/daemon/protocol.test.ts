// Proves the daemon speaks data-format.md §6 on a raw socket: malformed input gets an ERROR and a closed connection while the daemon stays up; auth, versions, unknown opcodes, idle and slow clients, and BUSY behave as specified.
import { afterAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon/server.js';
import type { DaemonOptions } from '../../src/daemon/daemon-options.js';
import { Opcode, encodeFrame } from '../../src/protocol/frame.js';
import { daemonWith as daemonWithIn, paddedBatch } from '../helpers/daemon.js';
import { RawClient } from '../helpers/raw-client.js';
import { removeTempDirs } from '../helpers/store-dir.js';

afterAll(removeTempDirs);


function daemonWith(options: DaemonOptions = {}): Promise<Daemon> {
  return daemonWithIn('daemon', options);
}

function batch(traceNo: number, spans = 1, padBytes = 0): Uint8Array {
  return paddedBatch('daemon', traceNo, spans, padBytes);
}

async function stillServes(daemon: Daemon): Promise<void> {
  const client = await RawClient.connect(daemon.port);
  const pong = await client.ask(Opcode.PING, 9);
  expect(pong.opcode).toBe(Opcode.PING | 0x80);
  client.socket.destroy();
}

describe('daemon protocol', () => {
  it('appends and reads over raw frames, pipelined', async () => {
    const daemon = await daemonWith();
    const client = await RawClient.connect(daemon.port);
    client.send(Opcode.APPEND, 1, {}, batch(0));
    client.send(Opcode.APPEND, 2, {}, batch(1));
    await client.until(() => client.frames.length === 2);
    expect(client.frames.map((f) => [f.opcode, f.header.spans]).sort()).toEqual([[0x82, 1], [0x82, 1]]);
    const trace = await client.ask(Opcode.GET_TRACE, 3, { traceId: Buffer.from((2).toString(16).padStart(32, '0'), 'hex') });
    expect((trace.header.trace as { spans: { name: string }[] }).spans[0]!.name).toBe('t1');
    client.socket.destroy();
    await daemon.close();
  });

  for (const [name, bytes] of [
    ['an oversize frame', (() => { const b = Buffer.alloc(16); b.writeUInt32LE(17 * 1024 * 1024, 0); return b; })()],
    ['a 0xFFFFFFFF length', Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0])],
    ['garbage bytes', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['a header that is not a map', encodeFrame(Opcode.PING, 0, 5, {}).fill(0x01, 16)],
  ] as const) {
    it(`answers ${name} with an ERROR, closes the connection, and stays up`, async () => {
      const daemon = await daemonWith();
      const client = await RawClient.connect(daemon.port);
      client.socket.write(bytes);
      await client.until(() => client.closed);
      expect(client.frames.length).toBe(1);
      expect(client.frames[0]!.opcode).toBe(Opcode.ERROR);
      expect(['ERR_PROTOCOL', 'ERR_FRAME_TOO_LARGE']).toContain(client.frames[0]!.header.code);
      await stillServes(daemon);
      await daemon.close();
    });
  }

  it('answers an unknown opcode and an unknown version with an error, keeping the connection', async () => {
    const daemon = await daemonWith();
    const client = await RawClient.connect(daemon.port);
    expect((await client.ask(0x42, 1)).header.code).toBe('ERR_UNKNOWN_OPCODE');
    expect((await client.ask(Opcode.HELLO, 2, { version: 99 })).header.code).toBe('ERR_UNSUPPORTED_VERSION');
    expect((await client.ask(Opcode.GET_TRACE, 3, { traceId: 42 })).header.code).toBe('ERR_INVALID_ARGUMENT');
    expect((await client.ask(Opcode.APPEND, 4, {}, new Uint8Array(70))).header.code).toBe('ERR_BATCH_CORRUPT');
    expect((await client.ask(Opcode.PING, 5)).opcode).toBe(Opcode.PING | 0x80);
    expect(client.closed).toBe(false);
    client.socket.destroy();
    await daemon.close();
  });

  it('requires HELLO with the right token first, within the auth deadline', async () => {
    const daemon = await daemonWith({ token: 's3cret', authDeadlineMs: 300 });
    const wrong = await RawClient.connect(daemon.port);
    expect((await wrong.ask(Opcode.HELLO, 1, { version: 1, token: 'nope' })).header.code).toBe('ERR_AUTH');
    await wrong.until(() => wrong.closed);
    const skipping = await RawClient.connect(daemon.port);
    expect((await skipping.ask(Opcode.PING, 1)).header.code).toBe('ERR_AUTH');
    await skipping.until(() => skipping.closed);
    const silent = await RawClient.connect(daemon.port);
    await silent.until(() => silent.closed, 3000);
    expect(silent.frames[0]?.header.code).toBe('ERR_AUTH');
    const right = await RawClient.connect(daemon.port);
    expect((await right.ask(Opcode.HELLO, 1, { version: 1, token: 's3cret' })).header).toMatchObject({ version: 1, server: 'tracekv' });
    expect((await right.ask(Opcode.PING, 2)).opcode).toBe(Opcode.PING | 0x80);
    right.socket.destroy();
    await daemon.close();
  });

  it('refuses a non-loopback address without a token unless insecure', async () => {
    await expect(daemonWith({ host: '0.0.0.0' })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'host' });
  });

  it('closes an idle connection, and cuts off a client that does not read its responses', async () => {
    const daemon = await daemonWith({ idleTimeoutMs: 200, writeDeadlineMs: 300, pendingOutputBytesMax: 64 * 1024 });
    const idle = await RawClient.connect(daemon.port);
    await idle.until(() => idle.closed, 3000);
    // Fill the daemon with traces, then ask for them over and over without reading the answers.
    const writer = await RawClient.connect(daemon.port);
    // ~500 KB per GET_TRACES answer: a few of them fill loopback's socket buffers.
    for (let t = 0; t < 50; t++) await writer.ask(Opcode.APPEND, 100 + t, {}, batch(t, 20, 500));
    writer.socket.destroy();
    const slow = await RawClient.connect(daemon.port);
    slow.socket.pause();
    const ids = Array.from({ length: 50 }, (_, t) => Buffer.from((t + 1).toString(16).padStart(32, '0'), 'hex'));
    for (let r = 1; r <= 400 && !slow.closed; r++) slow.send(Opcode.GET_TRACES, r, { ids });
    // The paused socket cannot see its own end; watch the daemon drop it instead.
    await slow.until(() => daemon.metrics.connections === 0, 10_000);
    await stillServes(daemon);
    await daemon.close();
  });

  it('answers ERR_BUSY with retryAfterMs past the in-flight byte budget, and runs nothing', async () => {
    const daemon = await daemonWith({ inFlightBytesMax: 5000 });
    const client = await RawClient.connect(daemon.port);
    const big = batch(7);
    for (let r = 1; r <= 20; r++) client.send(Opcode.APPEND, r, {}, big);
    await client.until(() => client.frames.length === 20);
    const busy = client.frames.filter((f) => f.header.code === 'ERR_BUSY');
    const ok = client.frames.filter((f) => f.opcode === 0x82);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy.every((f) => typeof f.header.retryAfterMs === 'number' && (f.header.retryAfterMs as number) > 0)).toBe(true);
    expect(ok.length + busy.length).toBe(20);
    expect(daemon.store.stats().appendedSpans).toBe(ok.length); // BUSY requests did nothing
    expect(daemon.metrics.busyReplies).toBe(busy.length);
    client.socket.destroy();
    await daemon.close();
  });
});
