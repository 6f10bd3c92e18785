// Proves the query server answers Tempo's trace-by-ID API as Grafana calls it: spans sent by a real SDK over OTLP come back from /api/v2/traces/<id> and /api/traces/<id>, in protobuf that an independent decoder (the protobufjs module of @opentelemetry/otlp-transformer 0.216.0) reads as exactly what the SDK sent, and in Tempo's proto JSON; misses are 404, bad ids and times 400, the token is required, and /ready, /api/echo and buildinfo answer.
import { openColumnarBatch } from '../../src/batch/index.js';
import http from 'node:http';
import { createRequire } from 'node:module';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon/server.js';
import { ProtobufReader, WIRE_LEN } from '../../src/otlp/protobuf-reader.js';
import { parseTempoTraceId } from '../../src/query/index.js';
import { rowShareBytes } from '../../src/reader/record-task.js';
import { delimitedMessages } from '../helpers/delimited-messages.js';
import { removeTempDirs } from '../helpers/store-dir.js';
import { sdkSpans } from '../helpers/sdk-traces.js';
import { otlpDaemon } from '../receiver/daemon-fixture.js';
import { post } from '../receiver/otlp-clients.js';

interface DecodedMessage {
  resourceSpans: { resource: unknown; scopeSpans: { scope: unknown; spans: { traceId: string }[] }[] }[];
}
interface MessageType {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: object): DecodedMessage;
}
/** The independent decoder: protobufjs static code generated from opentelemetry-proto, as a devDependency alias. */
const root = createRequire(import.meta.url)('otlp-transformer-0216/build/src/generated/root.js') as {
  opentelemetry: { proto: { trace: { v1: { TracesData: MessageType } }; collector: { trace: { v1: { ExportTraceServiceRequest: MessageType } } } } };
};
const TracesData = root.opentelemetry.proto.trace.v1.TracesData;
const ExportRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
// defaults: proto3 leaves zero fields off the wire, as we do, where the SDK writes some; both read the same.
const AS_OBJECT = { longs: String, bytes: String, enums: Number, defaults: true };

const TOKEN = 'query-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

let daemon: Daemon;
let sent: DecodedMessage;
let traceIds: string[];
let sentBody: Uint8Array;

beforeAll(async () => {
  daemon = await otlpDaemon({ token: TOKEN });
  const spans = sdkSpans('tempo');
  const body = ProtobufTraceSerializer.serializeRequest(spans)!;
  sentBody = body;
  const reply = await post(daemon.otlpHttpPort!, { body, headers: AUTH });
  expect(reply.status).toBe(200);
  sent = ExportRequest.toObject(ExportRequest.decode(body), AS_OBJECT);
  traceIds = [...new Set(spans.map((span) => span.spanContext().traceId))];
});

afterAll(async () => {
  await daemon?.close();
  await removeTempDirs();
});

function get(path: string, headers: http.OutgoingHttpHeaders = AUTH): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return getFrom(daemon.queryPort!, path, headers);
}

function getFrom(port: number, path: string, headers: http.OutgoingHttpHeaders): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

/** What the SDK sent for one trace, as the independent decoder reads it: the request's groups with only that trace's spans. */
function sentTrace(traceIdHex: string): DecodedMessage {
  const traceId = Buffer.from(traceIdHex, 'hex').toString('base64');
  return {
    resourceSpans: sent.resourceSpans
      .map((resourceSpans) => ({
        ...resourceSpans,
        scopeSpans: resourceSpans.scopeSpans.map((scopeSpans) => ({ ...scopeSpans, spans: scopeSpans.spans.filter((span) => span.traceId === traceId) })).filter((scopeSpans) => scopeSpans.spans.length > 0),
      }))
      .filter((resourceSpans) => resourceSpans.scopeSpans.length > 0),
  };
}

