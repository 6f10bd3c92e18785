// Proves the Jaeger query API (its own port) answers /api/traces/<id> in the envelope and span shape the Jaeger UI reads, translated from OTLP by OpenTelemetry's Jaeger mapping (typed tags, span.kind, status tags and the error flag, CHILD_OF then FOLLOWS_FROM references, events as logs, one process per resource, microseconds), and /api/v3/traces/<id> in OTLP JSON with 32-hex ids and decimal-string times; a miss is 404 in each one's error shape.
import http from 'node:http';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon/server.js';
import { jaegerTraceId } from '../../src/query/index.js';
import { removeTempDirs } from '../helpers/store-dir.js';
import { sdkSpans } from '../helpers/sdk-traces.js';
import { otlpDaemon } from '../receiver/daemon-fixture.js';
import { post } from '../receiver/otlp-clients.js';

const TOKEN = 'jaeger-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

let daemon: Daemon;
let spans: ReadableSpan[];

beforeAll(async () => {
  daemon = await otlpDaemon({ token: TOKEN });
  spans = sdkSpans('jaeger');
  expect((await post(daemon.otlpHttpPort!, { body: ProtobufTraceSerializer.serializeRequest(spans)!, headers: AUTH })).status).toBe(200);
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
