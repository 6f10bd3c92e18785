// Proves the store takes version-2 (columnar) batches beside version-1 ones without decoding a span: every trace comes back exactly as the batch decoder reads it (worker and inline readers, bulk, time bounds, traceBytesMax), raw reads return the appended batch byte-identical with each span's row, a batch whose columns are random bytes is stored and read back raw while a decoding read fails ERR_SPAN_CORRUPT, and recovery (reindex and sealed chunks), verify --deep and dump read the same.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore, decodeBatch } from '../../src/index.js';
import { ColumnarBatchEncoder } from '../../src/batch/columnar-encoder.js';
import { openColumnarBatch } from '../../src/batch/columnar-view.js';
import { BATCH_FOOTER_BYTES } from '../../src/constants.js';
import { crc32c } from '../../src/codec/crc32c.js';
import { writeU32LE } from '../../src/codec/little-endian.js';
import type { RawRowSpan, Span, SpanInput, Trace } from '../../src/index.js';
import { dumpSpans } from '../../src/maintenance/dump.js';
import { verifyStore } from '../../src/maintenance/verify.js';
import { makeRng } from '../../src/workload/rng.js';
import { crashCopy, removeTempDirs, tempDir } from '../helpers/store-dir.js';
import { tracegenTrace } from '../helpers/tracegen.js';

afterAll(removeTempDirs);

const SEED = 0xc0172;
const START_UNIX_NANO = 1_700_000_000_000_000_000n;
const BATCHES = 12;
const TRACES_PER_BATCH = 5;
const resource = { attributes: { 'service.name': 'columnar' } };

/** The spans of every batch, and each trace's spans in storage order as the batch decoder reads them. */
interface Appended {
  batches: Uint8Array[];
  traceIds: string[];
  want: Map<string, Span[]>;
}

/**
 * BATCHES batches, every third one version 1, traces interleaved within a batch (the v2 encoder
 * groups them into runs), and some traces continued in the next batch: a trace then spans records
 * of both versions.
 */
function buildBatches(): Appended {
  const rng = makeRng(SEED);
  const batches: Uint8Array[] = [];
  const traceIds: string[] = [];
  let carried: SpanInput[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const spans: SpanInput[] = [...carried];
    carried = [];
    for (let t = 0; t < TRACES_PER_BATCH; t++) {
      const trace = tracegenTrace(rng, b * TRACES_PER_BATCH + t, START_UNIX_NANO + BigInt(b * TRACES_PER_BATCH + t) * 1_000_000n).spans;
      traceIds.push(trace[0]!.traceId as string);
      // The last trace of a batch leaves its last three spans to the next batch.
      if (t === TRACES_PER_BATCH - 1) carried = trace.splice(trace.length - 3);
      spans.push(...trace);
    }
    // Interleave the traces: span ids are random, so their order mixes the traces.
    spans.sort((x, y) => String(x.spanId).localeCompare(String(y.spanId)));
    const encoder = b % 3 === 2 ? new BatchEncoder({ resource }) : new ColumnarBatchEncoder({ resource });
    for (const span of spans) encoder.add(span);
    batches.push(encoder.finish());
  }
  const want = new Map<string, Span[]>();
  for (const batch of batches) {
    for (const span of decodeBatch(batch).spans) {
      const list = want.get(span.traceId) ?? [];
      list.push(span);
      want.set(span.traceId, list);
    }
  }
  return { batches, traceIds, want };
}

async function appendAll(store: TraceStore, batches: Uint8Array[]): Promise<void> {
  for (const batch of batches) await store.append(batch);
}

/** A copy of a version-2 batch whose columns section is random bytes, its batch CRC made to match again. */
function withRandomColumns(batch: Uint8Array, seed: number): Uint8Array {
  const copy = new Uint8Array(batch);
  const view = openColumnarBatch(copy);
  const rng = makeRng(seed);
  copy.set(rng.bytes(view.searchStart - view.columnsStart), view.columnsStart);
  const footer = copy.length - BATCH_FOOTER_BYTES;
  writeU32LE(copy, footer, crc32c(copy, 0, footer));
  return copy;
}

