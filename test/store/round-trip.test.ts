// Proves that spans go encoder → store → getSpan/getTrace/getTraces and come back deep-equal, raw bytes exact, across reopen.
import { afterAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore, TraceKvError } from '../../src/index.js';
import type { RawRecordSpan, SpanInput } from '../../src/index.js';
import { expectedResource, expectedScope, expectedSpan } from '../helpers/expected.js';
import { makeRng } from '../helpers/rng.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';

afterAll(removeTempDirs);

const resource = { attributes: { 'service.name': 'checkout', 'host.cores': 8n, 'deploy.canary': false } };
const scope = { name: '@tracekv/test', version: '1.2.3', attributes: { 'scope.attr': 'x' } };

function richSpan(traceId: string, spanId: string, parent?: string): SpanInput {
  return {
    traceId,
    spanId,
    ...(parent !== undefined ? { parentSpanId: parent } : {}),
    name: 'GET /cart ✓',
    kind: 2,
    startTimeUnixNano: 1_700_000_000_000_000_000n,
    endTimeUnixNano: 1_700_000_000_123_456_789n,
    attributes: {
      'http.status_code': 200,
      'http.ratio': 0.25,
      'big.int': -(2n ** 63n),
      ok: true,
      tags: ['a', 'b'],
      nested: { inner: [1, 2n, 'three'] },
      blob: new Uint8Array([0, 1, 255]),
    },
    droppedAttributesCount: 2,
    events: [{ timeUnixNano: 1_700_000_000_000_000_500n, name: 'retry', attributes: { attempt: 2n } }],
    droppedEventsCount: 1,
    links: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceState: 'k=v', attributes: { why: 'follows' }, flags: 1 }],
    droppedLinksCount: 3,
    status: { code: 2, message: 'boom' },
    traceState: 'vendor=1',
    flags: 257,
  };
}

describe('TraceStore round trip', () => {
  it('returns every span of a trace decoded, and single spans by id, before and after reopen', async () => {
    const dir = tempDir('roundtrip');
    const store = await TraceStore.open({ dir });
    const traceId = '0123456789ABCDEF0123456789abcdef';
    const spans = [richSpan(traceId, '1111111111111111'), richSpan(traceId, '2222222222222222', '1111111111111111')];
    const encoder = new BatchEncoder({ resource, scope });
    for (const span of spans) encoder.add(span);
    const result = await store.append(encoder.finish());
    expect(result).toMatchObject({ spans: 2, generationId: 1, segmentId: 1, fileOffset: 32 });

    const want = spans.map((s) => expectedSpan(s, expectedResource(resource), expectedScope(scope)));
    const check = async (s: TraceStore) => {
      expect(await s.getTrace(traceId)).toEqual({ traceId: traceId.toLowerCase(), spans: want });
      expect(await s.getSpan(traceId, '2222222222222222')).toEqual(want[1]);
      expect(await s.getSpan(traceId, '3333333333333333')).toBeNull();
      expect(await s.getTrace('ff'.repeat(16))).toBeNull();
    };
    await check(store);
    await store.close();
    await store.close(); // idempotent
    const reopened = await TraceStore.open({ dir });
    await check(reopened);
    expect(reopened.stats().recovery.reindexedRecords).toBe(0); // clean reopen scans nothing
    await reopened.close();
  });

  it('stores garbage span bytes added with addRaw without decoding them, and returns them byte-identical', async () => {
    const dir = tempDir('raw');
    const store = await TraceStore.open({ dir });
    const rng = makeRng(42);
    const traceId = rng.bytes(16);
    traceId[0] = 1;
    const encoder = new BatchEncoder({ resource });
    const records: Uint8Array[] = [];
    for (let i = 0; i < 50; i++) {
      const bytes = rng.bytes(1 + rng.int(300));
      records.push(bytes);
      const spanId = rng.bytes(8);
      spanId[0] = 1;
      encoder.addRaw(traceId, spanId, BigInt(1000 + i), bytes);
    }
    await store.append(encoder.finish());
    const trace = await store.getTrace(traceId, { raw: true });
    expect(trace?.spans.map((s) => Buffer.from((s as RawRecordSpan).bytes).toString('hex'))).toEqual(records.map((b) => Buffer.from(b).toString('hex')));
    expect(trace?.spans.map((s) => s.startTimeUnixNano)).toEqual(records.map((_, i) => BigInt(1000 + i)));
    // Decoding garbage must fail with a typed error, never return a made-up span.
    await expect(store.getTrace(traceId)).rejects.toBeInstanceOf(TraceKvError);
    await store.close();
  });

  it('getTraces answers in input order with null for misses, reading each record once', async () => {
    const dir = tempDir('bulk');
    const store = await TraceStore.open({ dir });
    const rng = makeRng(7);
    const ids: string[] = [];
    const encoder = new BatchEncoder({ resource });
    for (let t = 0; t < 20; t++) {
      const traceId = Buffer.from(rng.bytes(16)).toString('hex').replace(/^./, '1');
      ids.push(traceId);
      encoder.add({ traceId, spanId: `${String(t + 1).padStart(16, '0')}`, name: `t${t}`, startTimeUnixNano: 5n, endTimeUnixNano: 6n });
    }
    await store.append(encoder.finish());
    const miss = 'ee'.repeat(16);
    const results = await store.getTraces([ids[3]!, miss, ids[0]!, ids[19]!]);
    expect(results.map((r) => r?.spans[0]?.name ?? null)).toEqual(['t3', null, 't0', 't19']);
    await store.close();
  });
});

