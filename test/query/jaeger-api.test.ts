// Proves the Jaeger query API (its own port) answers /api/traces/<id> in the envelope and span shape the Jaeger UI reads, translated from OTLP by OpenTelemetry's Jaeger mapping (typed tags, span.kind, status tags and the error flag, CHILD_OF then FOLLOWS_FROM references, events as logs, one process per resource, microseconds), and /api/v3/traces/<id> in OTLP JSON with 32-hex ids and decimal-string times; that both replies, and their error replies, pass Zod schemas of what the UI validates and reads, for traces with every attribute kind, events, links, status and kind (and that those schemas refuse a wrongly typed field); a miss is 404 in each one's error shape.
import http from 'node:http';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon/server.js';
import { BatchEncoder, TraceClient } from '../../src/index.js';
import { jaegerTraceId } from '../../src/query/index.js';
import { jaegerUiShapes, shapeIssues } from '../helpers/jaeger-ui-shapes.js';
import { removeTempDirs } from '../helpers/store-dir.js';
import { sdkSpans } from '../helpers/sdk-traces.js';
import { otlpDaemon } from '../receiver/daemon-fixture.js';
import { post } from '../receiver/otlp-clients.js';

const TOKEN = 'jaeger-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

let daemon: Daemon;
let spans: ReadableSpan[];

/** Traces stored over TCP with what the SDK cannot make: bytes and map attributes, every kind, dropped counts, two resources. */
const SHAPES_TRACE_ID = '5a'.repeat(16);
/** High half zero: Jaeger's internal JSON writes it as 16 digits, OTLP JSON as 32. */
const SHORT_TRACE_ID = `${'0'.repeat(16)}${'7b'.repeat(8)}`;
const EVERY_KIND = {
  text: 'GET /cart',
  empty: '',
  yes: true,
  no: false,
  count: 42n,
  negative: -7n,
  zero: 0n,
  ratio: 0.5,
  bytes: new Uint8Array([0, 1, 254, 255]),
  list: ['a', 1n, 2.5, false, new Uint8Array([7])],
  map: { inner: 'x', n: 3n, nested: { deep: [true] } },
};
const NANOS = 1_700_000_000_123_456_789n;

async function appendShapesTraces(): Promise<void> {
  const client = await TraceClient.connect({ port: daemon.port, token: TOKEN });
  const first = new BatchEncoder({ resource: { attributes: { 'service.name': 'shapes', ...EVERY_KIND }, droppedAttributesCount: 1 }, scope: { name: 'shapes-lib', version: '2.0.0', attributes: EVERY_KIND } });
  const root = '1'.repeat(16);
  first.add({
    traceId: SHAPES_TRACE_ID,
    spanId: root,
    name: 'root',
    kind: 2,
    startTimeUnixNano: NANOS,
    endTimeUnixNano: NANOS + 5_000_000n,
    attributes: EVERY_KIND,
    droppedAttributesCount: 2,
    events: [
      { timeUnixNano: NANOS + 1_000n, name: 'cache miss', attributes: EVERY_KIND, droppedAttributesCount: 1 },
      { timeUnixNano: NANOS + 2_000n, name: 'named by attribute', attributes: { event: 'override' } },
    ],
    droppedEventsCount: 3,
    links: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceState: 'vendor=1', attributes: EVERY_KIND, droppedAttributesCount: 1, flags: 0x301 }],
    droppedLinksCount: 4,
    status: { code: 1 },
    traceState: 'vendor=2',
    flags: 0x301,
  });
  first.add({ traceId: SHAPES_TRACE_ID, spanId: '2'.repeat(16), parentSpanId: root, name: 'client', kind: 3, startTimeUnixNano: NANOS + 1n, endTimeUnixNano: NANOS + 2n, status: { code: 2, message: 'upstream 503' } });
  first.add({ traceId: SHORT_TRACE_ID, spanId: '6'.repeat(16), name: 'short id', kind: 1, startTimeUnixNano: NANOS, endTimeUnixNano: NANOS });
  await client.append(first.finish());
  // A second resource without service.name, and the kinds left: producer, consumer, internal, unspecified.
  const second = new BatchEncoder({ resource: { attributes: { host: 'h1' } } });
  for (const [index, kind] of [4, 5, 1, 0].entries()) {
    second.add({ traceId: SHAPES_TRACE_ID, spanId: `${index + 3}`.repeat(16), parentSpanId: root, name: `kind-${kind}`, kind, startTimeUnixNano: NANOS + 10n, endTimeUnixNano: NANOS + 20n });
  }
  await client.append(second.finish());
  await client.close();
}

