// Proves `tracekv load` stores what it reports: tracegen traces of 10 spans (a server root with 9 client children, resource = the trace's service) into a directory or through a daemon, and Zipkin replays with fresh ids, intact trees, shifted times and the fixtures' span counts.
import { afterAll, describe, expect, it } from 'vitest';
import { TraceStore, type Span } from '../../src/index.js';
import { dumpSpans } from '../../src/maintenance/dump.js';
import { startDaemon } from '../../src/daemon/server.js';
import { loadZipkinFixtures } from '../../src/workload/zipkin.js';
import { runCli } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';

afterAll(removeTempDirs);

const NANOS_PER_MS = 1_000_000n;

async function storedSpans(dir: string): Promise<Map<string, Span[]>> {
  const byTrace = new Map<string, Span[]>();
  await dumpSpans(dir, (spans) => {
    for (const span of spans) {
      const trace = byTrace.get(span.traceId);
      if (trace === undefined) byTrace.set(span.traceId, [span]);
      else trace.push(span);
    }
  });
  return byTrace;
}

function expectTracegenShape(spans: Span[]): void {
  expect(spans).toHaveLength(10);
  const roots = spans.filter((span) => span.parentSpanId === undefined);
  expect(roots).toHaveLength(1);
  expect(roots[0]!.kind).toBe(2);
  const service = roots[0]!.resource.attributes['service.name'];
  expect(service).toMatch(/^tracegen-\d$/);
  for (const child of spans.filter((span) => span !== roots[0])) {
    expect(child.parentSpanId).toBe(roots[0]!.spanId);
    expect(child.kind).toBe(3);
    expect(Object.keys(child.attributes)).toHaveLength(11);
    expect(child.resource.attributes['service.name']).toBe(service);
  }
}

