// Proves the readers' OTLP protobuf (getTracesOtlp, getTracesOtlpStream: Span fields written in the workers, put together on the main thread) is byte for byte what writeTracesData writes for the decoded read of the same ids, over version-1 and version-2 records of several services, traces split across records of both versions, misses, repeated ids, time bounds, traceBytesMax prefixes, and the decoded read's limits and errors.
import { afterAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore } from '../../src/index.js';
import type { OtlpTrace, TraceQuery } from '../../src/api/index.js';
import type { SpanInput } from '../../src/batch/types.js';
import { ColumnarBatchEncoder } from '../../src/batch/columnar-encoder.js';
import { openColumnarBatch } from '../../src/batch/columnar-view.js';
import { BATCH_FOOTER_BYTES } from '../../src/constants.js';
import { crc32c } from '../../src/codec/crc32c.js';
import { writeU32LE } from '../../src/codec/little-endian.js';
import { makeRng } from '../../src/workload/rng.js';
import { otlpTraceOf } from '../helpers/otlp-reads.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';
import { tracegenTrace } from '../helpers/tracegen.js';

afterAll(removeTempDirs);

const SEED = 0x0715;
const START_UNIX_NANO = 1_700_000_000_000_000_000n;
const ROUNDS = 8;
const TRACES_PER_ROUND = 6;
const MISSING_TRACE_ID = 'f'.repeat(32);

/**
 * Per round, one batch per service (a batch has one resource), every third round version 1; the
 * last trace of a round leaves its last spans to the next round, so a trace spans records of both
 * versions and of several services.
 */
function buildBatches(): { batches: Uint8Array[]; traceIds: string[] } {
  const rng = makeRng(SEED);
  const batches: Uint8Array[] = [];
  const traceIds: string[] = [];
  let carried: SpanInput[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const spans: SpanInput[] = [...carried];
    carried = [];
    for (let t = 0; t < TRACES_PER_ROUND; t++) {
      const n = round * TRACES_PER_ROUND + t;
      const trace = tracegenTrace(rng, n, START_UNIX_NANO + BigInt(n) * 1_000_000n).spans;
      traceIds.push(trace[0]!.traceId as string);
      if (t === TRACES_PER_ROUND - 1) carried = trace.splice(trace.length - 4);
      spans.push(...trace);
    }
    for (let service = 0; service < 3; service++) {
      const resource = { attributes: { 'service.name': `svc-${service}`, 'host.name': `h${round}` }, schemaUrl: service === 1 ? 'https://opentelemetry.io/schemas/1.21.0' : undefined };
      const scope = { name: 'tracegen', version: service === 2 ? '' : '1.0', schemaUrl: service === 0 ? 'https://example.com/scope' : undefined };
      const encoder = round % 3 === 2 ? new BatchEncoder({ resource, scope }) : new ColumnarBatchEncoder({ resource, scope });
      // A span goes to the service its name hashes to: each trace spans several services' batches.
      for (const span of spans) if ((span.name.length + Number.parseInt(String(span.spanId).slice(0, 2), 16)) % 3 === service) encoder.add(span);
      if (encoder.spanCount > 0) batches.push(encoder.finish());
    }
  }
  return { batches, traceIds };
}

const { batches, traceIds } = buildBatches();

async function openWith(options: Partial<Parameters<typeof TraceStore.open>[0]>): Promise<TraceStore> {
  const store = await TraceStore.open({ dir: tempDir('otlp-reads'), ...options });
  for (const batch of batches) await store.append(batch);
  return store;
}

/** getTracesOtlpStream's traces, in order. */
async function streamAll(store: TraceStore, ids: (string | TraceQuery)[], options?: { startTimeUnixNano?: bigint; endTimeUnixNano?: bigint }): Promise<(OtlpTrace | null)[]> {
  const traces: (OtlpTrace | null)[] = [];
  for await (const { trace } of store.getTracesOtlpStream(ids, options)) traces.push(trace);
  return traces;
}

/** What the decoded read of the same ids gives, written by writeTracesData. */
async function expected(store: TraceStore, ids: (string | TraceQuery)[], options?: { startTimeUnixNano?: bigint; endTimeUnixNano?: bigint }): Promise<(OtlpTrace | null)[]> {
  return (await store.getTraces(ids, options)).map(otlpTraceOf);
}

