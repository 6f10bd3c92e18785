// Proves that TraceClient speaks the protocol over TLS (HELLO first, then requests), checks the daemon's certificate, and refuses TLS versions below 1.2.
import { afterEach, describe, expect, it } from 'vitest';
import { TraceClient } from '../../src/client/trace-client.js';
import { FakeServer } from './fake-server.js';
import { TEST_CERT, TEST_KEY } from '../helpers/tls-fixture.js';

const servers: FakeServer[] = [];
const clients: TraceClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function tlsServer(): Promise<FakeServer> {
  const server = await FakeServer.start((request) => request.connection.reply(request, {}), { tls: { cert: TEST_CERT, key: TEST_KEY }, token: 't' });
  servers.push(server);
  return server;
}

describe('TLS', () => {
  it('connects with the daemon certificate as CA, sends HELLO with the token, and answers requests', async () => {
    const server = await tlsServer();
    const client = await TraceClient.connect({ port: server.port, token: 't', tls: { ca: TEST_CERT } });
    clients.push(client);
    await expect(client.ping()).resolves.toBeUndefined();
    expect(server.hellos).toEqual([{ version: 1, token: 't' }]);
  });

  it('rejects a certificate it cannot verify with ERR_CONNECTION', async () => {
    const server = await tlsServer();
    const error = await TraceClient.connect({ port: server.port, token: 't', tls: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_CONNECTION' });
    expect((error as Error).message).toContain('tls://127.0.0.1');
    expect(server.hellos).toHaveLength(0);
  });

  it('refuses to allow TLS below 1.2', async () => {
    await expect(TraceClient.connect({ port: 1, tls: { maxVersion: 'TLSv1.1' } })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'tls' });
  });
});
