// Proves TraceClient against a real daemon on 127.0.0.1 (port chosen by the OS): results equal the embedded store's, auth and TLS work, and under BUSY overload the client retries and nothing acknowledged is lost.
import { afterAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceClient, TraceKvError } from '../../src/index.js';
import type { ScopeInput } from '../../src/index.js';
import { startDaemon, type Daemon } from '../../src/daemon/server.js';
import type { DaemonOptions } from '../../src/daemon/daemon-options.js';
import { TEST_CERT, TEST_KEY } from '../helpers/tls-fixture.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';
import { loadZipkinFixtures } from '../helpers/zipkin.js';

afterAll(removeTempDirs);

const quiet = () => {};
const SCOPE: ScopeInput = { name: 'zipkin-fixture', version: '2' };

function daemonWith(options: DaemonOptions = {}): Promise<Daemon> {
  return startDaemon({ dir: tempDir('client-daemon'), port: 0, logger: quiet, ...options });
}

function batch(n: number, spans = 3): Uint8Array {
  const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 'remote', n: BigInt(n) } } });
  for (let s = 1; s <= spans; s++) {
    encoder.add({
      traceId: (n + 1).toString(16).padStart(32, '0'),
      spanId: s.toString(16).padStart(16, '0'),
      name: `b${n}s${s}`,
      startTimeUnixNano: BigInt(n * 100 + s),
      endTimeUnixNano: BigInt(n * 100 + s + 7),
      attributes: { bytes: new Uint8Array([n & 255, s]), nested: { list: [1, 2n, 'x'] } },
    });
  }
  return encoder.finish();
}

describe('TraceClient against the daemon', () => {
  it('round-trips appends and reads, single and bulk, decoded and raw, equal to the embedded store', async () => {
    const daemon = await daemonWith();
    const client = await TraceClient.connect({ port: daemon.port });
    const ids: string[] = [];
    for (const { spansByService } of loadZipkinFixtures()) {
      for (const [service, spans] of spansByService) {
        const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': service } }, scope: SCOPE });
        for (const span of spans) encoder.add(span);
        const result = await client.append(encoder.finish());
        expect(result.spans).toBe(spans.length);
        for (const span of spans) ids.push(typeof span.traceId === 'string' ? span.traceId.toLowerCase() : Buffer.from(span.traceId).toString('hex'));
      }
    }
    for (let n = 0; n < 20; n++) await client.append(batch(n));
    const unique = [...new Set(ids)];
    const everything = [...unique, ...Array.from({ length: 20 }, (_, n) => (n + 1).toString(16).padStart(32, '0')), 'ab'.repeat(16)];
    expect(await client.getTraces(everything)).toStrictEqual(await daemon.store.getTraces(everything));
    expect(await client.getTraces(everything, { raw: true })).toStrictEqual(await daemon.store.getTraces(everything, { raw: true }));
    for (const id of unique) expect(await client.getTrace(id)).toStrictEqual(await daemon.store.getTrace(id));
    const bounded = { startTimeUnixNano: 503n, endTimeUnixNano: 903n };
    expect(await client.getTraces(everything, bounded)).toStrictEqual(await daemon.store.getTraces(everything, bounded));
    expect(await client.getSpan((3).toString(16).padStart(32, '0'), '2'.padStart(16, '0'))).toStrictEqual(
      await daemon.store.getSpan((3).toString(16).padStart(32, '0'), '2'.padStart(16, '0')),
    );
    const stats = await client.stats();
    expect(stats.server).toMatchObject({ appends: expect.any(Number), connections: 1 });
    await expect(client.append(new Uint8Array(80))).rejects.toMatchObject({ code: 'ERR_BATCH_CORRUPT' });
    await client.close();
    await daemon.close();
  });

  it('authenticates with the token and refuses a wrong one', async () => {
    const daemon = await daemonWith({ token: 'correct horse' });
    await expect(TraceClient.connect({ port: daemon.port, token: 'wrong' })).rejects.toMatchObject({ code: 'ERR_AUTH' });
    await expect(TraceClient.connect({ port: daemon.port })).rejects.toBeInstanceOf(TraceKvError);
    const client = await TraceClient.connect({ port: daemon.port, token: 'correct horse' });
    await client.append(batch(1));
    expect((await client.getTrace((2).toString(16).padStart(32, '0')))?.spans.length).toBe(3);
    await client.close();
    await daemon.close();
  });

  it('speaks TLS', async () => {
    const daemon = await daemonWith({ tls: { cert: TEST_CERT, key: TEST_KEY } });
    const client = await TraceClient.connect({ port: daemon.port, tls: { ca: TEST_CERT, servername: 'localhost' } });
    await client.append(batch(4));
    expect((await client.getTrace((5).toString(16).padStart(32, '0')))?.spans.length).toBe(3);
    await client.close();
    await daemon.close();
  });

  it('under overload answers BUSY, the client retries, and every acknowledged append is stored', async () => {
    const daemon = await daemonWith({ inFlightBytesMax: 12_000 });
    const client = await TraceClient.connect({ port: daemon.port, retriesMax: 100, retryBaseMs: 5, retryCapMs: 20 });
    const outcomes = await Promise.allSettled(Array.from({ length: 200 }, (_, n) => client.append(batch(n, 8))));
    const acked = outcomes.flatMap((outcome, n) => (outcome.status === 'fulfilled' ? [n] : []));
    const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [(outcome.reason as TraceKvError).code] : []));
    expect(daemon.metrics.busyReplies).toBeGreaterThan(0);
    expect(client.clientStats.retries).toBeGreaterThan(0);
    expect(failures.every((code) => code === 'ERR_BUSY')).toBe(true);
    // How many get through before their retries run out depends on the machine's load; what must
    // hold at any load: some were answered BUSY, retried and then stored, and none was lost.
    expect(acked.length).toBeGreaterThan(2);
    expect(acked.length + failures.length).toBe(200);
    const traces = await daemon.store.getTraces(acked.map((n) => (n + 1).toString(16).padStart(32, '0')));
    expect(traces.filter((trace) => trace?.spans.length !== 8)).toEqual([]);
    await client.close();
    await daemon.close();
  });
});
