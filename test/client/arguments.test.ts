// Proves that TraceClient rejects bad ids, bounds and options with ERR_INVALID_ARGUMENT before any I/O, exactly as the embedded store would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceClient } from '../../src/client/trace-client.js';
import type { TraceQuery } from '../../src/api/index.js';
import { FakeServer, SPAN_ID, TRACE_ID } from './fake-server.js';

let server: FakeServer;
let client: TraceClient;

beforeAll(async () => {
  server = await FakeServer.start((request) => request.connection.reply(request, {}));
  client = await TraceClient.connect({ port: server.port });
});

afterAll(async () => {
  await client.close();
  await server.close();
});

const badTraceIds: [string, unknown][] = [
  ['too short', 'abc'],
  ['non-hex', 'zz'.repeat(16)],
  ['all zero', '0'.repeat(32)],
  ['8 bytes', new Uint8Array(8).fill(1)],
  ['a number', 42],
  ['null', null],
];

describe('bad input is ERR_INVALID_ARGUMENT, with no request sent', () => {
  it.each(badTraceIds)('getTrace with a trace id that is %s', async (_, id) => {
    await expect(client.getTrace(id as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(server.requests).toHaveLength(0);
  });

  it.each(badTraceIds)('getTraces with a trace id that is %s, at any position', async (_, id) => {
    await expect(client.getTraces([TRACE_ID, id as string])).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringContaining('traceIds[1]') });
    await expect(client.getTraces([{ traceId: id as string }])).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringContaining('traceIds[0].traceId') });
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    ['too short', '0123'],
    ['all zero', '0'.repeat(16)],
    ['16 bytes', new Uint8Array(16).fill(1)],
  ])('getSpan with a span id that is %s', async (_, id) => {
    await expect(client.getSpan(TRACE_ID, id)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringContaining('spanId') });
    await expect(client.getSpan('0'.repeat(32), SPAN_ID)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    ['a number bound', { startTimeUnixNano: 5 }],
    ['a negative bound', { endTimeUnixNano: -1n }],
    ['start after end', { startTimeUnixNano: 9n, endTimeUnixNano: 3n }],
  ])('time bounds: %s', async (_, bounds) => {
    await expect(client.getTrace(TRACE_ID, bounds as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(client.getTraces([{ traceId: TRACE_ID, ...bounds } as TraceQuery])).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(server.requests).toHaveLength(0);
  });

  it('a traceIds argument that is not an array, and a batch that is not a Uint8Array', async () => {
    await expect(client.getTraces(TRACE_ID as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(client.append('batch' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(server.requests).toHaveLength(0);
  });

  it('ids given as Uint8Array or upper-case hex are accepted', async () => {
    server.handler = (request) => request.connection.reply(request, { span: null });
    await expect(client.getSpan(Buffer.from(TRACE_ID, 'hex'), SPAN_ID.toUpperCase())).resolves.toBeNull();
    expect(server.requests).toHaveLength(1);
  });
});
