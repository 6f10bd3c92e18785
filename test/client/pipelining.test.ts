// Proves that TraceClient pipelines requests on one connection with increasing ids, matches responses that arrive in any order, assembles streamed GET_TRACES replies in input order, and never has more than 64 requests in flight.
import { afterEach, describe, expect, it } from 'vitest';
import { nextRequestId } from '../../src/client/connection.js';
import { CLIENT_REQUESTS_IN_FLIGHT_MAX } from '../../src/constants.js';
import { TraceClient } from '../../src/client/trace-client.js';
import { Opcode } from '../../src/protocol/frame.js';
import { decodedSpan } from '../helpers/decoded-span.js';
import { FakeServer, type FakeRequest, SPAN_ID, TRACE_ID, until } from './fake-server.js';

const servers: FakeServer[] = [];
const clients: TraceClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function setup(): Promise<{ server: FakeServer; client: TraceClient }> {
  const server = await FakeServer.start(() => {});
  servers.push(server);
  const client = await TraceClient.connect({ port: server.port });
  clients.push(client);
  return { server, client };
}

function traceIdOf(n: number): string {
  return n.toString(16).padStart(32, '0');
}

function hex(bytes: unknown): string {
  return Buffer.from(bytes as Uint8Array).toString('hex');
}

/** A decoded-shape span as the daemon would send it. */
function spanOf(traceId: string, name: string) {
  return decodedSpan({ traceId, spanId: SPAN_ID, name });
}