function sortedBy<T extends { spanId: string }>(spans: T[]): T[] {
  return [...spans].sort((a, b) => a.spanId.localeCompare(b.spanId));
}

describe('a store of version-2 batches', () => {
  const appended = buildBatches();

  it('returns every trace as the batch decoder reads it, from worker and inline readers, one by one and in bulk', async () => {
    for (const readerThreads of [0, 2]) {
      const dir = tempDir('columnar-store');
      const store = await TraceStore.open({ dir, readerThreads });
      await appendAll(store, appended.batches);
      expect(store.stats().appendedSpans).toBe([...appended.want.values()].reduce((n, spans) => n + spans.length, 0));
      for (const traceId of appended.traceIds.slice(0, 12)) {
        expect(await store.getTrace(traceId)).toEqual({ traceId, spans: appended.want.get(traceId) });
      }
      const bulk = await store.getTraces(appended.traceIds);
      expect(bulk).toEqual(appended.traceIds.map((traceId) => ({ traceId, spans: appended.want.get(traceId) })));
      // The same id twice in one call: both get the whole trace, as separate objects.
      const twice = await store.getTraces([appended.traceIds[3]!, appended.traceIds[3]!]);
      expect(twice).toEqual([0, 1].map(() => ({ traceId: appended.traceIds[3], spans: appended.want.get(appended.traceIds[3]!) })));
      expect(twice[0]!.spans[0]).not.toBe(twice[1]!.spans[0]);
      const some = appended.want.get(appended.traceIds[7]!)![4]!;
      expect(await store.getSpan(some.traceId, some.spanId)).toEqual(some);
      expect(await store.getTrace('ab'.repeat(16))).toBeNull();
      await store.close();
    }
  });

  it('filters rows by time bounds and keeps the prefix that fits traceBytesMax, counting each row as its share of the batch', async () => {
    const dir = tempDir('columnar-bounds');
    const store = await TraceStore.open({ dir, readerThreads: 0 });
    await appendAll(store, appended.batches.slice(0, 2));
    const traceId = appended.traceIds[1]!;
    const all = appended.want.get(traceId)!;
    const [from, to] = [all[2]!.startTimeUnixNano, all[5]!.startTimeUnixNano];
    const bounded = await store.getTrace(traceId, { startTimeUnixNano: from, endTimeUnixNano: to });
    expect(bounded!.spans).toEqual(all.filter((span) => span.startTimeUnixNano >= from && span.startTimeUnixNano <= to));
    expect(bounded!.spans.length).toBeGreaterThan(0);
    expect(bounded!.spans.length).toBeLessThan(all.length);
    await store.close();

    // Batch 0 is version 2: each of its rows counts ceil(batch length / span count) bytes.
    const share = Math.ceil(appended.batches[0]!.length / openColumnarBatch(appended.batches[0]!).spanCount);
    const limited = await TraceStore.open({ dir, readerThreads: 0, traceBytesMax: share * 4 + 1 });
    expect(await limited.getTrace(traceId)).toEqual({ traceId, spans: all.slice(0, 4), partial: true, partialReason: 'traceBytesMax' });
    await limited.close();
  });

  it('answers raw reads with the appended batch, byte-identical, and each span its row', async () => {
    const dir = tempDir('columnar-raw');
    const store = await TraceStore.open({ dir, readerThreads: 2 });
    await appendAll(store, appended.batches.slice(0, 2));
    const traceId = appended.traceIds[TRACES_PER_BATCH - 1]!; // in batch 0 and (its last three spans) batch 1
    const raw = (await store.getTrace(traceId, { raw: true })) as Trace<RawRowSpan>;
    expect(raw.batches!.map((b) => Buffer.from(b).toString('hex'))).toEqual(appended.batches.slice(0, 2).map((b) => Buffer.from(b).toString('hex')));
    const decoded = appended.want.get(traceId)!;
    expect(raw.spans.map((s) => [s.spanId, s.startTimeUnixNano])).toEqual(decoded.map((s) => [s.spanId, s.startTimeUnixNano]));
    for (const span of raw.spans) {
      const batch = decodeBatch(raw.batches![span.batch]!);
      expect(batch.spans[span.row]!.spanId).toBe(span.spanId);
      expect(span.traceId).toBe(traceId);
    }
    // Bulk: traces that share a record point at copies of the same bytes.
    const [a, b] = (await store.getTraces(appended.traceIds.slice(0, 2), { raw: true })) as Trace<RawRowSpan>[];
    expect(Buffer.from(a!.batches![0]!).equals(Buffer.from(appended.batches[0]!))).toBe(true);
    expect(Buffer.from(b!.batches![0]!).equals(Buffer.from(appended.batches[0]!))).toBe(true);
    await store.close();
  });

  it('stores a batch whose columns are random bytes, returns it byte-identical raw, and fails a decoding read with ERR_SPAN_CORRUPT', async () => {
    const dir = tempDir('columnar-random');
    const store = await TraceStore.open({ dir, readerThreads: 2 });
    const garbled = withRandomColumns(appended.batches[0]!, SEED + 1);
    expect(() => decodeBatch(garbled)).toThrow(expect.objectContaining({ code: 'ERR_SPAN_CORRUPT' }));
    await expect(store.append(garbled)).resolves.toMatchObject({ spans: openColumnarBatch(garbled).spanCount });
    await store.append(appended.batches[1]!);
    const traceId = appended.traceIds[0]!;
    const raw = (await store.getTrace(traceId, { raw: true })) as Trace<RawRowSpan>;
    expect(Buffer.from(raw.batches![0]!).equals(Buffer.from(garbled))).toBe(true);
    expect(raw.spans.map((s) => s.spanId)).toEqual(appended.want.get(traceId)!.map((s) => s.spanId));
    await expect(store.getTrace(traceId)).rejects.toMatchObject({ code: 'ERR_SPAN_CORRUPT' });
    await expect(store.getTraces([appended.traceIds[6]!, traceId])).rejects.toMatchObject({ code: 'ERR_SPAN_CORRUPT' });
    // A trace only in the good batch still reads.
    const other = appended.traceIds[6]!;
    expect(await store.getTrace(other)).toEqual({ traceId: other, spans: appended.want.get(other) });
    await store.close();
  });

  it('reads the same after reopen, from reindexed records and from sealed chunks, and verify --deep and dump agree', async () => {
    for (const indexFlushEntries of [1_000_000, 16]) {
      const live = tempDir('columnar-reopen');
      const first = await TraceStore.open({ dir: live, readerThreads: 0, indexFlushEntries, segmentBytesMax: 16 * 1024 });
      await appendAll(first, appended.batches);
      // A copy taken while the store is open, as a crash leaves it: records past the last sealed chunk are reindexed from the segments.
      const dir = crashCopy(live, 'columnar-crashed');
      await first.close();
      const again = await TraceStore.open({ dir, readerThreads: 0 });
      const { reindexedRecords } = again.stats().recovery;
      expect(reindexedRecords).toBeGreaterThan(0);
      if (indexFlushEntries === 1_000_000) expect(reindexedRecords).toBe(BATCHES);
      expect(await again.getTraces(appended.traceIds)).toEqual(appended.traceIds.map((traceId) => ({ traceId, spans: appended.want.get(traceId) })));
      await again.close();
      const report = await verifyStore({ dir, deep: true });
      expect(report.problems).toEqual([]);
      const dumped: Span[] = [];
      await dumpSpans(dir, (spans) => void dumped.push(...spans));
      expect(sortedBy(dumped)).toEqual(sortedBy([...appended.want.values()].flat()));
      const oneTrace: Span[] = [];
      const traceId = appended.traceIds[3]!;
      await dumpSpans(dir, (spans) => void oneTrace.push(...spans), { filter: { traceId } });
      expect(oneTrace).toEqual(appended.want.get(traceId));
      const chunks = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((name) => name.endsWith('.tki'));
      // A tail of 16 entries seals several chunks; the default one seals none before close.
      if (indexFlushEntries === 16) expect(chunks.length).toBeGreaterThan(1);
    }
  });
});
