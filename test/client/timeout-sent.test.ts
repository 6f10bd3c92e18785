// Proves TraceClient's ERR_TIMEOUT says whether the request was written to the socket: sent:false only when no attempt's bytes ever reached it (so the daemon cannot have received the request and a resend is safe), sent:true once any attempt's were.
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_REQUESTS_IN_FLIGHT_MAX } from '../../src/constants.js';
import { TraceClient } from '../../src/client/trace-client.js';
import { TraceKvError } from '../../src/errors.js';
import { Opcode } from '../../src/protocol/frame.js';
import { FakeServer, TRACE_ID, until } from './fake-server.js';

const servers: FakeServer[] = [];
const clients: TraceClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(options: Parameters<typeof FakeServer.start>[1] = {}): Promise<FakeServer> {
  const server = await FakeServer.start(() => {}, options);
  servers.push(server);
  return server;
}

/** `timeoutMs` is the default deadline of every call, APPEND's included (it takes no per-call options). */
async function connect(server: FakeServer, timeoutMs = 2_000, retriesMax?: number): Promise<TraceClient> {
  const client = await TraceClient.connect({ port: server.port, retryBaseMs: 5, retryCapMs: 20, timeoutMs, ...(retriesMax === undefined ? {} : { retriesMax }) });
  clients.push(client);
  return client;
}

async function timeout(promise: Promise<unknown>): Promise<TraceKvError> {
  const error = await promise.then(
    () => new Error('resolved; want a rejection'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TraceKvError);
  expect((error as TraceKvError).code).toBe('ERR_TIMEOUT');
  return error as TraceKvError;
}

/** Replaces `server` with one on the same port that accepts connections and never answers HELLO. */
async function stallHandshakes(server: FakeServer): Promise<FakeServer> {
  const port = server.port;
  await server.close();
  servers.splice(servers.indexOf(server), 1);
  return start({ port, silentHello: true });
}

const BATCH = new Uint8Array([1, 2, 3]);

describe('ERR_TIMEOUT sent', () => {
  it('is true for a request written and never answered', async () => {
    const server = await start();
    const client = await connect(server);
    const error = await timeout(client.getTrace(TRACE_ID, { timeoutMs: 50 }));
    expect(error.sent).toBe(true);
    expect(error.message).toContain('sent: true');
    expect(server.requests).toHaveLength(1);
  });

  it('is true for an APPEND written and never answered, whose outcome is unknown', async () => {
    const client = await connect(await start(), 50);
    const error = await timeout(client.append(BATCH));
    expect(error.sent).toBe(true);
    expect(error.message).toContain('outcome is unknown');
  });

  it('is false when the reconnect never completes its handshake: nothing reached the socket', async () => {
    const server = await start();
    const client = await connect(server, 100);
    const stalled = await stallHandshakes(server);
    await until(() => !client.clientStats.connected);
    const read = await timeout(client.getTrace(TRACE_ID));
    expect(read.sent).toBe(false);
    expect(read.message).toContain('sent: false');
    const append = await timeout(client.append(BATCH));
    expect(append.sent).toBe(false);
    expect(stalled.requests).toHaveLength(0);
  });

  it('is false when the call timed out waiting for a request slot', async () => {
    const server = await start();
    const client = await connect(server);
    const holding = Array.from({ length: CLIENT_REQUESTS_IN_FLIGHT_MAX }, () => client.getTrace(TRACE_ID, { timeoutMs: 10_000 }).catch(() => {}));
    await until(() => server.requests.length === CLIENT_REQUESTS_IN_FLIGHT_MAX);
    const error = await timeout(client.getTrace(TRACE_ID, { timeoutMs: 50 }));
    expect(error.sent).toBe(false);
    expect(server.requests).toHaveLength(CLIENT_REQUESTS_IN_FLIGHT_MAX);
    for (const request of server.requests) request.connection.reply(request, { trace: null });
    await Promise.all(holding);
  });

  it('is true when an earlier attempt was written, even though the last one timed out before writing', async () => {
    const server = await start();
    // Retries enough that the refused connects while the port changes hands cannot use them up:
    // the call must end at its deadline.
    const client = await connect(server, 2_000, 100);
    let stalled: Promise<FakeServer> | null = null;
    // The first attempt reaches the daemon, which then goes away; the read is retried on a new
    // connection whose handshake never completes.
    server.handler = (request) => {
      if (request.opcode === Opcode.GET_TRACE) stalled ??= stallHandshakes(server);
    };
    const error = await timeout(client.getTrace(TRACE_ID, { timeoutMs: 300 }));
    expect(server.requests).toHaveLength(1);
    expect((await stalled!).requests).toHaveLength(0);
    expect(client.clientStats.retries).toBeGreaterThan(0);
    expect(error.sent).toBe(true);
  });

  it("is true for the daemon's own ERR_TIMEOUT answer", async () => {
    const server = await start();
    server.handler = (request) => request.connection.error(request, 'ERR_TIMEOUT', 'read did not finish within its timeout');
    const client = await connect(server);
    const error = await timeout(client.getTrace(TRACE_ID));
    expect(error.sent).toBe(true);
  });
});

