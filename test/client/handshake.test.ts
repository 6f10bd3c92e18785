// Proves that TraceClient validates its options, sends HELLO (with its token) before anything else, surfaces ERR_AUTH and ERR_UNSUPPORTED_VERSION, and honours the daemon's frameBytesMax.
import { afterEach, describe, expect, it } from 'vitest';
import { TraceClient } from '../../src/client/trace-client.js';
import { TraceKvError } from '../../src/errors.js';
import { Opcode } from '../../src/protocol/frame.js';
import { FakeServer } from './fake-server.js';

const servers: FakeServer[] = [];
const clients: TraceClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(...args: Parameters<typeof FakeServer.start>): Promise<FakeServer> {
  const server = await FakeServer.start(...args);
  servers.push(server);
  return server;
}

async function connect(options: Parameters<typeof TraceClient.connect>[0]): Promise<TraceClient> {
  const client = await TraceClient.connect(options);
  clients.push(client);
  return client;
}

function pong(server: FakeServer): void {
  server.handler = (request) => request.connection.reply(request, {});
}

describe('options', () => {
  it.each([
    [{ port: 0 }, 'port'],
    [{ port: 70_000 }, 'port'],
    [{ port: 1, host: '' }, 'host'],
    [{ port: 1, token: '' }, 'token'],
    [{ port: 1, timeoutMs: 0 }, 'timeoutMs'],
    [{ port: 1, connectTimeoutMs: Number.NaN }, 'connectTimeoutMs'],
    [{ port: 1, retriesMax: 1.5 }, 'retriesMax'],
    [{ port: 1, retryBaseMs: -1 }, 'retryBaseMs'],
    [{ port: 1, retryBaseMs: 100, retryCapMs: 10 }, 'retryCapMs'],
    [{ port: 1, frameBytesMax: 100 }, 'frameBytesMax'],
    [{ port: 1, tls: { minVersion: 'TLSv1.1' as const } }, 'tls'],
    [{ port: 1, tls: 'yes' }, 'tls'],
    [{ port: 1, colour: 'blue' }, 'colour'],
  ])('rejects %j naming %s', async (options, name) => {
    const error = await TraceClient.connect(options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TraceKvError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', option: name });
  });
});

describe('HELLO', () => {
  it('is the first frame, carries the token, and is answered before any request is sent', async () => {
    const server = await serve(() => {}, { token: 's3cret' });
    pong(server);
    const client = await connect({ port: server.port, token: 's3cret' });
    expect(server.hellos).toEqual([{ version: 1, token: 's3cret' }]);
    await client.ping();
    expect(server.of(Opcode.PING)).toHaveLength(1);
  });

  it('omits the token when none is given', async () => {
    const server = await serve(() => {});
    await connect({ port: server.port });
    expect(server.hellos).toEqual([{ version: 1 }]);
  });

  it('rejects connect() with ERR_AUTH when the daemon refuses the token', async () => {
    const server = await serve(() => {}, { token: 's3cret' });
    const error = await TraceClient.connect({ port: server.port, token: 'wrong' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TraceKvError);
    expect(error).toMatchObject({ code: 'ERR_AUTH', message: 'bad token' });
  });

  it('rejects connect() with ERR_UNSUPPORTED_VERSION when the daemon speaks another version', async () => {
    const server = await serve(() => {}, { helloVersion: 2 });
    const error = await TraceClient.connect({ port: server.port }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_UNSUPPORTED_VERSION' });
  });

  it('rejects connect() with ERR_CONNECTION when nothing listens', async () => {
    const server = await serve(() => {});
    const port = server.port;
    await server.close();
    servers.length = 0;
    const error = await TraceClient.connect({ port }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_CONNECTION' });
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
  });

  it('rejects connect() with ERR_CONNECTION when HELLO gets no reply within connectTimeoutMs', async () => {
    const silent = await serve(() => {}, { silentHello: true });
    const error = await TraceClient.connect({ port: silent.port, connectTimeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_CONNECTION' });
    expect((error as Error).message).toContain('HELLO');
  });
});

describe("the daemon's frameBytesMax", () => {
  it('rejects an APPEND whose frame would pass it with ERR_BATCH_TOO_LARGE, without sending', async () => {
    const server = await serve(() => {}, { frameBytesMax: 1_000 });
    const client = await connect({ port: server.port });
    const error = await client.append(new Uint8Array(1_000)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_BATCH_TOO_LARGE' });
    // 12 fixed bytes + 1 header byte + 987 batch bytes is exactly 1,000: that one is sent.
    server.handler = (request) => request.connection.reply(request, { spans: 1, generationId: 1, segmentId: 0, fileOffset: 32 });
    await expect(client.append(new Uint8Array(987))).resolves.toEqual({ spans: 1, generationId: 1, segmentId: 0, fileOffset: 32 });
    expect(server.of(Opcode.APPEND).map((request) => request.payload.length)).toEqual([987]);
  });

  it('rejects any other request too large for it with ERR_REQUEST_TOO_LARGE, without sending', async () => {
    const server = await serve(() => {}, { frameBytesMax: 1_000 });
    const client = await connect({ port: server.port });
    const ids = Array.from({ length: 100 }, (_, i) => (i + 1).toString(16).padStart(32, '0'));
    await expect(client.getTraces(ids)).rejects.toMatchObject({ code: 'ERR_REQUEST_TOO_LARGE' });
    expect(server.requests).toHaveLength(0);
  });

  it('rejects a HELLO reply with an out-of-range frameBytesMax as ERR_PROTOCOL', async () => {
    const server = await serve(() => {}, { frameBytesMax: 3 });
    await expect(TraceClient.connect({ port: server.port })).rejects.toMatchObject({ code: 'ERR_PROTOCOL' });
  });
});