describe.each([0, 2])('OTLP reads with readerThreads %i', (readerThreads) => {
  it('are writeTracesData of the decoded read, byte for byte, for every trace, a miss and a repeated id, bulk and streamed', async () => {
    const store = await openWith({ readerThreads });
    try {
      const ids = [...traceIds, MISSING_TRACE_ID, traceIds[5]!];
      const want = await expected(store, ids);
      expect(want.filter((trace) => trace !== null).length).toBe(traceIds.length + 1); // all but the miss
      for (const [i, traceId] of ids.entries()) expect(await store.getTraceOtlp(traceId)).toEqual(want[i]);
      const streamed = [];
      for await (const item of store.getTracesOtlpStream(ids)) streamed.push(item);
      expect(streamed).toEqual(want.map((trace, index) => ({ index, trace })));
      // Several ResourceSpans where a trace spans several records.
      expect(want.some((trace) => countResourceSpans(trace!.tracesData) > 2)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('give each of many calls in flight at once its own trace', async () => {
    const store = await openWith({ readerThreads });
    try {
      const want = await expected(store, traceIds);
      // Inline (readerThreads 0), the calls' tasks interleave on one thread at every await; the
      // starts are staggered by a few microtask turns, so calls begin while others are midway.
      const calls = traceIds.map(async (traceId, i) => {
        for (let turn = 0; turn < i % 7; turn++) await Promise.resolve();
        return store.getTraceOtlp(traceId);
      });
      expect(await Promise.all(calls)).toEqual(want);
    } finally {
      await store.close();
    }
  });

  it('apply the same time bounds, per id and per call', async () => {
    const store = await openWith({ readerThreads });
    try {
      const first = START_UNIX_NANO + 2_000_000n;
      const ids: (string | TraceQuery)[] = [{ traceId: traceIds[2]!, startTimeUnixNano: first, endTimeUnixNano: first + 3_000n }, traceIds[3]!, traceIds[20]!];
      const options = { startTimeUnixNano: START_UNIX_NANO + 3_000_000n + 4_000n };
      const want = await expected(store, ids, options);
      expect(want[0]).not.toBeNull();
      expect(await streamAll(store, ids, options)).toEqual(want);
    } finally {
      await store.close();
    }
  });

  it('keep the same traceBytesMax prefix, flagged partial, and reject it whole when asked', async () => {
    const truncating = await openWith({ readerThreads, traceBytesMax: 900 });
    try {
      const want = await expected(truncating, traceIds);
      expect(want.some((trace) => trace?.partial === true)).toBe(true);
      expect(await streamAll(truncating, traceIds)).toEqual(want);
    } finally {
      await truncating.close();
    }
    const rejecting = await openWith({ readerThreads, traceBytesMax: 900, traceTooLarge: 'reject' });
    try {
      await expect(rejecting.getTraceOtlp(traceIds[0]!)).rejects.toMatchObject({ code: 'ERR_TRACE_TOO_LARGE' });
    } finally {
      await rejecting.close();
    }
  });
});

describe('OTLP reads, limits and errors', () => {
  it('count requestBytesMax as the decoded read does, and refuse raw', async () => {
    const store = await openWith({ requestBytesMax: 6_000 });
    try {
      const outcomes: string[] = [];
      for (let n = 1; n <= 12; n++) {
        const ids = traceIds.slice(0, n);
        const decoded = await store.getTraces(ids).then(
          () => 'ok',
          (error: { code: string }) => error.code,
        );
        const otlp = await streamAll(store, ids).then(
          () => 'ok',
          (error: { code: string }) => error.code,
        );
        expect([n, otlp]).toEqual([n, decoded]);
        outcomes.push(decoded);
      }
      // The limit falls inside the range: some calls fit it, the larger ones do not.
      expect(outcomes[0]).toBe('ok');
      expect(outcomes[outcomes.length - 1]).toBe('ERR_REQUEST_TOO_LARGE');
      await expect(store.getTraceOtlp(traceIds[0]!, { raw: true })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    } finally {
      await store.close();
    }
  });

  it('fail with ERR_SPAN_CORRUPT on a stored batch whose columns are random bytes', async () => {
    const store = await TraceStore.open({ dir: tempDir('otlp-corrupt'), readerThreads: 2 });
    try {
      const good = batches.find(isColumnar)!;
      const garbled = new Uint8Array(good);
      const view = openColumnarBatch(garbled);
      garbled.set(makeRng(SEED + 1).bytes(view.searchStart - view.columnsStart), view.columnsStart);
      const footer = garbled.length - BATCH_FOOTER_BYTES;
      writeU32LE(garbled, footer, crc32c(garbled, 0, footer));
      await store.append(garbled);
      const traceId = Buffer.from(view.runTraceId(0)).toString('hex');
      await expect(store.getTraceOtlp(traceId)).rejects.toMatchObject({ code: 'ERR_SPAN_CORRUPT' });
    } finally {
      await store.close();
    }
  });
});

function isColumnar(batch: Uint8Array): boolean {
  try {
    openColumnarBatch(batch);
    return true;
  } catch {
    return false;
  }
}

/** TracesData.resource_spans fields (tag 0x0a) at the top level of `tracesData`. */
function countResourceSpans(tracesData: Buffer): number {
  let count = 0;
  for (let at = 0; at < tracesData.length; ) {
    expect(tracesData[at]).toBe(0x0a);
    at++;
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = tracesData[at++]!;
      length += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    at += length;
    count++;
  }
  return count;
}
