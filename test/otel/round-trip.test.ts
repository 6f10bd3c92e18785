// Proves spans from a real OpenTelemetry SDK, sent through TraceKvSpanProcessor and TraceKvSpanExporter to a daemon, read back through getTrace with identical ids, names, exact times, attributes, events, links, status, resource and scope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon/server.js';
import { BatchSpanProcessor, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { TraceKvSpanExporter, TraceKvSpanProcessor } from '../../src/otel/index.js';
import type { Span } from '../../src/batch/types.js';
import { TraceClient } from '../../src/index.js';
import { daemonWith } from '../helpers/daemon.js';
import { expectedResource, expectedScope, expectedSpan } from '../helpers/expected.js';
import { removeTempDirs } from '../helpers/store-dir.js';
import { resourceInputOf, scopeInputOf, spanInputOf } from './otlp-mapping.js';
import { REMOTE_PARENT, emitTrace, providerWith, type ReadableSpan } from './sdk-spans.js';

let daemon: Daemon;

beforeAll(async () => {
  daemon = await daemonWith('otel-round-trip');
});

afterAll(async () => {
  await daemon.close();
  removeTempDirs();
});

function expectedOf(span: ReadableSpan): Span {
  return expectedSpan(spanInputOf(span), expectedResource(resourceInputOf(span)), expectedScope(scopeInputOf(span)));
}

/** The root span tagged `seq` and its four children, read back from the store, each equal its OTLP meaning. */
async function expectStored(captured: ReadableSpan[], seq: number): Promise<void> {
  const roots = captured.filter((span) => span.attributes.seq === seq);
  expect(roots).toHaveLength(1);
  const rootId = roots[0]!.spanContext().spanId;
  const wanted = [roots[0]!, ...captured.filter((span) => span.parentSpanContext?.spanId === rootId)];
  expect(wanted).toHaveLength(5);
  const stored = await daemon.store.getTrace(REMOTE_PARENT.traceId);
  expect(stored).not.toBeNull();
  const byId = new Map(stored!.spans.map((span) => [span.spanId, span]));
  for (const span of wanted) {
    const got = byId.get(span.spanContext().spanId);
    expect(got, span.name).toBeDefined();
    expect(got).toEqual(expectedOf(span));
  }
}

describe('TraceKvSpanProcessor', () => {
  it('stores every field of SDK spans, read back exactly', async () => {
    const processor = new TraceKvSpanProcessor({ port: daemon.port });
    const { provider, captured } = providerWith([processor]);
    emitTrace(provider, 101);
    await provider.forceFlush();
    await expectStored(captured.getFinishedSpans(), 101);
    expect(processor.stats).toMatchObject({ exportedSpans: 5, invalidSpans: 0, queueFullSpans: 0, failedSpans: 0 });
    // The root span, checked field by field rather than only against the mapping.
    const root = (await daemon.store.getTrace(REMOTE_PARENT.traceId))!.spans.find((span) => span.attributes.seq === 101n)!;
    expect(root).toMatchObject({
      name: 'POST /cart',
      kind: 2,
      parentSpanId: REMOTE_PARENT.spanId,
      startTimeUnixNano: 1_700_000_000_123_456_789n,
      endTimeUnixNano: 1_700_000_005_123_456_789n,
      status: { code: 2, message: 'cart failed' },
      traceState: 'vendor=abc,other=x1',
      flags: 0x301,
      resource: { attributes: { 'service.name': 'checkout', 'host.cores': 8n, 'deployment.weight': 0.25 }, schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' },
      scope: { name: 'shop.cart', version: '2.1.0', schemaUrl: 'https://example.com/scope-schema' },
    });
    expect(root.attributes).toMatchObject({ 'http.status_code': 500n, 'big.int': 9_007_199_254_740_994n, ratio: 0.75, ints: [1n, -2n, 3_000_000_000n], doubles: [0.5, -1.25], sparse: [1n, 3n] });
    expect(root.events.map((event) => event.timeUnixNano)).toEqual([1_700_000_000_123_458_289n, 1_699_999_999_000_000_000n]);
    expect(root.links.map((link) => [link.spanId, link.traceState, link.flags])).toEqual([
      ['00f067aa0ba902b7', 'k=v', 0x100],
      ['00f067aa0ba902b8', 'k=v', 0x301],
    ]);
    await provider.shutdown();
  });
});

describe('TraceKvSpanExporter', () => {
  it('stores every field through BatchSpanProcessor and SimpleSpanProcessor, with an existing client', async () => {
    const client = await TraceClient.connect({ port: daemon.port });
    const batched = new TraceKvSpanExporter({ client });
    const simple = new TraceKvSpanExporter({ port: daemon.port });
    const { provider, captured } = providerWith([new BatchSpanProcessor(batched), new SimpleSpanProcessor(simple)]);
    emitTrace(provider, 202);
    await provider.forceFlush();
    await simple.forceFlush();
    await expectStored(captured.getFinishedSpans(), 202);
    expect(batched.stats).toMatchObject({ exportedSpans: 5, exportedBatches: 1, invalidSpans: 0, failedSpans: 0 });
    expect(simple.stats).toMatchObject({ exportedSpans: 5, exportedBatches: 5, invalidSpans: 0, failedSpans: 0 });
    // Both exporters stored each span: the trace holds every copy.
    const stored = await daemon.store.getTrace(REMOTE_PARENT.traceId);
    expect(stored!.spans.filter((span) => span.attributes.seq === 202n)).toHaveLength(2);
    await provider.shutdown();
    // The caller's client stays open after shutdown.
    await client.ping();
    await client.close();
  });

  it('reports FAILED with the error when the daemon cannot be reached, and SUCCESS for an empty export', async () => {
    const { provider, captured } = providerWith([]);
    emitTrace(provider, 303);
    const unreachable = new TraceKvSpanExporter({ port: 1, connectTimeoutMs: 2_000 });
    const result = await new Promise<{ code: number; error?: Error }>((resolve) => unreachable.export(captured.getFinishedSpans(), resolve));
    expect(result.code).toBe(1);
    expect(result.error).toBeInstanceOf(Error);
    expect(unreachable.stats).toMatchObject({ failedSpans: 5, failedBatches: 1, exportedSpans: 0 });
    const empty = await new Promise<{ code: number }>((resolve) => unreachable.export([], resolve));
    expect(empty.code).toBe(0);
    await unreachable.shutdown();
    const late = await new Promise<{ code: number }>((resolve) => unreachable.export(captured.getFinishedSpans(), resolve));
    expect(late.code).toBe(1);
  });
});
