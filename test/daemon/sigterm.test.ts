// Proves that SIGTERM during an append load stops the daemon process cleanly (exit 0) and that every append it acknowledged is present after a restart.
import { afterAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore } from '../../src/index.js';
import { Opcode, RESPONSE_BIT } from '../../src/protocol/frame.js';
import { DaemonChild } from '../../scripts/testkit/daemon-child.js';
import { Ledger, checkBatches, storedSpansOfBatch } from '../../scripts/testkit/ledger.js';
import { RawClient } from '../helpers/raw-client.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';

afterAll(removeTempDirs);

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
    // `tracekv serve` from the build, as `npm start` runs it: its SIGTERM handler is what is tested.
    const daemon = await DaemonChild.start({ launch: { serve: { dir } } });
    const clients = await Promise.all([0, 1, 2].map(() => RawClient.connect(daemon.port)));
    const ledger = new Ledger();
    let next = 0;
    let signalled = false;
    // Per connection: request id → batch number, to know exactly which batches were acknowledged.
    const sent = clients.map(() => new Map<number, number>());
    // Three connections keep appends flowing; SIGTERM lands in the middle of them.
    const loads = clients.map(async (client, c) => {
      for (let r = 1; !client.closed && r < 5000; r++) {
        sent[c]!.set(r, next);
        ledger.sent(next);
        client.send(Opcode.APPEND, r, {}, batch(next++));
        if (r % 8 === 0) await client.until(() => client.frames.length >= r - 4 || client.closed, 20_000);
        if (c === 0 && r === 200 && !signalled) {
          signalled = true;
          daemon.signal('SIGTERM');
        }
      }
    });
    await Promise.all(loads);
    expect((await daemon.exited).code).toBe(0);
    // Acked = answered APPEND | RESPONSE_BIT; a request the daemon did not take was never answered or got an error.
    clients.forEach((client, c) => {
      for (const frame of client.frames) if (frame.opcode === (Opcode.APPEND | RESPONSE_BIT)) ledger.acked(sent[c]!.get(frame.requestId)!);
    });
    expect(ledger.ackedAt.size).toBeGreaterThan(100);
    const store = await TraceStore.open({ dir, readerThreads: 0 });
    const problems: string[] = [];
    const view = ledger.at();
    await checkBatches((ids) => store.getTraces(ids, { raw: true }), view, view.sent, (n) => storedSpansOfBatch(batch(n)), (problem) => problems.push(problem));
    await store.close();
    expect(problems).toEqual([]);
  });
});