describe('TraceStore API errors', () => {
  it('rejects bad options naming the option, a second open with ERR_STORE_LOCKED, and use after close with ERR_STORE_CLOSED', async () => {
    const dir = tempDir('api');
    await expect(TraceStore.open({ dir, segmentBytesMax: 10 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'segmentBytesMax' });
    await expect(TraceStore.open({ dir, durability: 'maybe' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'durability' });
    await expect(TraceStore.open({ dir, nonsense: 1 } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'nonsense' });
    const store = await TraceStore.open({ dir });
    await expect(TraceStore.open({ dir })).rejects.toMatchObject({ code: 'ERR_STORE_LOCKED' });
    await expect(store.append(new Uint8Array(10))).rejects.toMatchObject({ code: 'ERR_BATCH_CORRUPT' });
    await expect(store.getTrace('xyz')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await store.close();
    await expect(store.getTrace('11'.repeat(16))).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' });
    await expect(store.append(new Uint8Array(10))).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' });
    const again = await TraceStore.open({ dir }); // the lock was released
    await again.close();
  });

  it('refuses to adopt a non-empty directory that is not a store, but finishes one whose creation crashed', async () => {
    const dir = tempDir('foreign');
    const { writeFileSync, existsSync } = await import('node:fs');
    writeFileSync(`${dir}/precious.txt`, 'hello');
    await expect(TraceStore.open({ dir })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'dir' });
    const crashed = tempDir('half-created');
    writeFileSync(`${crashed}/TRACEKV.tmp`, 'torn');
    const store = await TraceStore.open({ dir: crashed });
    await store.close();
    expect(existsSync(`${crashed}/TRACEKV`) && !existsSync(`${crashed}/TRACEKV.tmp`)).toBe(true);
  });

  it('rejects a batch over batchBytesMax or batchSpansMax with ERR_BATCH_TOO_LARGE and stores nothing', async () => {
    const dir = tempDir('limits');
    const store = await TraceStore.open({ dir, batchSpansMax: 2 });
    const encoder = new BatchEncoder({ resource });
    for (let i = 1; i <= 3; i++) encoder.add({ traceId: '12'.repeat(16), spanId: `${i}`.padStart(16, '0'), name: 'x', startTimeUnixNano: 1n, endTimeUnixNano: 2n });
    await expect(store.append(encoder.finish())).rejects.toMatchObject({ code: 'ERR_BATCH_TOO_LARGE' });
    expect(await store.getTrace('12'.repeat(16))).toBeNull();
    await store.close();
  });
});
