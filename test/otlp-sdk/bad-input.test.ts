// Proves that `tracekv serve`, as a process of its own, answers bad OTLP input from real clients with its status code (over HTTP: garbage protobuf 400, truncated gzip 400, a gzip bomb 413, a wrong content type 415, invalid hex ids in JSON 400, deeply nested AnyValue 400; over gRPC: INVALID_ARGUMENT), stays up and stores nothing of a refused request; and that a 0-span request is a 200 that stores nothing, partly invalid JSON a 200 with partial_success, and a 65,536-span request a 200 with every span stored and counted.
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status as grpcStatus } from '@grpc/grpc-js';
import { ATTRIBUTE_NESTING_MAX, OTLP_REQUEST_BYTES_MAX_DEFAULT } from '../../src/constants.js';
import type { SpanInput } from '../../src/batch/types.js';
import { TraceClient } from '../../src/index.js';
import { DaemonChild } from '../../scripts/testkit/daemon-child.js';
import { ProtoWriter, exportRequest, exportRequestJson, jsonSpan, writeSpan } from '../../scripts/testkit/otlp-request.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';
import { grpcExporter, post, type HttpReply } from '../receiver/otlp-clients.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const GZIP = { 'content-encoding': 'gzip' };
/** Spans in the large request: the most a test sends at once, past one batch's 65,535 spans. */
const LARGE_REQUEST_SPANS = 65_536;
const LARGE_REQUEST_SPANS_PER_TRACE = 256;
/** Far past both nesting limits (64 attribute levels, 135 messages): a recursive reader would overflow its stack long before. */
const DEEP_NESTING_LEVELS = 10_000;

let daemon: DaemonChild;
let client: TraceClient;
/** Each test's requests get trace ids of their own: the high bytes are this counter. */
let nextTraceGroup = 1;
/** Refusals sent, by status, to compare with the daemon's own counters at the end. */
const refusals: Record<string, number> = {};

beforeAll(async () => {
  daemon = await DaemonChild.start({ launch: { serve: { dir: tempDir('otlp-bad-input') } } });
  client = await TraceClient.connect({ port: daemon.port });
});

afterAll(async () => {
  await client?.close();
  const exit = daemon === undefined ? null : await daemon.stop();
  removeTempDirs();
  // A graceful stop: every admitted request answered, the store closed cleanly.
  if (daemon !== undefined) expect(exit).toEqual({ code: 0, signal: null });
});

/** `count` small spans in traces of `perTrace`, with trace ids no other request uses. */
function freshSpans(count: number, perTrace = count): SpanInput[] {
  const group = (nextTraceGroup++).toString(16).padStart(8, '0');
  return Array.from({ length: count }, (_, i) => ({
    traceId: `${group}${Math.floor(i / perTrace).toString(16).padStart(24, '0')}`,
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: `span ${i}`,
    startTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(i),
    endTimeUnixNano: 1_700_000_000_000_001_000n + BigInt(i),
    attributes: { index: BigInt(i) },
  }));
}

const RESOURCE = { attributes: { 'service.name': 'bad-input' } };

function protobufOf(spans: SpanInput[]): Uint8Array {
  return exportRequest([{ resource: RESOURCE, scope: { name: 'bad-input', version: '1' }, spans }]);
}

async function storedSpans(): Promise<number> {
  return (await client.stats()).store.appendedSpans;
}

/** The reply has `status`, nothing was stored, and the daemon still takes a good request. */
async function expectRefused(reply: HttpReply, status: number, before: number): Promise<void> {
  expect(reply.status, reply.body.toString('utf8')).toBe(status);
  refusals[status] = (refusals[status] ?? 0) + 1;
  expect(daemon.alive).toBe(true);
  expect(await storedSpans()).toBe(before);
  const good = await post(daemon.otlpHttpPort!, { body: protobufOf(freshSpans(2)) });
  expect(good.status).toBe(200);
  expect(await storedSpans()).toBe(before + 2);
}

/** Refuses each body in turn with `status`. */
async function expectAllRefused(bodies: { body: Uint8Array; headers?: Record<string, string> }[], status: number): Promise<void> {
  for (const { body, headers } of bodies) {
    const before = await storedSpans();
    await expectRefused(await post(daemon.otlpHttpPort!, { body, headers }), status, before);
  }
}

