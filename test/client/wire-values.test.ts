// Proves that spans, raw spans and traces that crossed the wire come back deep-equal (toStrictEqual) to what the embedded decoder returns: every Buffer a plain Uint8Array, nil optional fields absent.
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBatch, decodeBatchRaw } from '../../src/batch/decoder.js';
import { BatchEncoder } from '../../src/batch/encoder.js';
import type { RawRecordSpan, SpanInput } from '../../src/batch/types.js';
import { TraceClient } from '../../src/client/trace-client.js';
import { Opcode } from '../../src/protocol/frame.js';
import { WIRE_VALUE_NESTING_MAX, fromWireValue, toPlainBytes } from '../../src/protocol/wire-values.js';
import { FakeServer, type FakeRequest, TRACE_ID } from './fake-server.js';

const servers: FakeServer[] = [];
const clients: TraceClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const ROOT_ID = '1111111111111111';

function richSpan(spanId: string, parentSpanId?: string): SpanInput {
  return {
    traceId: TRACE_ID,
    spanId,
    ...(parentSpanId === undefined ? {} : { parentSpanId }),
    name: 'GET /cart ✓',
    kind: 2,
    startTimeUnixNano: 1_700_000_000_000_000_000n,
    endTimeUnixNano: 1_700_000_000_123_456_789n,
    attributes: {
      'http.status_code': 200,
      'http.ratio': 0.25,
      'big.int': -(2n ** 63n),
      ok: true,
      blob: new Uint8Array([0, 1, 255]),
      nested: { inner: [1, 2n, 'three', new Uint8Array([7]), { deeper: [new Uint8Array([8, 9])] }] },
    },
    droppedAttributesCount: 2,
    events: [{ timeUnixNano: 1_700_000_000_000_000_500n, name: 'retry', attributes: { payload: new Uint8Array([4, 5]) } }],
    links: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceState: 'k=v', attributes: { raw: new Uint8Array([6]) }, flags: 1 }],
    status: { code: 2, message: 'boom' },
    traceState: 'vendor=1',
    flags: 257,
  };
}

/** A batch of one trace: a rich root (no optional fields) and a rich child with all of them. */
function batch(): Uint8Array {
  const encoder = new BatchEncoder({
    resource: { attributes: { 'service.name': 'checkout', cert: new Uint8Array([1, 2]) }, schemaUrl: 'https://opentelemetry.io/schemas/1.0' },
    scope: { name: '@tracekv/test', attributes: { bytes: new Uint8Array([3]) } },
  });
  const { parentSpanId: _, traceState: __, flags: ___, ...root } = richSpan(ROOT_ID);
  encoder.add(root);
  encoder.add(richSpan('2222222222222222', ROOT_ID));
  return encoder.finish();
}

/** A fake daemon that answers every read with `reply(request)`. */
async function serving(reply: (request: FakeRequest) => Record<string, unknown>): Promise<{ server: FakeServer; client: TraceClient }> {
  const server = await FakeServer.start((request) => request.connection.reply(request, reply(request)));
  servers.push(server);
  const client = await TraceClient.connect({ port: server.port });
  clients.push(client);
  return { server, client };
}

describe('results over the wire', () => {
  it('getTrace and getSpan deep-equal the embedded decode, every byte array a plain Uint8Array', async () => {
    const { spans } = decodeBatch(batch());
    const trace = { traceId: TRACE_ID, spans };
    const { client } = await serving((request) => (request.opcode === Opcode.GET_SPAN ? { span: spans[1] } : { trace }));
    const remote = await client.getTrace(TRACE_ID);
    expect(remote).toStrictEqual(trace);
    const blob = remote!.spans[1]!.attributes.blob as Uint8Array;
    expect(Object.getPrototypeOf(blob)).toBe(Uint8Array.prototype);
    expect(Buffer.isBuffer(remote!.spans[0]!.resource.attributes.cert)).toBe(false);
    await expect(client.getSpan(TRACE_ID, '2222222222222222')).resolves.toStrictEqual(spans[1]);
  });

  it('getTraces with raw: true deep-equals the embedded raw decode', async () => {
    const { spans } = decodeBatchRaw(batch());
    const { client } = await serving(() => ({ traces: [{ index: 0, trace: { traceId: TRACE_ID, spans } }, { index: 1, trace: null }] }));
    const remote = await client.getTraces([TRACE_ID, 'ff'.repeat(16)], { raw: true });
    expect(remote).toStrictEqual([{ traceId: TRACE_ID, spans }, null]);
    expect(Buffer.isBuffer((remote[0]!.spans[0] as RawRecordSpan).bytes)).toBe(false);
  });

  it('drops optional fields a peer sent as nil, as the embedded API leaves them out', async () => {
    const { spans } = decodeBatch(batch());
    const root = spans[0]!;
    const withNils = { ...root, parentSpanId: null, traceState: null, flags: null, status: { code: 0, message: null }, scope: { ...root.scope, version: null } };
    const { client } = await serving(() => ({ trace: { traceId: TRACE_ID, spans: [withNils], partial: null, partialReason: null } }));
    await expect(client.getTrace(TRACE_ID)).resolves.toStrictEqual({ traceId: TRACE_ID, spans: [{ ...root, status: { code: 0 } }] });
  });
});

describe('toPlainBytes and fromWireValue', () => {
  it('convert Buffers at any depth, including at the root, and leave other values alone', () => {
    const value = { a: Buffer.from([1]), b: [Buffer.from([2]), { c: Buffer.from([3]) }], d: 5n, e: 'x', f: null };
    expect(toPlainBytes(value)).toStrictEqual({ a: new Uint8Array([1]), b: [new Uint8Array([2]), { c: new Uint8Array([3]) }], d: 5n, e: 'x', f: null });
    expect(toPlainBytes(Buffer.from([9]))).toStrictEqual(new Uint8Array([9]));
    expect(fromWireValue({ a: null, b: undefined, c: [null] })).toStrictEqual({ c: [null] });
  });

  it('copy the bytes, so a result never aliases the frame buffer', () => {
    const frame = Buffer.from([1, 2, 3, 4]);
    const { id } = toPlainBytes({ id: frame.subarray(1, 3) });
    frame[1] = 99;
    expect(id).toStrictEqual(new Uint8Array([2, 3]));
  });

  it(`reject nesting past ${WIRE_VALUE_NESTING_MAX} with ERR_PROTOCOL instead of overflowing the stack`, () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < WIRE_VALUE_NESTING_MAX + 1; i++) deep = [deep];
    expect(() => toPlainBytes(deep)).toThrow(expect.objectContaining({ code: 'ERR_PROTOCOL' }));
    let ok: unknown = 'leaf';
    for (let i = 0; i < WIRE_VALUE_NESTING_MAX; i++) ok = [ok];
    expect(() => toPlainBytes(ok)).not.toThrow();
  });
});