/** TraceByIDResponse by hand (Tempo's message, not OTLP's): field 1 the Trace bytes, 3 the status, 4 the message. */
function traceByIdFields(body: Buffer): { trace: Uint8Array | null; status: number; message: string } {
  const reader = new ProtobufReader(body);
  const out = { trace: null as Uint8Array | null, status: 0, message: '' };
  while (reader.nextField()) {
    if (reader.fieldNumber === 1 && reader.wireType === WIRE_LEN) {
      const end = reader.lengthDelimited();
      out.trace = body.subarray(reader.pos, end);
      reader.pos = end;
    } else if (reader.fieldNumber === 3) out.status = reader.uint32();
    else if (reader.fieldNumber === 4) {
      const end = reader.lengthDelimited();
      out.message = body.toString('utf8', reader.pos, end);
      reader.pos = end;
    } else reader.skipValue();
  }
  return out;
}

describe("Tempo's trace-by-ID API", () => {
  it('v2 protobuf: what an independent decoder reads is what the SDK sent, COMPLETE', async () => {
    for (const traceId of traceIds) {
      const reply = await get(`/api/v2/traces/${traceId}`, { ...AUTH, accept: 'application/protobuf' });
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toBe('application/protobuf');
      const fields = traceByIdFields(reply.body);
      expect(fields.status).toBe(0);
      expect(TracesData.toObject(TracesData.decode(fields.trace!), AS_OBJECT)).toEqual(sentTrace(traceId));
    }
  });

  it('v1 protobuf is the Trace message alone, wire-identical to OTLP TracesData', async () => {
    const reply = await get(`/api/traces/${traceIds[0]}`, { ...AUTH, accept: 'application/protobuf' });
    expect(reply.status).toBe(200);
    expect(TracesData.toObject(TracesData.decode(reply.body), AS_OBJECT)).toEqual(sentTrace(traceIds[0]!));
    const v2 = traceByIdFields((await get(`/api/v2/traces/${traceIds[0]}`, { ...AUTH, accept: 'application/protobuf' })).body);
    expect(Buffer.from(v2.trace!)).toEqual(reply.body);
  });

  it("JSON is Tempo's proto JSON: base64 ids, int64 as strings, enums by name, v2 under trace, v1 under batches", async () => {
    const traceId = traceIds[0]!;
    const v2 = await get(`/api/v2/traces/${traceId}`);
    expect(v2.status).toBe(200);
    expect(v2.headers['content-type']).toBe('application/json');
    const body = JSON.parse(v2.body.toString()) as { trace: { resourceSpans: DecodedMessage['resourceSpans'] }; status?: string };
    expect(Object.keys(body)).toEqual(['trace']);
    const spans = body.trace.resourceSpans.flatMap((resourceSpans) => resourceSpans.scopeSpans.flatMap((scopeSpans) => scopeSpans.spans)) as Record<string, unknown>[];
    const root = spans.find((span) => span.parentSpanId === undefined)!;
    expect(root.traceId).toBe(Buffer.from(traceId, 'hex').toString('base64'));
    expect(root.kind).toBe('SPAN_KIND_SERVER');
    expect(root.status).toEqual({ code: 'STATUS_CODE_OK' });
    expect(typeof root.startTimeUnixNano).toBe('string');
    expect(root.attributes).toContainEqual({ key: 'http.status_code', value: { intValue: '200' } });
    expect(root.attributes).toContainEqual({ key: 'ok', value: { boolValue: true } });
    expect(root.attributes).toContainEqual({ key: 'ratio', value: { doubleValue: 0.25 } });
    const child = spans.find((span) => span.parentSpanId !== undefined)!;
    expect(child.status).toEqual({ message: 'upstream 503', code: 'STATUS_CODE_ERROR' });
    const v1 = JSON.parse((await get(`/api/traces/${traceId}`)).body.toString()) as { batches: unknown };
    expect(v1).toEqual({ batches: body.trace.resourceSpans });
  });

  it('a miss is 404 on both versions; a bad id or time range is 400', async () => {
    const missing = 'f'.repeat(32);
    expect((await get(`/api/v2/traces/${missing}`)).status).toBe(404);
    expect((await get(`/api/traces/${missing}`, { ...AUTH, accept: 'application/protobuf' })).status).toBe(404);
    for (const bad of ['xyz', '0'.repeat(32), 'a'.repeat(33)]) expect((await get(`/api/v2/traces/${bad}`)).status).toBe(400);
    expect((await get(`/api/v2/traces/${traceIds[0]}?start=soon`)).status).toBe(400);
    expect((await get(`/api/v2/traces/${traceIds[0]}?start=20&end=10`)).status).toBe(400);
  });

  it('start and end bound the spans by start time, in Unix seconds', async () => {
    const traceId = traceIds[0]!;
    // The SDK traces start at 1,700,000,000 s and later.
    expect((await get(`/api/v2/traces/${traceId}?start=1600000000&end=1800000000`)).status).toBe(200);
    expect((await get(`/api/v2/traces/${traceId}?start=1500000000&end=1600000000`)).status).toBe(404);
  });

  it('reads a trace id as Tempo does: either case, and fewer than 32 digits left-padded with zeros', async () => {
    expect((await get(`/api/v2/traces/${traceIds[0]!.toUpperCase()}`)).status).toBe(200);
    expect(parseTempoTraceId('abc')).toBe(`${'0'.repeat(29)}abc`);
    expect(parseTempoTraceId('0'.repeat(31) + 'F')).toBe(`${'0'.repeat(31)}f`);
    for (const bad of ['', 'g', '0', '-1', 'a'.repeat(33)]) expect(parseTempoTraceId(bad)).toBeNull();
  });

  it('a trace past traceBytesMax comes back PARTIAL in v2, with a message; refused whole (413) when the store rejects them', async () => {
    // Room for exactly the first span the store holds of the trace: the receivers write version 2,
    // where a row counts its share of its batch (data-format.md §2.7.6).
    const raw = await daemon.store.getTrace(traceIds[0]!, { raw: true });
    const first = raw!.spans[0]!;
    if (!('batch' in first)) throw new Error('want a version-2 row from the OTLP receiver');
    const traceBytesMax = rowShareBytes(openColumnarBatch(raw!.batches![first.batch]!));
    for (const traceTooLarge of ['truncate', 'reject'] as const) {
      const small = await otlpDaemon({ store: { traceBytesMax, traceTooLarge } });
      try {
        expect((await post(small.otlpHttpPort!, { body: sentBody })).status).toBe(200);
        const traceId = traceIds[0]!;
        const protobuf = await getFrom(small.queryPort!, `/api/v2/traces/${traceId}`, { accept: 'application/protobuf' });
        const json = await getFrom(small.queryPort!, `/api/v2/traces/${traceId}`, {});
        if (traceTooLarge === 'reject') {
          expect([protobuf.status, json.status]).toEqual([413, 413]);
          continue;
        }
        const fields = traceByIdFields(protobuf.body);
        expect(fields.status).toBe(1);
        expect(fields.message).toMatch(/traceBytesMax/);
        const kept = TracesData.toObject(TracesData.decode(fields.trace!), AS_OBJECT).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
        expect(kept.length).toBeGreaterThan(0);
        expect(kept.length).toBeLessThan(sentTrace(traceId).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)).length);
        expect(JSON.parse(json.body.toString())).toMatchObject({ status: 'PARTIAL', message: fields.message });
      } finally {
        await small.close();
      }
    }
  });

  it('the bulk read answers NDJSON in input order, a line per id, null for a miss, each line the v2 JSON reply', async () => {
    const missing = 'e'.repeat(32);
    const ids = [traceIds[2]!, missing, traceIds[0]!, traceIds[2]!.slice(4)];
    const reply = await post(daemon.queryPort!, { path: '/api/v2/traces:batch', headers: { ...AUTH, 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ ids })) });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/x-ndjson');
    const lines = reply.body.toString().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(ids.length);
    const one = async (id: string) => JSON.parse((await get(`/api/v2/traces/${id}`)).body.toString()) as unknown;
    expect(JSON.parse(lines[0]!)).toEqual(await one(traceIds[2]!));
    expect(lines[1]).toBe('null');
    expect(JSON.parse(lines[2]!)).toEqual(await one(traceIds[0]!));
    // A short id means the left-padded one, not this trace.
    expect(lines[3]).toBe('null');
    // Time bounds apply to every id: no trace starts in this range.
    const bounded = await post(daemon.queryPort!, { path: '/api/v2/traces:batch', headers: { ...AUTH, 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ ids: traceIds, start: 1500000000, end: '1600000000' })) });
    expect(bounded.body.toString()).toBe('null\n'.repeat(traceIds.length));
  });

  it('the bulk read answers length-delimited protobuf when asked: per id the v2 protobuf reply, empty for a miss', async () => {
    const missing = 'e'.repeat(32);
    const ids = [traceIds[2]!, missing, traceIds[0]!];
    const headers = { ...AUTH, 'content-type': 'application/json', accept: 'application/protobuf' };
    const reply = await post(daemon.queryPort!, { path: '/api/v2/traces:batch', headers, body: Buffer.from(JSON.stringify({ ids })) });
    expect([reply.status, reply.headers['content-type']]).toEqual([200, 'application/protobuf']);
    const one = async (id: string) => (await get(`/api/v2/traces/${id}`, { ...AUTH, accept: 'application/protobuf' })).body;
    expect(delimitedMessages(reply.body)).toEqual([await one(traceIds[2]!), Buffer.alloc(0), await one(traceIds[0]!)]);
  });

  it('the bulk read refuses what it cannot serve before reading any trace, with the status that says why', async () => {
    const bulk = (body: string | Uint8Array, headers: Record<string, string> = { ...AUTH, 'content-type': 'application/json' }) => post(daemon.queryPort!, { path: '/api/v2/traces:batch', headers, body: typeof body === 'string' ? Buffer.from(body) : body });
    expect((await bulk('{"ids": []}')).status).toBe(400);
    expect((await bulk('{"ids": "abc"}')).status).toBe(400);
    expect((await bulk('not json')).status).toBe(400);
    expect((await bulk('{"ids": ["xyz"]}')).status).toBe(400);
    expect((await bulk(JSON.stringify({ ids: [traceIds[0]], start: 'soon' }))).status).toBe(400);
    expect((await bulk('{"ids": []}', { ...AUTH, 'content-type': 'text/plain' })).status).toBe(415);
    expect((await bulk('{"ids": []}', { ...AUTH, 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(415);
    expect((await bulk('{"ids": []}', { 'content-type': 'application/json' })).status).toBe(401);
    expect((await bulk(new Uint8Array(2 * 1024 * 1024).fill(0x20))).status).toBe(413);
    const tooMany = JSON.stringify({ ids: Array.from({ length: 10_001 }, (_, i) => (i + 1).toString(16)) });
    const refused = await bulk(tooMany);
    expect([refused.status, refused.body.toString()]).toEqual([413, 'ids got 10001; want 1 to requestTracesMax (10000)\n']);
    expect((await get('/api/v2/traces:batch')).status).toBe(405);
  });

  it('requires the token everywhere but /ready; answers /api/echo and buildinfo; 404 and 405 elsewhere', async () => {
    expect((await get(`/api/v2/traces/${traceIds[0]}`, {})).status).toBe(401);
    expect((await get('/api/echo', { authorization: 'Bearer wrong' })).status).toBe(401);
    const ready = await get('/ready', {});
    expect([ready.status, ready.body.toString().trim()]).toEqual([200, 'ready']);
    const echo = await get('/api/echo');
    expect([echo.status, echo.body.toString()]).toEqual([200, 'echo']);
    const info = JSON.parse((await get('/api/status/buildinfo')).body.toString()) as Record<string, unknown>;
    expect(Object.keys(info).sort()).toEqual(['branch', 'buildDate', 'buildUser', 'goVersion', 'revision', 'version']);
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect((await get('/api/search')).status).toBe(404);
    const posted = await post(daemon.queryPort!, { path: '/api/echo', headers: AUTH });
    expect(posted.status).toBe(405);
    expect(posted.headers.allow).toBe('GET');
  });
});
