// Proves that SIGTERM during an append load stops the daemon process cleanly (exit 0) and that every append it acknowledged is present after a restart.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore } from '../../src/index.js';
import { Opcode } from '../../src/protocol/frame.js';
import { RawClient } from '../helpers/raw-client.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';

afterAll(removeTempDirs);

const repo = path.resolve(import.meta.dirname, '../..');

/** Starts `tracekv serve` from the build, as `npm start` does, and resolves with its port. */
function serve(dir: string): Promise<{ child: ChildProcess; port: number; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [path.join(repo, 'dist/cli/main.js'), 'serve', '--port', '0', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const event = JSON.parse(line) as { event: string; port?: number };
      if (event.event === 'listening') resolve({ child, port: event.port!, exited });
    });
    child.once('exit', (code) => reject(new Error(`daemon exited early with ${code}`)));
  });
}

function batch(n: number): Uint8Array {
  const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 'sigterm' } } });
  for (let s = 1; s <= 5; s++) {
    encoder.add({ traceId: (n + 1).toString(16).padStart(32, '0'), spanId: s.toString(16).padStart(16, '0'), name: `b${n}`, startTimeUnixNano: 1n, endTimeUnixNano: 2n });
  }
  return encoder.finish();
}

describe('daemon SIGTERM', () => {
  it('exits 0 under load and keeps every acknowledged append', async () => {
    const dir = tempDir('sigterm');
    const daemon = await serve(dir);
    const clients = await Promise.all([0, 1, 2].map(() => RawClient.connect(daemon.port)));
    let next = 0;
    let signalled = false;
    // Per connection: request id → batch number, to know exactly which batches were acknowledged.
    const sent = clients.map(() => new Map<number, number>());
    // Three connections keep appends flowing; SIGTERM lands in the middle of them.
    const loads = clients.map(async (client, c) => {
      for (let r = 1; !client.closed && r < 5000; r++) {
        sent[c]!.set(r, next);
        client.send(Opcode.APPEND, r, {}, batch(next++));
        if (r % 8 === 0) await client.until(() => client.frames.length >= r - 4 || client.closed, 20_000);
        if (c === 0 && r === 200 && !signalled) {
          signalled = true;
          daemon.child.kill('SIGTERM');
        }
      }
    });
    await Promise.all(loads);
    expect(await daemon.exited).toBe(0);
    // Acked = answered 0x82; a request the daemon did not take was never answered or got an error.
    const acked: number[] = [];
    clients.forEach((client, c) => {
      for (const frame of client.frames) if (frame.opcode === 0x82) acked.push(sent[c]!.get(frame.requestId)!);
    });
    expect(acked.length).toBeGreaterThan(100);
    const store = await TraceStore.open({ dir, readerThreads: 0 });
    const traces = await store.getTraces(acked.map((n) => (n + 1).toString(16).padStart(32, '0')));
    await store.close();
    expect(traces.filter((trace) => trace?.spans.length !== 5)).toEqual([]);
  });
});
