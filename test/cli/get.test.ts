// Proves `tracekv get` prints exactly what was appended (ids, names, times, attributes, events, resource, scope) as JSON, ndjson and a parent/child tree, from a directory and through a daemon, and fails clearly on a miss or a bad invocation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore, type Span, type SpanInput } from '../../src/index.js';
import { formatTime } from '../../src/cli/output.js';
import { formatDuration, formatTraceTree } from '../../src/cli/trace-format.js';
import { startDaemon } from '../../src/daemon/server.js';
import { runCli } from '../helpers/cli.js';
import { decodedSpan } from '../helpers/decoded-span.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';

const TRACE = '5b8efff798038103d269b633813fc60c';
const OTHER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const T0 = 1_700_000_000_000_000_000n;
const MS = 1_000_000n;

function span(spanId: string, name: string, parentSpanId: string | undefined, startMs: bigint, durationMs: bigint, extra: Partial<SpanInput> = {}): SpanInput {
  const start = T0 + startMs * MS;
  return { traceId: TRACE, spanId, ...(parentSpanId !== undefined && { parentSpanId }), name, kind: 3, startTimeUnixNano: start, endTimeUnixNano: start + durationMs * MS, ...extra };
}

const ROOT = span('eee19b7ec3c1b174', 'GET /cart', undefined, 0n, 12n, {
  kind: 2,
  endTimeUnixNano: T0 + 12_300_000n,
  attributes: { 'http.route': '/cart', 'http.status_code': 200, retries: 3n, blob: new Uint8Array([1, 2, 255]), cached: false },
  events: [{ timeUnixNano: T0 + 1_000_001n, name: 'cache-miss', attributes: { key: 'cart:42' } }],
  status: { code: 1 },
});
// Children are appended out of start order: the tree must sort siblings by start time.
const CHARGE = span('00f067aa0ba902b7', 'charge', ROOT.spanId as string, 5n, 3n);
const LOAD = span('1111111111111111', 'load cart', ROOT.spanId as string, 1n, 2n);
const SELECT = span('2222222222222222', 'SELECT cart', LOAD.spanId as string, 1n, 1n, { kind: 1, status: { code: 2, message: 'timeout' } });
const POST = span('3333333333333333', 'POST /charge', CHARGE.spanId as string, 6n, 1n, { kind: 2 });
const ORPHAN = span('4444444444444444', 'late callback', 'deadbeefdeadbeef', 20n, 1n);
const CHECKOUT_SPANS = [ROOT, CHARGE, LOAD, SELECT];
const PAYMENTS_SPANS = [POST, ORPHAN];
const SERVICE_OF = new Map<string, string>([
  ...CHECKOUT_SPANS.map((s) => [s.spanId as string, 'checkout'] as [string, string]),
  ...PAYMENTS_SPANS.map((s) => [s.spanId as string, 'payments'] as [string, string]),
]);

let dir: string;

beforeAll(async () => {
  dir = tempDir('cli-get');
  const store = await TraceStore.open({ dir, readerThreads: 0 });
  const checkout = new BatchEncoder({ resource: { attributes: { 'service.name': 'checkout' } }, scope: { name: 'test-scope', version: '1.2.3' } });
  for (const s of CHECKOUT_SPANS) checkout.add(s);
  checkout.add({ ...LOAD, traceId: OTHER_TRACE, name: 'another trace' });
  await store.append(checkout.finish());
  const payments = new BatchEncoder({ resource: { attributes: { 'service.name': 'payments' } } });
  for (const s of PAYMENTS_SPANS) payments.add(s);
  await store.append(payments.finish());
  await store.close();
});

afterAll(removeTempDirs);

type JsonSpan = Record<string, any>;

function expectSpanMatches(printed: JsonSpan, input: SpanInput): void {
  expect(printed.traceId).toBe(TRACE);
  expect(printed.spanId).toBe(input.spanId);
  expect(printed.parentSpanId).toBe(input.parentSpanId);
  expect(printed.name).toBe(input.name);
  expect(printed.kind).toBe(input.kind);
  expect(printed.startTimeUnixNano).toBe(input.startTimeUnixNano.toString());
  expect(printed.startTime).toBe(formatTime(input.startTimeUnixNano));
  expect(printed.endTimeUnixNano).toBe(input.endTimeUnixNano.toString());
  expect(printed.endTime).toBe(formatTime(input.endTimeUnixNano));
  expect(printed.resource.attributes['service.name']).toBe(SERVICE_OF.get(input.spanId as string));
  expect(printed.status.code).toBe(input.status?.code ?? 0);
}

