// Proves the real Zipkin fixtures (production traces, one batch per service) come back exactly through the store, singly and in bulk, before and after reopen.
import { afterAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore } from '../../src/index.js';
import type { ScopeInput, Span } from '../../src/index.js';
import { expectedResource, expectedScope, expectedSpan } from '../helpers/expected.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';
import { loadZipkinFixtures } from '../helpers/zipkin.js';

afterAll(removeTempDirs);

const SCOPE: ScopeInput = { name: 'zipkin-fixture', version: '2' };

describe('zipkin fixtures through the store', () => {
  it('reconstructs every fixture trace exactly', async () => {
    const dir = tempDir('zipkin');
    const store = await TraceStore.open({ dir, indexFlushEntries: 16, partitions: 8 });
    // traceId → spans in storage order (append order, then order within the batch).
    const expected = new Map<string, Span[]>();
    for (const { spansByService } of loadZipkinFixtures()) {
      for (const [service, spans] of spansByService) {
        const resource = { attributes: { 'service.name': service } };
        const encoder = new BatchEncoder({ resource, scope: SCOPE });
        for (const span of spans) encoder.add(span);
        await store.append(encoder.finish());
        for (const span of spans) {
          const want = expectedSpan(span, expectedResource(resource), expectedScope(SCOPE));
          expected.set(want.traceId, [...(expected.get(want.traceId) ?? []), want]);
        }
      }
    }
    expect(expected.size).toBeGreaterThanOrEqual(5);
    const ids = [...expected.keys()];
    const check = async (s: TraceStore) => {
      for (const id of ids) expect((await s.getTrace(id))?.spans).toStrictEqual(expected.get(id));
      const bulk = await s.getTraces(ids);
      expect(bulk.map((t) => t?.spans)).toStrictEqual(ids.map((id) => expected.get(id)));
    };
    await check(store);
    await store.close();
    const reopened = await TraceStore.open({ dir });
    await check(reopened);
    await reopened.close();
  });
});