/** An AnyValue of arrays nested `levels` deep around "x", written outside in (a recursive writer would overflow the stack). */
function nestedArrayValue(levels: number): Uint8Array {
  const leaf = new ProtoWriter().string(1, 'x').bytes;
  const header = (field: number, length: number) => new ProtoWriter().tag(field, 2).varint(length).bytes;
  // Inside out, lengths only: level n is AnyValue { array_value(5) = ArrayValue { values(1) = level n-1 } }.
  const headers: { anyValue: Uint8Array; arrayValue: Uint8Array }[] = [];
  let length = leaf.length;
  for (let level = 0; level < levels; level++) {
    const arrayValue = header(1, length);
    const anyValue = header(5, arrayValue.length + length);
    headers.push({ anyValue, arrayValue });
    length += arrayValue.length + anyValue.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (let level = levels - 1; level >= 0; level--) {
    out.set(headers[level]!.anyValue, at);
    at += headers[level]!.anyValue.length;
    out.set(headers[level]!.arrayValue, at);
    at += headers[level]!.arrayValue.length;
  }
  out.set(leaf, at);
  return out;
}

/** One span with an attribute `deep` holding the given AnyValue bytes. */
function requestWithValue(anyValue: Uint8Array): Uint8Array {
  const [span] = freshSpans(1);
  return new ProtoWriter().message(1, (rs) => rs.message(2, (ss) => ss.message(2, (s) => {
    writeSpan(s, span!);
    s.message(9, (kv) => kv.string(1, 'deep').bytesField(2, anyValue));
  }))).bytes;
}

function nestedJsonValue(levels: number): string {
  return `${'{"arrayValue":{"values":['.repeat(levels)}{"stringValue":"x"}${']}}'.repeat(levels)}`;
}

function jsonRequestWithValue(valueJson: string): Uint8Array {
  const span = jsonSpan(freshSpans(1)[0]!);
  const text = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ ...span, attributes: [{ key: 'deep', value: '@VALUE@' }] }] }] }] });
  return Buffer.from(text.replace('"@VALUE@"', valueJson));
}

