// Proves a store written before batch version 2 (test/fixtures/v1-store, committed bytes) still opens, returns every span it holds exactly as it was sent, verifies deep without a problem, and takes new version-1 appends: the upgrade promise of issue 15, kept by files no current code wrote.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore } from '../../src/index.js';
import type { ResourceInput, ScopeInput, Span, SpanInput } from '../../src/batch/types.js';
import { verifyStore } from '../../src/maintenance/verify.js';
import { fromFixtureJson } from '../fixtures/v1-store/fixture-json.js';
import { expectedResource, expectedScope, expectedSpan, idHex } from '../helpers/expected.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/v1-store');
type FixtureBatch = { resource: ResourceInput; scope: ScopeInput; spans: SpanInput[] };
const batches = fromFixtureJson<FixtureBatch[]>(fs.readFileSync(path.join(FIXTURE, 'batches.json'), 'utf8'));

/** The committed store is never opened in place: opening may write (recovery, index seals). */
function copyOfFixture(): string {
  const dir = tempDir('v1-fixture');
  fs.cpSync(path.join(FIXTURE, 'store'), dir, { recursive: true });
  return dir;
}

/** Every trace's expected spans, in the order they were appended. */
function expectedTraces(): Map<string, Span[]> {
  const traces = new Map<string, Span[]>();
  for (const batch of batches) {
    const resource = expectedResource(batch.resource);
    const scope = expectedScope(batch.scope);
    for (const input of batch.spans) {
      const traceId = idHex(input.traceId, 16);
      const spans = traces.get(traceId) ?? [];
      spans.push(expectedSpan(input, resource, scope));
      traces.set(traceId, spans);
    }
  }
  return traces;
}

afterAll(removeTempDirs);

describe('a version-1 store (committed fixture)', () => {
  it('holds the batches its README says, over more than one segment', () => {
    expect(batches).toHaveLength(4);
    const segments = fs.readdirSync(path.join(FIXTURE, 'store/gen-0000000001')).filter((name) => name.endsWith('.tkv'));
    expect(segments.length).toBeGreaterThan(1);
  });

  it('opens and returns every span exactly as sent', async () => {
    const want = expectedTraces();
    const store = await TraceStore.open({ dir: copyOfFixture() });
    try {
      expect(store.stats().appendedSpans).toBe(0);
      const ids = [...want.keys()];
      const got = await store.getTraces(ids);
      ids.forEach((traceId, i) => expect(got[i]?.spans, traceId).toEqual(want.get(traceId)));
    } finally {
      await store.close();
    }
  });

  it('verifies deep with no problem', async () => {
    const report = await verifyStore({ dir: copyOfFixture(), deep: true });
    expect(report.problems).toEqual([]);
    expect(report.counters.records).toBe(batches.length);
  });

  it('takes a new version-1 append and returns it beside the old spans', async () => {
    const dir = copyOfFixture();
    const store = await TraceStore.open({ dir });
    const span: SpanInput = { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 'after the upgrade', startTimeUnixNano: 1_800_000_000_000_000_000n, endTimeUnixNano: 1_800_000_000_000_000_100n };
    try {
      const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 'new' } } });
      encoder.add(span);
      await store.append(encoder.finish());
      const [fresh, old] = await store.getTraces([span.traceId as string, idHex(batches[3]!.spans[0]!.traceId, 16)]);
      expect(fresh?.spans.map((s) => s.name)).toEqual(['after the upgrade']);
      expect(old?.spans.map((s) => s.name)).toEqual(['every field']);
    } finally {
      await store.close();
    }
    expect((await verifyStore({ dir, deep: true })).problems).toEqual([]);
  });
});