describe('pipelining', () => {
  it('sends every request before any answer, and matches answers given in reverse order', async () => {
    const { server, client } = await setup();
    const calls = [1, 2, 3, 4, 5].map((n) => client.getTrace(traceIdOf(n)));
    await until(() => server.requests.length === 5);
    const ids = server.requests.map((request) => request.requestId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(5);
    for (const request of [...server.requests].reverse()) {
      const traceId = hex(request.header.traceId);
      request.connection.reply(request, { trace: { traceId, spans: [spanOf(traceId, `span of ${traceId}`)] } });
    }
    const traces = await Promise.all(calls);
    expect(traces.map((trace) => trace?.spans[0]?.name)).toEqual([1, 2, 3, 4, 5].map((n) => `span of ${traceIdOf(n)}`));
  });

  it('sends ids as bin and times as bigint, only the bounds and flags given', async () => {
    const { server, client } = await setup();
    const call = client.getTraces([TRACE_ID, { traceId: traceIdOf(7), endTimeUnixNano: 9n }], { startTimeUnixNano: 5n, raw: true });
    await until(() => server.requests.length === 1);
    const [request] = server.requests;
    expect(request!.opcode).toBe(Opcode.GET_TRACES);
    const header = request!.header as { ids: unknown[]; startTimeUnixNano: unknown; raw: unknown };
    expect(Buffer.isBuffer(header.ids[0])).toBe(true);
    expect(hex(header.ids[0])).toBe(TRACE_ID);
    expect(Object.keys(header.ids[1] as object)).toEqual(['traceId', 'endTimeUnixNano']);
    expect((header.ids[1] as { endTimeUnixNano: unknown }).endTimeUnixNano).toBe(9n);
    expect(Object.keys(header).sort()).toEqual(['ids', 'raw', 'startTimeUnixNano']);
    expect(header.startTimeUnixNano).toBe(5n);
    request!.connection.reply(request!, { traces: [{ index: 1, trace: null }, { index: 0, trace: null }] });
    await expect(call).resolves.toEqual([null, null]);
  });

  it('request ids wrap past u32 to 1, skipping 0 and ids still in flight', () => {
    expect(nextRequestId(0, new Map())).toBe(1);
    expect(nextRequestId(0xffff_fffe, new Map())).toBe(0xffff_ffff);
    expect(nextRequestId(0xffff_ffff, new Map())).toBe(1);
    expect(nextRequestId(0xffff_ffff, new Map([[1, null], [2, null]]))).toBe(3);
  });
});

describe('streamed GET_TRACES', () => {
  it('assembles items from several MORE frames into input order, with null for misses', async () => {
    const { server, client } = await setup();
    const ids = [1, 2, 3, 4, 5, 6].map(traceIdOf);
    const call = client.getTraces(ids);
    await until(() => server.requests.length === 1);
    const request = server.requests[0]!;
    const item = (index: number) => ({ index, trace: { traceId: ids[index], spans: [spanOf(ids[index]!, `n${index}`)] } });
    request.connection.replyPart(request, { traces: [item(4), item(0)] }, true);
    request.connection.replyPart(request, { traces: [{ index: 2, trace: null }, item(5)] }, true);
    request.connection.replyPart(request, { traces: [item(1), item(3)] }, false);
    const traces = await call;
    expect(traces.map((trace) => trace?.spans[0]?.name ?? null)).toEqual(['n0', 'n1', null, 'n3', 'n4', 'n5']);
    expect(traces[0]).toStrictEqual({ traceId: ids[0], spans: [spanOf(ids[0]!, 'n0')] });
  });

  it('keeps answering other requests while a stream is half done', async () => {
    const { server, client } = await setup();
    const stream = client.getTraces([traceIdOf(1), traceIdOf(2)]);
    const ping = client.ping();
    await until(() => server.requests.length === 2);
    const [getTraces, pingRequest] = server.requests as [FakeRequest, FakeRequest];
    getTraces.connection.replyPart(getTraces, { traces: [{ index: 1, trace: null }] }, true);
    pingRequest.connection.reply(pingRequest, {});
    await ping;
    getTraces.connection.replyPart(getTraces, { traces: [{ index: 0, trace: null }] }, false);
    await expect(stream).resolves.toEqual([null, null]);
  });

  it.each([
    ['an index answered twice', [[{ traces: [{ index: 0, trace: null }] }, true], [{ traces: [{ index: 0, trace: null }] }, false]]],
    ['an index out of range', [[{ traces: [{ index: 2, trace: null }] }, true]]],
    ['a final frame with ids unanswered', [[{ traces: [{ index: 0, trace: null }] }, true], [{ traces: [] }, false]]],
    ['a MORE frame with no traces', [[{ traces: [] }, true]]],
    ['a trace that is not a trace', [[{ traces: [{ index: 0, trace: 'x' }] }, true]]],
  ] as [string, [Record<string, unknown>, boolean][]][])('rejects %s with ERR_PROTOCOL', async (_, frames) => {
    const { server, client } = await setup();
    const call = client.getTraces([traceIdOf(1), traceIdOf(2)]);
    await until(() => server.requests.length === 1);
    const request = server.requests[0]!;
    for (const [header, more] of frames) request.connection.replyPart(request, header, more);
    const error = await call.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_PROTOCOL' });
    expect(client.clientStats.retries).toBe(0);
  });
});

describe('requests in flight', () => {
  it(`holds at most ${CLIENT_REQUESTS_IN_FLIGHT_MAX} and sends the rest in call order as answers free slots`, async () => {
    const { server, client } = await setup();
    const total = CLIENT_REQUESTS_IN_FLIGHT_MAX + 6;
    const calls = Array.from({ length: total }, (_, n) => client.getSpan(traceIdOf(n + 1), SPAN_ID));
    await until(() => server.requests.length === CLIENT_REQUESTS_IN_FLIGHT_MAX);
    // Give the client every chance to overrun the limit before checking it did not.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(server.requests).toHaveLength(CLIENT_REQUESTS_IN_FLIGHT_MAX);
    expect(client.clientStats).toMatchObject({ inFlight: CLIENT_REQUESTS_IN_FLIGHT_MAX, queued: 6 });
    const answer = (request: FakeRequest) => request.connection.reply(request, { span: null });
    server.requests.slice(0, 6).forEach(answer);
    await until(() => server.requests.length === total);
    expect(server.requests.map((request) => hex(request.header.traceId))).toEqual(Array.from({ length: total }, (_, n) => traceIdOf(n + 1)));
    server.requests.slice(6).forEach(answer);
    await expect(Promise.all(calls)).resolves.toEqual(new Array(total).fill(null));
    expect(client.clientStats).toMatchObject({ inFlight: 0, queued: 0, requests: total });
  });
});
