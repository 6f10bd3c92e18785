// Proves how TraceClient fails: deadlines give ERR_TIMEOUT, lost connections retry reads but never an APPEND of unknown outcome, ERR_BUSY waits at least retryAfterMs, exhausted retries give the typed error, server codes pass through, malformed frames give ERR_PROTOCOL, and close() rejects what is pending.
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_REQUESTS_IN_FLIGHT_MAX } from '../../src/constants.js';
import { TraceClient } from '../../src/client/trace-client.js';
import { Opcode } from '../../src/protocol/frame.js';
import { FakeServer, type FakeRequest, SPAN_ID, TRACE_ID, until } from './fake-server.js';
import { rejection } from '../helpers/rejection.js';

const servers: FakeServer[] = [];
const clients: TraceClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function setup(options: Partial<Parameters<typeof TraceClient.connect>[0]> = {}): Promise<{ server: FakeServer; client: TraceClient }> {
  const server = await FakeServer.start(() => {});
  servers.push(server);
  const client = await TraceClient.connect({ port: server.port, retryBaseMs: 5, retryCapMs: 20, ...options });
  clients.push(client);
  return { server, client };
}

const APPENDED = { spans: 3, generationId: 1, segmentId: 2, fileOffset: 4096 };
const BATCH = new Uint8Array([1, 2, 3]);

function answer(request: FakeRequest): void {
  if (request.opcode === Opcode.APPEND) request.connection.reply(request, APPENDED);
  else if (request.opcode === Opcode.GET_TRACE) request.connection.reply(request, { trace: null });
  else request.connection.reply(request, {});
}