beforeAll(async () => {
  daemon = await otlpDaemon({ token: TOKEN });
  spans = sdkSpans('jaeger');
  expect((await post(daemon.otlpHttpPort!, { body: ProtobufTraceSerializer.serializeRequest(spans)!, headers: AUTH })).status).toBe(200);
  await appendShapesTraces();
});

afterAll(async () => {
  await daemon?.close();
  await removeTempDirs();
});

async function get(path: string, headers: http.OutgoingHttpHeaders = AUTH): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: daemon.jaegerPort!, path, headers, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: response.statusCode!, body: response.headers['content-type'] === 'application/json' ? JSON.parse(text) : text });
        });
      })
      .on('error', reject);
  });
}

const tag = (key: string, type: string, value: unknown) => ({ key, type, value });
const micros = (time: [number, number]) => time[0] * 1_000_000 + Math.floor(time[1] / 1000);

describe("Jaeger's query API", () => {
  it('/api/traces/<id>: the envelope and span shape the Jaeger UI reads', async () => {
    const root = spans.find((span) => span.name === 'jaeger-root-0')!;
    const child = spans.find((span) => span.name === 'jaeger-child-0')!;
    const traceId = root.spanContext().traceId;
    const reply = await get(`/api/traces/${traceId}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ total: 0, limit: 0, offset: 0, errors: null });
    expect(reply.body.data).toHaveLength(1);
    const trace = reply.body.data[0];
    expect(trace.traceID).toBe(jaegerTraceId(traceId));
    expect(trace.processes).toEqual({ p1: { serviceName: 'checkout', tags: [tag('service.version', 'string', '1.2.3'), tag('host.cores', 'int64', 8)] } });
    const byName = new Map<string, any>(trace.spans.map((span: any) => [span.operationName, span]));
    const rootJson = byName.get('jaeger-root-0');
    expect(rootJson).toMatchObject({ traceID: jaegerTraceId(traceId), spanID: root.spanContext().spanId, processID: 'p1', startTime: micros(root.startTime as [number, number]), duration: Math.floor((1_000_000_000 - 123_456_789) / 1000), flags: 1, warnings: null });
    expect(rootJson.references).toEqual([{ refType: 'FOLLOWS_FROM', traceID: 'ab'.repeat(16), spanID: 'cd'.repeat(8) }]);
    expect(rootJson.tags).toEqual([
      tag('http.method', 'string', 'GET'),
      tag('http.status_code', 'int64', 200),
      tag('ratio', 'float64', 0.25),
      tag('ok', 'bool', true),
      tag('tags', 'string', '["a","b"]'),
      tag('counts', 'string', '[1,2,3]'),
      tag('span.kind', 'string', 'server'),
      tag('otel.status_code', 'string', 'OK'),
      tag('otel.scope.name', 'string', 'round-trip-lib'),
      tag('otel.scope.version', 'string', '0.9.1'),
    ]);
    expect(rootJson.logs).toEqual([{ timestamp: 1_700_000_000 * 1_000_000, fields: [tag('event', 'string', 'cache miss'), tag('key', 'string', 'k1')] }]);
    const childJson = byName.get('jaeger-child-0');
    expect(childJson.references).toEqual([{ refType: 'CHILD_OF', traceID: jaegerTraceId(traceId), spanID: root.spanContext().spanId }]);
    expect(childJson.tags).toEqual(
      expect.arrayContaining([tag('span.kind', 'string', 'client'), tag('otel.status_code', 'string', 'ERROR'), tag('otel.status_description', 'string', 'upstream 503'), tag('error', 'bool', true)]),
    );
    expect(childJson.duration).toBe(micros(child.endTime as [number, number]) - micros(child.startTime as [number, number]));
  });

  it('/api/v3/traces/<id>: OTLP JSON under result, 32-hex ids, decimal-string nanosecond times, enums as numbers', async () => {
    const traceId = spans[0]!.spanContext().traceId;
    const reply = await get(`/api/v3/traces/${traceId}`);
    expect(reply.status).toBe(200);
    const stored = reply.body.result.resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans));
    expect(stored.length).toBe(spans.filter((span) => span.spanContext().traceId === traceId).length);
    for (const span of stored) {
      expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(span.startTimeUnixNano).toMatch(/^\d+$/);
      expect(span.endTimeUnixNano).toMatch(/^\d+$/);
      expect([2, 3]).toContain(span.kind);
    }
  });

  it('a miss is 404 in each API’s error shape; bad ids 400; the token is required but for /ready; Tempo routes are not here', async () => {
    const missing = 'f'.repeat(32);
    expect(await get(`/api/traces/${missing}`)).toEqual({ status: 404, body: { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 404, msg: 'trace not found' }] } });
    expect(await get(`/api/v3/traces/${missing}`)).toEqual({ status: 404, body: { error: { httpCode: 404, message: 'trace not found' } } });
    expect((await get('/api/traces/nothex')).status).toBe(400);
    expect((await get(`/api/traces/${missing}`, {})).status).toBe(401);
    expect((await get('/ready', {})).status).toBe(200);
    expect((await get(`/api/v2/traces/${missing}`)).status).toBe(404);
    expect((await get('/api/echo')).status).toBe(404);
  });

  it('writes a trace id whose high half is zero as its low half, as Jaeger does', () => {
    expect(jaegerTraceId(`${'0'.repeat(16)}0123456789abcdef`)).toBe('0123456789abcdef');
    expect(jaegerTraceId(`${'0'.repeat(15)}10123456789abcdef`)).toBe(`${'0'.repeat(15)}10123456789abcdef`);
  });
});

/** Every AnyValue member used anywhere in an OTLP JSON value (attributes of resources, scopes, spans, events, links, nested). */
function anyValueKinds(json: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(json)) for (const item of json) anyValueKinds(item, into);
  else if (json !== null && typeof json === 'object') {
    for (const [key, value] of Object.entries(json)) {
      if (key.endsWith('Value') && key !== 'value') into.add(key);
      anyValueKinds(value, into);
    }
  }
  return into;
}

describe('replies the Jaeger UI accepts (Zod schemas of what it validates and reads)', () => {
  const exact = jaegerUiShapes('exact');
  const ui = jaegerUiShapes('ui');
  const traceIds = () => [SHAPES_TRACE_ID, SHORT_TRACE_ID, spans[0]!.spanContext().traceId];

  it('/api/v3/traces/<id> fits, with every attribute kind, events, links, status and kind in it', async () => {
    const used = new Set<string>();
    for (const traceId of traceIds()) {
      const reply = await get(`/api/v3/traces/${traceId}`);
      expect(reply.status).toBe(200);
      expect(shapeIssues(exact.v3Reply, reply.body)).toEqual([]);
      expect(shapeIssues(ui.v3Reply, reply.body)).toEqual([]);
      anyValueKinds(reply.body, used);
    }
    expect([...used].sort()).toEqual(['arrayValue', 'boolValue', 'bytesValue', 'doubleValue', 'intValue', 'kvlistValue', 'stringValue']);
    const reply = await get(`/api/v3/traces/${SHAPES_TRACE_ID}`);
    const stored = reply.body.result.resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans));
    expect(new Set(stored.map((span: any) => span.kind ?? 0))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    const root = stored.find((span: any) => span.name === 'root');
    expect(root.events).toHaveLength(2);
    expect(root.links).toHaveLength(1);
    expect(root.startTimeUnixNano).toBe(String(NANOS));
    expect(stored.find((span: any) => span.name === 'client').status).toEqual({ code: 2, message: 'upstream 503' });
    expect((await get(`/api/v3/traces/${SHORT_TRACE_ID}`)).body.result.resourceSpans[0].scopeSpans[0].spans[0].traceId).toBe(SHORT_TRACE_ID);
  });

  it('/api/traces/<id> fits, with every tag type, logs, references and processes in it', async () => {
    const types = new Set<string>();
    for (const traceId of traceIds()) {
      const reply = await get(`/api/traces/${traceId}`);
      expect(reply.status).toBe(200);
      expect(shapeIssues(exact.internalReply, reply.body)).toEqual([]);
      expect(shapeIssues(ui.internalReply, reply.body)).toEqual([]);
      for (const trace of reply.body.data) {
        for (const span of trace.spans) for (const tag of [...span.tags, ...span.logs.flatMap((log: any) => log.fields)]) types.add(tag.type);
      }
    }
    expect([...types].sort()).toEqual(['binary', 'bool', 'float64', 'int64', 'string']);
    const trace = (await get(`/api/traces/${SHAPES_TRACE_ID}`)).body.data[0];
    expect(Object.keys(trace.processes)).toEqual(['p1', 'p2']);
    const root = trace.spans.find((span: any) => span.operationName === 'root');
    expect(root.references.map((reference: any) => reference.refType)).toEqual(['FOLLOWS_FROM']);
    expect(root.logs).toHaveLength(2);
    expect((await get(`/api/traces/${SHORT_TRACE_ID}`)).body.data[0].traceID).toBe('7b'.repeat(8));
  });

  it('error replies fit their shapes', async () => {
    const missing = 'f'.repeat(32);
    expect(shapeIssues(exact.internalReply, (await get(`/api/traces/${missing}`)).body)).toEqual([]);
    expect(shapeIssues(exact.internalReply, (await get('/api/traces/nothex')).body)).toEqual([]);
    expect(shapeIssues(exact.v3ErrorReply, (await get(`/api/v3/traces/${missing}`)).body)).toEqual([]);
  });

  it('the schemas refuse what the UI would refuse or misread', async () => {
    const v3 = (await get(`/api/v3/traces/${SHAPES_TRACE_ID}`)).body;
    const internal = (await get(`/api/traces/${SHAPES_TRACE_ID}`)).body;
    /** A copy of `reply` with `change` applied to its first span. */
    const broken = (reply: any, change: (span: any) => void, spanOf: (reply: any) => any) => {
      const copy = structuredClone(reply);
      change(spanOf(copy));
      return copy;
    };
    const v3Span = (reply: any) => reply.result.resourceSpans[0].scopeSpans[0].spans[0];
    const internalSpan = (reply: any) => reply.data[0].spans[0];
    const v3Cases: [string, (span: any) => void][] = [
      ['startTimeUnixNano as a number', (span) => (span.startTimeUnixNano = Number(span.startTimeUnixNano))],
      ['an event time as a number', (span) => (span.events[0].timeUnixNano = Number(span.events[0].timeUnixNano))],
      ['a base64 trace id', (span) => (span.traceId = Buffer.from(span.traceId, 'hex').toString('base64'))],
      ['a 32-digit span id', (span) => (span.spanId = span.spanId.repeat(2))],
      ['an AnyValue with two members', (span) => (span.attributes[0].value.boolValue = true)],
      ['an intValue as a number', (span) => (span.attributes.find((a: any) => a.value.intValue !== undefined).value.intValue = 42)],
      ['a kind by name', (span) => (span.kind = 'SPAN_KIND_SERVER')],
    ];
    for (const [name, change] of v3Cases) expect(shapeIssues(ui.v3Reply, broken(v3, change, v3Span)), name).not.toEqual([]);
    expect(shapeIssues(exact.v3Reply, broken(v3, (span) => (span.startTimeUnixnano = '1'), v3Span))).not.toEqual([]);
    expect(shapeIssues(ui.v3Reply, broken(v3, (span) => (span.startTimeUnixnano = '1'), v3Span))).toEqual([]);
    const internalCases: [string, (span: any) => void][] = [
      ['startTime as a string', (span) => (span.startTime = String(span.startTime))],
      ['duration in nanoseconds as a string', (span) => (span.duration = `${span.duration}000`)],
      ['an int64 tag holding a string', (span) => (span.tags.find((t: any) => t.type === 'int64').value = '42')],
      ['an unknown tag type', (span) => (span.tags[0].type = 'int')],
      ['a processID not in processes', (span) => (span.processID = 'p9')],
      ['an unknown reference type', (span) => (span.references[0].refType = 'PARENT')],
    ];
    for (const [name, change] of internalCases) expect(shapeIssues(ui.internalReply, broken(internal, change, internalSpan)), name).not.toEqual([]);
  });
});