describe('tracekv get', () => {
  it('prints the trace as pretty JSON with both time forms, attributes, events, resource and scope', async () => {
    const result = await runCli(['get', TRACE, '--dir', dir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('\n  "spans": [\n'); // pretty-printed
    const trace = JSON.parse(result.stdout);
    expect(trace.traceId).toBe(TRACE);
    expect(trace.spanCount).toBe(6);
    const bySpanId = new Map<string, JsonSpan>(trace.spans.map((s: JsonSpan) => [s.spanId, s]));
    for (const input of [...CHECKOUT_SPANS, ...PAYMENTS_SPANS]) expectSpanMatches(bySpanId.get(input.spanId as string)!, input);
    const root = bySpanId.get(ROOT.spanId as string)!;
    expect(root.startTime).toBe('2023-11-14T22:13:20.000000000Z');
    expect(root.endTime).toBe('2023-11-14T22:13:20.012300000Z');
    expect(root.attributes).toEqual({ 'http.route': '/cart', 'http.status_code': 200, retries: '3', blob: '0102ff', cached: false });
    expect(root.events).toEqual([{ timeUnixNano: '1700000000001000001', time: '2023-11-14T22:13:20.001000001Z', name: 'cache-miss', attributes: { key: 'cart:42' }, droppedAttributesCount: 0 }]);
    expect(root.scope).toMatchObject({ name: 'test-scope', version: '1.2.3' });
    expect(bySpanId.get(SELECT.spanId as string)!.status).toEqual({ code: 2, message: 'timeout' });
  });

  it('prints one compact span per line with --format ndjson, the same spans as JSON; --json is an alias', async () => {
    const [ndjson, json, alias] = await Promise.all([
      runCli(['get', TRACE, '--dir', dir, '--format', 'ndjson']),
      runCli(['get', TRACE, '--dir', dir]),
      runCli(['get', TRACE.toUpperCase(), '--dir', dir, '--json']),
    ]);
    expect(ndjson.code).toBe(0);
    const lines = ndjson.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines.map((line) => JSON.parse(line))).toEqual(JSON.parse(json.stdout).spans);
    expect(alias.stdout).toBe(json.stdout);
  });

  it('prints a tree: children under parents by start time, cross-service children, the orphan as a marked root', async () => {
    const result = await runCli(['get', TRACE, '--dir', dir, '--format', 'tree']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const rows = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => /^( *)(.+?)  service=(\S+)  (\S+ \S+)(.*)$/.exec(line)!);
    expect(rows.map((m) => [m[1]!.length / 2, m[2], m[3]])).toEqual([
      [0, 'GET /cart', 'checkout'],
      [1, 'load cart', 'checkout'],
      [2, 'SELECT cart', 'checkout'],
      [1, 'charge', 'checkout'],
      [2, 'POST /charge', 'payments'],
      [0, 'late callback', 'payments'],
    ]);
    expect(rows[0]![4]).toBe('12.3 ms');
    expect(rows[2]![5]).toContain('status=ERROR');
    expect(rows[5]![5]).toContain('parent=deadbeefdeadbeef (not in trace)');
  });

  it('prints the stored bytes with --raw', async () => {
    const result = await runCli(['get', TRACE, '--dir', dir, '--format', 'ndjson', '--raw']);
    expect(result.code).toBe(0);
    const spans = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(spans).toHaveLength(6);
    for (const s of spans) expect(s.bytes).toMatch(/^([0-9a-f]{2})+$/);
  });

  it('says so on stderr and exits 1 for a missing trace and for a bad invocation', async () => {
    const [miss, neither, both, badId] = await Promise.all([
      runCli(['get', 'ffffffffffffffffffffffffffffffff', '--dir', dir]),
      runCli(['get', TRACE]),
      runCli(['get', TRACE, '--dir', dir, '--connect', '127.0.0.1:1']),
      runCli(['get', 'xyz', '--dir', dir]),
    ]);
    expect(miss).toMatchObject({ code: 1, stdout: '' });
    expect(miss.stderr).toContain('trace ffffffffffffffffffffffffffffffff not found');
    for (const usage of [neither, both]) {
      expect(usage.code).toBe(1);
      expect(usage.stderr).toContain('exactly one of --dir');
    }
    expect(badId.code).toBe(1);
    expect(badId.stderr).toContain('want 32 hex characters');
  });

  it('prints the same through --connect as from --dir, with the token from TRACEKV_TOKEN', async () => {
    const fromDir = await runCli(['get', TRACE, '--dir', dir]);
    const daemon = await startDaemon({ dir, port: 0, token: 'get-test-token', logger: () => {} });
    try {
      const address = `127.0.0.1:${daemon.port}`;
      const [remote, tree, besideDaemon, noToken] = await Promise.all([
        runCli(['get', TRACE, '--connect', address], { env: { TRACEKV_TOKEN: 'get-test-token' } }),
        runCli(['get', TRACE, '--connect', address, '--format', 'tree'], { env: { TRACEKV_TOKEN: 'get-test-token' } }),
        runCli(['get', TRACE, '--dir', dir]), // read-only beside the live daemon
        runCli(['get', TRACE, '--connect', address], { env: { TRACEKV_TOKEN: '' } }),
      ]);
      expect(remote.stderr).toBe('');
      expect(remote.code).toBe(0);
      expect(remote.stdout).toBe(fromDir.stdout);
      expect(tree.stdout.split('\n')[0]).toMatch(/^GET \/cart  service=checkout  12\.3 ms/);
      expect(besideDaemon.stdout).toBe(fromDir.stdout);
      expect(noToken.code).toBe(1);
      expect(noToken.stderr).toContain('ERR_AUTH');
      const miss = await runCli(['get', OTHER_TRACE.replace('0a', 'ff'), '--connect', address], { env: { TRACEKV_TOKEN: 'get-test-token' } });
      expect(miss.code).toBe(1);
      expect(miss.stderr).toContain('not found');
    } finally {
      await daemon.close();
    }
  });
});

describe('the tree format', () => {
  function treeSpan(spanId: string, parentSpanId: string | undefined, startNs: bigint, name: string): Span {
    return decodedSpan({
      traceId: TRACE,
      spanId,
      ...(parentSpanId !== undefined && { parentSpanId }),
      name,
      startTimeUnixNano: startNs,
      endTimeUnixNano: startNs + 1500n,
      resource: { attributes: { 'service.name': 'svc' }, droppedAttributesCount: 0 },
    });
  }

  it('nests shared span ids (Zipkin client/server) and prints spans of a parent cycle once each', () => {
    const names = (text: string) => text.trimEnd().split('\n').map((line) => line.replace(/  service=.*$/, ''));
    const shared = [
      treeSpan('00000000000000a1', undefined, 0n, 'root'),
      treeSpan('00000000000000b2', '00000000000000a1', 20n, 'server side'), // same id as the client, starts later
      treeSpan('00000000000000b2', '00000000000000a1', 10n, 'client side'),
      treeSpan('00000000000000c3', '00000000000000b2', 30n, 'handler'),
    ];
    expect(names(formatTraceTree(shared))).toEqual(['root', '  client side', '    server side', '      handler']);
    const cycle = [treeSpan('00000000000000d4', '00000000000000e5', 0n, 'd'), treeSpan('00000000000000e5', '00000000000000d4', 1n, 'e'), treeSpan('00000000000000f6', undefined, 2n, 'f')];
    expect(names(formatTraceTree(cycle))).toEqual(['f', 'd', '  e']);
    expect([999n, 1000n, 12_345n, 12_300_000n, 2_500_000_000n, -1500n].map(formatDuration)).toEqual(['999 ns', '1.00 µs', '12.3 µs', '12.3 ms', '2.50 s', '-1.50 µs']);
  });
});