describe('tracekv load', () => {
  it('followed by info shows the expected counts', async () => {
    const dir = tempDir('load-info');
    const load = await runCli(['load', '--dir', dir, '--traces', '300', '--batch-traces', '50', '--seed', '11']);
    expect(load.code).toBe(0);
    const info = await runCli(['info', dir, '--json']);
    expect(info.code).toBe(0);
    const summary = JSON.parse(info.stdout) as { spans: number; records: number; segments: number };
    expect(summary.spans).toBe(3000);
    // One batch per service per 50 traces: 10 services, so every record holds 50 traces of one service or fewer.
    expect(summary.records).toBeGreaterThanOrEqual(6);
    expect(summary.segments).toBeGreaterThanOrEqual(1);
    const text = await runCli(['info', dir]);
    expect(text.stdout).toMatch(/^spans: +3000$/m);
  });

  it('writes N tracegen traces of 10 spans into --dir, batched per service, and reports the counts', async () => {
    const dir = tempDir('cli-load');
    const startedAt = BigInt(Date.now()) * NANOS_PER_MS;
    const result = await runCli(['load', '--dir', dir, '--traces', '200', '--batch-traces', '20', '--seed', '11', '--json']);
    const finishedAt = BigInt(Date.now()) * NANOS_PER_MS;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    // 200 traces over 10 services is 20 per service: one batch of 20 traces each.
    expect(summary).toMatchObject({ spans: 2000, traces: 200, batches: 10, workload: 'tracegen', seed: 11 });
    expect(summary.seconds).toBeGreaterThan(0);
    expect(summary.spansPerSecond).toBeGreaterThan(0);

    const store = await TraceStore.open({ dir, readOnly: true, readerThreads: 0 });
    try {
      // Each trace lies in one record, so it has exactly one index entry.
      const stats = store.stats();
      expect(stats.indexSealedEntries + stats.indexTailEntries).toBe(200);
      const byTrace = await storedSpans(dir);
      expect(byTrace.size).toBe(200);
      expect([...byTrace.values()].reduce((n, spans) => n + spans.length, 0)).toBe(2000);
      for (const traceId of [...byTrace.keys()].filter((_, i) => i % 40 === 0)) {
        const trace = await store.getTrace(traceId);
        expectTracegenShape(trace!.spans);
        for (const span of trace!.spans) {
          expect(span.startTimeUnixNano).toBeGreaterThanOrEqual(startedAt);
          expect(span.startTimeUnixNano).toBeLessThanOrEqual(finishedAt);
        }
      }
    } finally {
      await store.close();
    }
  });

  it('prints the summary as key: value lines', async () => {
    const result = await runCli(['load', '--dir', tempDir('cli-load-text'), '--traces', '15', '--batch-traces', '1']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^spans: +150\ntraces: +15\nbatches: +15\nseconds: +\d+\.\d{3}\nspans\/s: +\d+\nworkload: +tracegen\nseed: +\d+\n$/);
  });

  it('replays the Zipkin fixtures in order with fresh ids, the same trees, and times moved to now', async () => {
    const dir = tempDir('cli-load-zipkin');
    const traces = 12;
    const startedAt = BigInt(Date.now()) * NANOS_PER_MS;
    const result = await runCli(['load', '--dir', dir, '--workload', 'zipkin', '--traces', String(traces), '--batch-traces', '2', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const fixtures = loadZipkinFixtures().map(({ spansByService }) => [...spansByService.values()].flat());
    const expectedCounts = Array.from({ length: traces }, (_, i) => fixtures[i % fixtures.length]!.length);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ traces, spans: expectedCounts.reduce((a, b) => a + b, 0), workload: 'zipkin' });

    const byTrace = await storedSpans(dir);
    expect(byTrace.size).toBe(traces);
    const fixtureTraceIds = new Set(fixtures.map((spans) => String(spans[0]!.traceId)));
    const fixtureSpanIds = new Set(fixtures.flat().map((span) => String(span.spanId)));
    expect([...byTrace.values()].map((spans) => spans.length).sort()).toEqual(expectedCounts.sort());
    for (const [traceId, spans] of byTrace) {
      expect(fixtureTraceIds.has(traceId)).toBe(false);
      expect(spans.some((span) => fixtureSpanIds.has(span.spanId))).toBe(false);
      // Same tree: as many spans have their parent inside the trace as in the fixture.
      const fixture = fixtures.find((f) => f.length === spans.length)!;
      const inTrace = (ids: Set<string>, parent: unknown) => parent !== undefined && ids.has(String(parent));
      const fixtureIds = new Set(fixture.map((span) => String(span.spanId)));
      const ids = new Set(spans.map((span) => span.spanId));
      expect(spans.filter((span) => inTrace(ids, span.parentSpanId)).length).toBe(fixture.filter((span) => inTrace(fixtureIds, span.parentSpanId)).length);
      const firstStart = spans.reduce((min, span) => (span.startTimeUnixNano < min ? span.startTimeUnixNano : min), spans[0]!.startTimeUnixNano);
      expect(firstStart).toBeGreaterThanOrEqual(startedAt);
      expect(firstStart).toBeLessThanOrEqual(BigInt(Date.now()) * NANOS_PER_MS);
      for (const span of spans) expect(span.resource.attributes['service.name']).toEqual(expect.any(String));
    }
  });

  it('writes through --connect to a daemon, and refuses a missing or doubled target', async () => {
    const dir = tempDir('cli-load-daemon');
    const daemon = await startDaemon({ dir, port: 0, logger: () => {} });
    try {
      const result = await runCli(['load', '--connect', `127.0.0.1:${daemon.port}`, '--traces', '30', '--batch-traces', '3', '--json']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ spans: 300, traces: 30, batches: 10 });
      expect(daemon.store.stats().appendedSpans).toBe(300);
    } finally {
      await daemon.close();
    }
    const [neither, both, fixturesWithTracegen] = await Promise.all([
      runCli(['load', '--traces', '1']),
      runCli(['load', '--dir', dir, '--connect', '127.0.0.1:1']),
      runCli(['load', '--dir', dir, '--fixtures', dir]),
    ]);
    for (const usage of [neither, both]) {
      expect(usage.code).toBe(1);
      expect(usage.stderr).toContain('exactly one of --dir');
    }
    expect(fixturesWithTracegen.code).toBe(1);
    expect(fixturesWithTracegen.stderr).toContain('--fixtures needs --workload zipkin');
  });
});