describe('deadlines', () => {
  it('rejects with ERR_TIMEOUT when the daemon never answers, drops the late answer, and carries on', async () => {
    const { server, client } = await setup();
    const error = await rejection(client.getTrace(TRACE_ID, { timeoutMs: 50 }));
    expect(error.code).toBe('ERR_TIMEOUT');
    const late = server.requests[0]!;
    late.connection.reply(late, { trace: { traceId: TRACE_ID, spans: [] } });
    server.handler = answer;
    await expect(client.getTrace(TRACE_ID)).resolves.toBeNull();
    expect(client.clientStats.errors).toEqual({ ERR_TIMEOUT: 1 });
  });

  it('says the outcome of a timed-out APPEND is unknown', async () => {
    const { client } = await setup({ timeoutMs: 50 });
    const error = await rejection(client.append(BATCH));
    expect(error.code).toBe('ERR_TIMEOUT');
    expect(error.message).toContain('outcome is unknown');
  });

  it('rejects a bad per-call timeoutMs with ERR_INVALID_ARGUMENT', async () => {
    const { server, client } = await setup();
    await expect(client.getSpan(TRACE_ID, SPAN_ID, { timeoutMs: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(server.requests).toHaveLength(0);
  });
});

describe('lost connections', () => {
  it('retries in-flight reads on a new connection (with a new HELLO) but rejects the in-flight APPEND', async () => {
    const { server, client } = await setup();
    const stats = { store: { generations: 1 }, server: { connections: 1 } };
    server.handler = (request) => {
      const first = server.connections[0]!;
      if (request.connection === first) {
        if (server.requests.length === 3) first.destroy();
      } else if (request.opcode === Opcode.STATS) request.connection.reply(request, stats);
      else answer(request);
    };
    const read = client.getTrace(TRACE_ID);
    const append = rejection(client.append(BATCH));
    const remoteStats = client.stats();
    await expect(read).resolves.toBeNull();
    await expect(remoteStats).resolves.toEqual(stats);
    const error = await append;
    expect(error.code).toBe('ERR_CONNECTION');
    expect(error.message).toContain('outcome is unknown');
    expect(server.of(Opcode.APPEND)).toHaveLength(1);
    expect(server.hellos).toHaveLength(2);
    expect(client.clientStats).toMatchObject({ reconnects: 1, connected: true });
  });

  it('reconnects lazily: the next call after a drop opens a new connection', async () => {
    const { server, client } = await setup();
    server.handler = answer;
    server.connections[0]!.destroy();
    await until(() => !client.clientStats.connected);
    await expect(client.append(BATCH)).resolves.toEqual(APPENDED);
    expect(server.connections).toHaveLength(2);
  });

  it('gives up on a read after retriesMax with the last ERR_CONNECTION', async () => {
    const { server, client } = await setup({ retriesMax: 2 });
    server.handler = (request) => request.connection.destroy();
    const error = await rejection(client.getTrace(TRACE_ID));
    expect(error.code).toBe('ERR_CONNECTION');
    expect(server.of(Opcode.GET_TRACE)).toHaveLength(3);
    expect(client.clientStats.retries).toBe(2);
  });
});

describe('a daemon that goes away', () => {
  it('is reconnected to, with backoff, once it listens again: a read spanning the outage succeeds', async () => {
    const { server, client } = await setup({ retriesMax: 20, retryBaseMs: 10, retryCapMs: 40 });
    const port = server.port;
    await server.close();
    servers.length = 0;
    const read = client.getTrace(TRACE_ID);
    await new Promise((resolve) => setTimeout(resolve, 100));
    servers.push(await FakeServer.start(answer, { port }));
    await expect(read).resolves.toBeNull();
    expect(client.clientStats.retries).toBeGreaterThan(0);
    expect(client.clientStats.reconnects).toBe(1);
  });

  it('replaces a connection whose every slot is held by a request that timed out', async () => {
    const { server, client } = await setup();
    const calls = Array.from({ length: CLIENT_REQUESTS_IN_FLIGHT_MAX }, (_, i) => rejection(client.getSpan(TRACE_ID, SPAN_ID, { timeoutMs: 50 + i })));
    expect(new Set((await Promise.all(calls)).map((error) => error.code))).toEqual(new Set(['ERR_TIMEOUT']));
    await until(() => !client.clientStats.connected);
    expect(client.clientStats.inFlight).toBe(0);
    server.handler = answer;
    await expect(client.ping()).resolves.toBeUndefined();
    expect(server.connections).toHaveLength(2);
  });
});

describe('ERR_BUSY', () => {
  it('retries an APPEND after at least retryAfterMs, then succeeds', async () => {
    const { server, client } = await setup({ retryBaseMs: 1 });
    const retryAfterMs = 120;
    server.handler = (request) => (server.requests.length === 1 ? request.connection.error(request, 'ERR_BUSY', 'over budget', retryAfterMs) : answer(request));
    await expect(client.append(BATCH)).resolves.toEqual(APPENDED);
    const [busy, accepted] = server.of(Opcode.APPEND);
    // 1 ms of slack: timers and performance.now() round differently.
    expect(accepted!.atMs - busy!.atMs).toBeGreaterThanOrEqual(retryAfterMs - 1);
    expect(client.clientStats).toMatchObject({ busyReplies: 1, retries: 1 });
  });

  it('rejects with the last ERR_BUSY (and its retryAfterMs) once retriesMax is spent', async () => {
    const { server, client } = await setup({ retriesMax: 3 });
    server.handler = (request) => request.connection.error(request, 'ERR_BUSY', 'still busy', 2);
    const error = await rejection(client.append(BATCH));
    expect(error).toMatchObject({ code: 'ERR_BUSY', message: 'still busy', retryAfterMs: 2 });
    expect(server.of(Opcode.APPEND)).toHaveLength(4);
  });

  it('gives up with ERR_TIMEOUT at once when retryAfterMs would pass the deadline', async () => {
    const { server, client } = await setup();
    server.handler = (request) => request.connection.error(request, 'ERR_BUSY', 'busy', 60_000);
    const error = await rejection(client.ping());
    expect(error.code).toBe('ERR_TIMEOUT');
    expect(error.message).toContain('ERR_BUSY');
    expect(server.requests).toHaveLength(1);
  });
});

describe('server errors', () => {
  it.each(['ERR_BATCH_CORRUPT', 'ERR_INVALID_ARGUMENT', 'ERR_TRACE_TOO_LARGE', 'ERR_UNKNOWN_OPCODE'])('passes %s through unchanged, without retrying', async (code) => {
    const { server, client } = await setup();
    server.handler = (request) => request.connection.error(request, code, `daemon says ${code}`);
    const error = await rejection(client.append(BATCH));
    expect(error.code).toBe(code);
    expect(error.message).toBe(`daemon says ${code}`);
    expect(server.requests).toHaveLength(1);
    server.handler = answer;
    await expect(client.ping()).resolves.toBeUndefined();
    expect(server.connections).toHaveLength(1);
  });
});

describe('malformed frames', () => {
  const badFrames: [string, Buffer][] = [
    ['a length below 12', Buffer.from([5, 0, 0, 0, 0])],
    ['reserved bits set', Buffer.from([12, 0, 0, 0, 0x87, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0])],
    ['a header that is not a map', Buffer.from([13, 0, 0, 0, 0x87, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0x01])],
  ];
  it.each(badFrames)('with %s close the connection and reject everything in flight with ERR_PROTOCOL', async (_, bytes) => {
    const { server, client } = await setup();
    const calls = [client.ping(), client.getTrace(TRACE_ID), client.append(BATCH)].map(rejection);
    await until(() => server.requests.length === 3);
    server.connections[0]!.writeRaw(bytes);
    expect((await Promise.all(calls)).map((error) => error.code)).toEqual(['ERR_PROTOCOL', 'ERR_PROTOCOL', 'ERR_PROTOCOL']);
    server.handler = answer;
    await expect(client.ping()).resolves.toBeUndefined();
    expect(server.connections).toHaveLength(2);
  });

  it('treats an answer to a request never sent, or of the wrong opcode, as ERR_PROTOCOL', async () => {
    const { server, client } = await setup();
    const ping = client.ping();
    await until(() => server.requests.length === 1);
    server.connections[0]!.send(Opcode.GET_SPAN | 0x80, 0, server.requests[0]!.requestId, { span: null });
    expect((await rejection(ping)).code).toBe('ERR_PROTOCOL');
  });

  it('passes a connection-level ERROR (request id 0) to everything in flight', async () => {
    const { server, client } = await setup();
    const read = client.getTrace(TRACE_ID);
    await until(() => server.requests.length === 1);
    server.connections[0]!.error(null, 'ERR_PROTOCOL', 'your frame was malformed');
    const error = await rejection(read);
    expect(error.code).toBe('ERR_PROTOCOL');
    expect(error.message).toContain('your frame was malformed');
  });
});

describe('close()', () => {
  it('rejects pending calls with ERR_CONNECTION, is idempotent, and refuses calls afterwards without I/O', async () => {
    const { server, client } = await setup();
    const read = rejection(client.getTrace(TRACE_ID));
    const append = rejection(client.append(BATCH));
    await until(() => server.requests.length === 2);
    const closing = client.close();
    expect(client.close()).toBe(closing);
    await closing;
    await client.close();
    expect((await read).code).toBe('ERR_CONNECTION');
    const appendError = await append;
    expect(appendError.code).toBe('ERR_CONNECTION');
    expect(appendError.message).toContain('closed');
    const after = await rejection(client.ping());
    expect(after.code).toBe('ERR_CONNECTION');
    expect(server.requests).toHaveLength(2);
  });

  it('also ends calls waiting in a backoff', async () => {
    const { server, client } = await setup();
    server.handler = (request) => request.connection.error(request, 'ERR_BUSY', 'busy', 5_000);
    const ping = rejection(client.ping());
    await until(() => server.requests.length === 1);
    await client.close();
    expect((await ping).code).toBe('ERR_CONNECTION');
  });
});
