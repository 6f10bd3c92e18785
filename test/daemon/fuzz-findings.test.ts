// Proves the four bugs the protocol fuzz (scripts/reliability/protocol-fuzz.ts) found stay fixed: a HELLO version map with its own toString, ext values and 0xc1 passing as headers, a failed connection kept alive by its destroy timer, and refused connections that crashed the daemon or stayed open.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Connection } from '../../src/daemon/connection.js';
import { resolveDaemonOptions } from '../../src/daemon/daemon-options.js';
import { DaemonMetrics } from '../../src/daemon/metrics.js';
import { createConnectionContext, startDaemon } from '../../src/daemon/server.js';
import { FrameDecoder, Opcode, ProtocolError, encodeFrame } from '../../src/protocol/frame.js';
import type { TraceStore } from '../../src/store/trace-store.js';
import { openSocketCount } from '../../scripts/testkit/proc.js';
import { RawClient } from '../helpers/raw-client.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';

afterAll(removeTempDirs);
afterEach(() => {
  vi.useRealTimers();
});

const quiet = () => {};

/** A frame around raw header bytes, lengths right: only the header is odd. */
function frameWithHeader(headerBytes: number[]): Buffer {
  const prefix = Buffer.alloc(16);
  prefix.writeUInt32LE(12 + headerBytes.length, 0);
  prefix.writeUInt8(Opcode.PING, 4);
  prefix.writeUInt32LE(7, 8);
  prefix.writeUInt32LE(headerBytes.length, 12);
  return Buffer.concat([prefix, Buffer.from(headerBytes)]);
}

/** Sockets this process holds open, client and server side. */
function openSockets(): number {
  return openSocketCount('self');
}

describe('protocol fuzz findings', () => {
  it('answers a HELLO whose version is a map with its own toString with ERR_UNSUPPORTED_VERSION instead of crashing', async () => {
    const daemon = await startDaemon({ dir: tempDir('fuzz-hello'), port: 0, logger: quiet });
    const client = await RawClient.connect(daemon.port);
    for (const version of [{ toString: 1 }, { valueOf: 'x', toString: null }, [{ toString: 1 }]]) {
      const answer = await client.ask(Opcode.HELLO, 1 + client.frames.length, { version });
      expect(answer.header.code).toBe('ERR_UNSUPPORTED_VERSION');
    }
    expect((await client.ask(Opcode.PING, 99)).opcode).toBe(Opcode.PING | 0x80);
    client.socket.destroy();
    await daemon.close();
  });

  it('refuses a header that is an ext value (timestamp, typed array) or the never-used byte 0xc1 as malformed', () => {
    for (const header of [
      [0xd6, 0xff, 0, 0, 0, 0], // timestamp 32: msgpackr decodes a Date
      [0xc7, 0x0c, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], // timestamp 96
      [0xd4, 0x74, 0x00], // ext 0x74: msgpackr decodes an Int8Array
      [0xc1],
    ]) {
      const decode = () => new FrameDecoder(1024).push(frameWithHeader(header));
      expect(decode).toThrow(ProtocolError);
      expect(decode).toThrow(/not a msgpack map|not msgpack/);
    }
    expect(new FrameDecoder(1024).push(frameWithHeader([0x80]))[0]!.header).toEqual({});
  });

  it('clears the destroy timer of a failed connection when its socket closes, so nothing keeps the connection alive', () => {
    vi.useFakeTimers();
    const socket = Object.assign(new EventEmitter(), {
      setNoDelay: () => socket,
      setTimeout: () => socket,
      pause: () => socket,
      resume: () => socket,
      write: () => true,
      end: () => socket,
      destroy: () => socket,
      writableLength: 0,
    });
    const options = resolveDaemonOptions({ dir: 'unused', port: 0, logger: quiet });
    // A malformed frame never reaches the store.
    const { context } = createConnectionContext(null as unknown as TraceStore, options, new DaemonMetrics());
    new Connection(socket as unknown as net.Socket, context, () => {});
    socket.emit('data', Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(vi.getTimerCount()).toBe(1); // the write deadline for a peer that never reads
    socket.emit('close', false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('survives connections past maxConnections that hang up with unread data or a reset, and closes every one of them', async () => {
    const daemon = await startDaemon({ dir: tempDir('fuzz-refused'), port: 0, logger: quiet, maxConnections: 1, writeDeadlineMs: 600_000 });
    const holder = await RawClient.connect(daemon.port);
    expect((await holder.ask(Opcode.PING, 1)).opcode).toBe(Opcode.PING | 0x80);
    const before = openSockets();
    for (let n = 0; n < 30; n++) {
      const refused = await RawClient.connect(daemon.port);
      refused.socket.write(encodeFrame(Opcode.PING, 0, 1, {}));
      await refused.until(() => refused.frames.length > 0 || refused.closed);
      expect(refused.frames[0]?.header.code).toBe('ERR_BUSY');
      if (n % 2 === 0) refused.socket.resetAndDestroy();
      else refused.socket.end(Buffer.alloc(64 * 1024));
    }
    // Without the fix the daemon crashed here (an unhandled ECONNRESET), or kept the reset sockets
    // open until the 10-minute write deadline; a liveness bound far below that, not a timing one.
    await holder.until(() => openSockets() <= before, 30_000);
    expect((await holder.ask(Opcode.PING, 2)).opcode).toBe(Opcode.PING | 0x80);
    holder.socket.destroy();
    await daemon.close();
  });
});
