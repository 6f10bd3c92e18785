// Proves spans made by the OpenTelemetry JS SDK and serialized by OpenTelemetry's own OTLP serializers (protobuf and JSON), sent over OTLP/HTTP (identity and gzip) and OTLP/gRPC, read back through getTrace with identical ids, names, kinds, times, attributes, events, links, trace state, flags, status, resource and scope.
import zlib from 'node:zlib';
import type { HrTime } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import type { AttributeValue, Attributes, Span } from '../../src/index.js';
import type { Daemon } from '../../src/daemon/server.js';
import { removeTempDirs } from '../helpers/store-dir.js';
import { SERVICE, sdkSpans } from '../helpers/sdk-traces.js';
import { otlpDaemon } from './daemon-fixture.js';
import { grpcExporter, post } from './otlp-clients.js';

afterAll(removeTempDirs);

function nanos(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

/** OTLP carries a JS integer as intValue, which tracekv returns as a bigint; other numbers stay doubles. */
function expectedValue(value: unknown): AttributeValue {
  if (Array.isArray(value)) return value.map(expectedValue) as AttributeValue;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value as AttributeValue;
}

function expectedAttributes(attributes: Record<string, unknown>): Attributes {
  return Object.fromEntries(Object.entries(attributes).map(([key, value]) => [key, expectedValue(value)]));
}

function expectSame(stored: Span, sdk: ReadableSpan): void {
  const ctx = sdk.spanContext();
  expect(stored).toMatchObject({
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    name: sdk.name,
    // OTLP's SpanKind is the API's plus one (0 is UNSPECIFIED there).
    kind: sdk.kind + 1,
    startTimeUnixNano: nanos(sdk.startTime),
    endTimeUnixNano: nanos(sdk.endTime),
    attributes: expectedAttributes(sdk.attributes),
    status: { code: sdk.status.code, ...(sdk.status.message !== undefined ? { message: sdk.status.message } : {}) },
    resource: { attributes: expectedAttributes(SERVICE) },
    scope: { name: 'round-trip-lib', version: '0.9.1' },
  });
  if (sdk.parentSpanContext !== undefined) expect(stored.parentSpanId).toBe(sdk.parentSpanContext.spanId);
  else expect(stored.parentSpanId).toBeUndefined();
  expect(stored.events).toEqual(sdk.events.map((event) => expect.objectContaining({ name: event.name, timeUnixNano: nanos(event.time), attributes: expectedAttributes(event.attributes ?? {}) })));
  expect(stored.links).toEqual(
    sdk.links.map((link) =>
      expect.objectContaining({ traceId: link.context.traceId, spanId: link.context.spanId, traceState: link.context.traceState?.serialize(), attributes: expectedAttributes(link.attributes ?? {}) }),
    ),
  );
}

async function expectStored(daemon: Daemon, spans: ReadableSpan[]): Promise<void> {
  for (const sdk of spans) {
    const found = await daemon.store.getTrace(sdk.spanContext().traceId);
    const stored = found?.spans.find((span) => span.spanId === sdk.spanContext().spanId);
    expect(stored, `${sdk.name} read back`).toBeDefined();
    expectSame(stored!, sdk);
  }
}

describe('OTLP round trip with the OpenTelemetry SDK and serializers', () => {
  it('reads back every span sent over OTLP/HTTP as protobuf and JSON, identity and gzip, and over OTLP/gRPC', async () => {
    const daemon = await otlpDaemon();
    const cases: { name: string; send: (spans: ReadableSpan[]) => Promise<void> }[] = [
      { name: 'http-proto', send: async (spans) => void expect((await post(daemon.otlpHttpPort!, { body: ProtobufTraceSerializer.serializeRequest(spans)! })).status).toBe(200) },
      {
        name: 'http-proto-gzip',
        send: async (spans) => void expect((await post(daemon.otlpHttpPort!, { headers: { 'content-encoding': 'gzip' }, body: zlib.gzipSync(ProtobufTraceSerializer.serializeRequest(spans)!) })).status).toBe(200),
      },
      { name: 'http-json', send: async (spans) => void expect((await post(daemon.otlpHttpPort!, { headers: { 'content-type': 'application/json' }, body: JsonTraceSerializer.serializeRequest(spans)! })).status).toBe(200) },
      {
        name: 'grpc-gzip',
        send: async (spans) => {
          const exporter = grpcExporter(daemon.otlpGrpcPort!, { gzip: true });
          expect((await exporter.exportRequest(ProtobufTraceSerializer.serializeRequest(spans)!)).error).toBeNull();
          exporter.close();
        },
      },
    ];
    let total = 0;
    for (const { name, send } of cases) {
      const spans = sdkSpans(name);
      await send(spans);
      total += spans.length;
      expect(daemon.store.stats().appendedSpans).toBe(total);
      await expectStored(daemon, spans);
    }
    await daemon.close();
  });
});
