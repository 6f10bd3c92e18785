// Proves TraceKvSpanProcessor's bounds and lifecycle: spans past queueSpansMax are dropped and counted, invalid spans are counted and never thrown, batches are cut at batchSpansMax, an open batch ships after lingerMs, and shutdown flushes everything and ignores later spans.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trace } from '@opentelemetry/api';
import type { Daemon } from '../../src/daemon/server.js';
import { TraceKvSpanProcessor } from '../../src/otel/index.js';
import { daemonWith } from '../helpers/daemon.js';
import { removeTempDirs } from '../helpers/store-dir.js';
import { providerWith } from './sdk-spans.js';

let daemon: Daemon;

beforeAll(async () => {
  daemon = await daemonWith('otel-queue');
});

afterAll(async () => {
  await daemon.close();
  removeTempDirs();
});

/** Ends `count` root spans named `prefix i`; returns their trace ids. */
function endSpans(processor: TraceKvSpanProcessor, prefix: string, count: number): string[] {
  const { provider } = providerWith([processor]);
  const tracer = provider.getTracer('queue-test');
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const span = tracer.startSpan(`${prefix} ${i}`);
    ids.push(span.spanContext().traceId);
    span.end();
  }
  return ids;
}

async function storedCount(traceIds: string[]): Promise<number> {
  const traces = await daemon.store.getTraces(traceIds);
  return traces.reduce((sum, found) => sum + (found?.spans.length ?? 0), 0);
}

describe('TraceKvSpanProcessor bounds', () => {
  it('drops and counts spans past queueSpansMax, and ships the rest on shutdown', async () => {
    const processor = new TraceKvSpanProcessor({ port: daemon.port, queueSpansMax: 10, lingerMs: 60_000 });
    const ids = endSpans(processor, 'overflow', 15);
    expect(processor.stats).toMatchObject({ queueFullSpans: 5, exportedSpans: 0 });
    await processor.shutdown();
    expect(processor.stats).toMatchObject({ queueFullSpans: 5, exportedSpans: 10, exportedBatches: 1, failedSpans: 0 });
    expect(await storedCount(ids)).toBe(10);
  });

  it('cuts batches at batchSpansMax', async () => {
    const processor = new TraceKvSpanProcessor({ port: daemon.port, batchSpansMax: 2, lingerMs: 60_000 });
    const ids = endSpans(processor, 'cut', 5);
    await processor.forceFlush();
    expect(processor.stats).toMatchObject({ exportedSpans: 5, exportedBatches: 3 });
    expect(await storedCount(ids)).toBe(5);
    await processor.shutdown();
  });

  it('counts spans the format cannot hold instead of throwing from span.end()', async () => {
    const processor = new TraceKvSpanProcessor({ port: daemon.port });
    const { provider } = providerWith([processor]);
    const tracer = provider.getTracer('invalid-test');
    const bad = tracer.startSpan('lone \ud800 surrogate');
    expect(() => bad.end()).not.toThrow();
    const good = tracer.startSpan('good');
    good.end();
    await processor.forceFlush();
    expect(processor.stats).toMatchObject({ invalidSpans: 1, exportedSpans: 1 });
    expect(await storedCount([bad.spanContext().traceId, good.spanContext().traceId])).toBe(1);
    await processor.shutdown();
  });

  it('ships an open batch after lingerMs without a flush', async () => {
    const processor = new TraceKvSpanProcessor({ port: daemon.port, lingerMs: 20 });
    const ids = endSpans(processor, 'linger', 3);
    // No flush: only the linger timer can ship these. The test's own timeout bounds the wait.
    while (processor.stats.exportedSpans < 3) await sleep(10);
    expect(await storedCount(ids)).toBe(3);
    await processor.shutdown();
  });

  it('ignores spans that end after shutdown, and skips unsampled spans', async () => {
    const processor = new TraceKvSpanProcessor({ port: daemon.port });
    const { provider } = providerWith([processor]);
    const tracer = provider.getTracer('late-test');
    const unsampled = trace.wrapSpanContext({ traceId: '5'.repeat(32), spanId: '6'.repeat(16), traceFlags: 0 });
    processor.onEnd(Object.assign(Object.create(null) as object, { spanContext: () => unsampled.spanContext() }) as never);
    await processor.shutdown();
    tracer.startSpan('late').end();
    await processor.forceFlush();
    expect(processor.stats).toMatchObject({ exportedSpans: 0, invalidSpans: 0, queueFullSpans: 0 });
  });
});