describe('tracekv serve: bad OTLP input from real clients', () => {
  it('answers 400 to garbage protobuf: text, a request cut short, an 11-byte varint', async () => {
    const valid = protobufOf(freshSpans(3));
    await expectAllRefused(
      [
        { body: Buffer.from('this is not protobuf, it is plain text') },
        { body: valid.subarray(0, valid.length - 3) },
        { body: Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]) },
      ],
      400,
    );
  });

  it('answers 400 to truncated gzip, and to bytes that are not gzip at all', async () => {
    const gzipped = zlib.gzipSync(protobufOf(freshSpans(50)));
    await expectAllRefused(
      [
        { body: gzipped.subarray(0, Math.floor(gzipped.length / 2)), headers: GZIP },
        { body: gzipped.subarray(0, gzipped.length - 4), headers: GZIP }, // all but the length trailer
        { body: protobufOf(freshSpans(2)), headers: GZIP },
      ],
      400,
    );
  });

  it('answers 413 to a gzip bomb: a small body that inflates past otlpRequestBytesMax', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(OTLP_REQUEST_BYTES_MAX_DEFAULT + 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    await expectAllRefused([{ body: bomb, headers: GZIP }], 413);
  });

  it('answers 415 to a content type other than protobuf or JSON', async () => {
    const body = protobufOf(freshSpans(2));
    await expectAllRefused(
      [
        { body, headers: { 'content-type': 'text/plain' } },
        { body, headers: { 'content-type': 'application/grpc' } },
        { body, headers: { 'content-type': 'application/json; charset=latin1' } },
      ],
      415,
    );
  });

  it('answers 400 to JSON whose ids are not hex, and 200 with partial_success to a hex id of the wrong length', async () => {
    const badIds = (patch: Record<string, string>) => {
      const spans = freshSpans(2).map(jsonSpan);
      Object.assign(spans[1]!, patch);
      return Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }));
    };
    await expectAllRefused(
      [
        { body: badIds({ traceId: 'zz'.repeat(16) }), headers: JSON_TYPE },
        { body: badIds({ spanId: '0123456789abcde' }), headers: JSON_TYPE }, // an odd number of digits
        { body: badIds({ parentSpanId: 'not-hex!' }), headers: JSON_TYPE },
        { body: badIds({ spanId: Buffer.from('12345678').toString('base64') }), headers: JSON_TYPE }, // base64, as protobuf's JSON mapping would write bytes
      ],
      400,
    );
    const before = await storedSpans();
    const partly = await post(daemon.otlpHttpPort!, { body: badIds({ traceId: 'ab'.repeat(15) }), headers: JSON_TYPE });
    expect(partly.status).toBe(200);
    expect(JSON.parse(partly.body.toString('utf8'))).toEqual({ partialSuccess: { rejectedSpans: '1', errorMessage: expect.stringContaining('trace_id') } });
    expect(await storedSpans()).toBe(before + 1);
  });

  it('answers 400 to AnyValue nested past the limit, in protobuf and JSON, however deep', async () => {
    await expectAllRefused(
      [
        { body: requestWithValue(nestedArrayValue(ATTRIBUTE_NESTING_MAX + 1)) },
        { body: requestWithValue(nestedArrayValue(DEEP_NESTING_LEVELS)) },
        { body: jsonRequestWithValue(nestedJsonValue(ATTRIBUTE_NESTING_MAX + 1)), headers: JSON_TYPE },
        { body: jsonRequestWithValue(nestedJsonValue(DEEP_NESTING_LEVELS)), headers: JSON_TYPE },
      ],
      400,
    );
    // At the limit the value is stored: the refusals above were for the depth alone.
    const before = await storedSpans();
    expect((await post(daemon.otlpHttpPort!, { body: requestWithValue(nestedArrayValue(ATTRIBUTE_NESTING_MAX)) })).status).toBe(200);
    expect((await post(daemon.otlpHttpPort!, { body: jsonRequestWithValue(nestedJsonValue(ATTRIBUTE_NESTING_MAX)), headers: JSON_TYPE })).status).toBe(200);
    expect(await storedSpans()).toBe(before + 2);
  });

  it('answers 200 to a request with no spans, in every form, and stores nothing', async () => {
    const before = await storedSpans();
    const empties: { body: Uint8Array; headers?: Record<string, string> }[] = [
      { body: new Uint8Array(0) },
      { body: zlib.gzipSync(new Uint8Array(0)), headers: GZIP },
      { body: exportRequest([{ resource: RESOURCE, scope: { name: 'nothing' }, spans: [] }]) },
      { body: Buffer.from('{}'), headers: JSON_TYPE },
      { body: Buffer.from(JSON.stringify(exportRequestJson([{ resource: RESOURCE, spans: [] }]))), headers: JSON_TYPE },
    ];
    for (const { body, headers } of empties) {
      const reply = await post(daemon.otlpHttpPort!, { body, headers });
      expect(reply.status).toBe(200);
      // All stored (there was nothing): no partial_success, an empty message in either content type.
      if (headers === JSON_TYPE) expect(JSON.parse(reply.body.toString('utf8'))).toEqual({});
      else expect(reply.body.length).toBe(0);
    }
    expect(await storedSpans()).toBe(before);
  });

  it('answers 200 to a 65,536-span request and stores and counts every span', async () => {
    const spans = freshSpans(LARGE_REQUEST_SPANS, LARGE_REQUEST_SPANS_PER_TRACE);
    const before = await storedSpans();
    const statsBefore = (await client.stats()).server.otlpHttp as { spans: number };
    const reply = await post(daemon.otlpHttpPort!, { body: protobufOf(spans) });
    expect(reply.status).toBe(200);
    expect(reply.body.length).toBe(0); // no partial_success: every span stored
    expect(await storedSpans()).toBe(before + LARGE_REQUEST_SPANS);
    expect((await client.stats()).server.otlpHttp).toMatchObject({ spans: statsBefore.spans + LARGE_REQUEST_SPANS });
    const traceIds = [...new Set(spans.map((span) => span.traceId as string))];
    expect(traceIds).toHaveLength(LARGE_REQUEST_SPANS / LARGE_REQUEST_SPANS_PER_TRACE);
    const traces = await client.getTraces(traceIds);
    for (let i = 0; i < traceIds.length; i++) {
      const ids = traces[i]?.spans.map((span) => span.spanId).sort();
      expect(ids, traceIds[i]).toEqual(spans.filter((span) => span.traceId === traceIds[i]).map((span) => span.spanId).sort());
    }
  });

  it('answers INVALID_ARGUMENT over OTLP/gRPC to garbage and to nesting past the limit, storing nothing, and then OK', async () => {
    const exporter = grpcExporter(daemon.otlpGrpcPort!, { gzip: true });
    try {
      const before = await storedSpans();
      const valid = protobufOf(freshSpans(3));
      for (const body of [Buffer.from('this is not protobuf'), valid.subarray(0, valid.length - 3), requestWithValue(nestedArrayValue(DEEP_NESTING_LEVELS))]) {
        expect((await exporter.exportRequest(body)).error?.code).toBe(grpcStatus.INVALID_ARGUMENT);
      }
      expect(await storedSpans()).toBe(before);
      expect((await exporter.exportRequest(valid)).error).toBeNull();
      expect(await storedSpans()).toBe(before + 3);
    } finally {
      exporter.close();
    }
  });

  it('counted each refusal under its status, and is still up', async () => {
    const counted = (await client.stats()).server.otlpHttp as { errorsByStatus: Record<string, number> };
    expect(counted.errorsByStatus).toEqual(refusals);
    await client.ping();
    expect(daemon.alive).toBe(true);
  });
});
