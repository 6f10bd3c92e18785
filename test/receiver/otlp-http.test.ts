// Proves the OTLP/HTTP receiver answers every case with its status (200 with and without partial_success, 400, 401, 404, 405, 413 on the wire and after gunzip, 415, 429 with Retry-After, 503 on a store failure), in the content type it received, gzip or identity; and that after each refusal the server stays up and nothing of the refused request is stored.
import zlib from 'node:zlib';
import { ProtobufTraceSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon/server.js';
import { exportRequest } from '../../scripts/testkit/otlp-request.js';
import { removeTempDirs } from '../helpers/store-dir.js';
import { plainSpan } from '../batch/samples.js';
import { SyncGate, otlpDaemon, until } from './daemon-fixture.js';
import { post, type HttpReply } from './otlp-clients.js';

afterAll(removeTempDirs);

const JSON_TYPE = { 'content-type': 'application/json' };

function spansRequest(first: number, count: number): Uint8Array {
  return exportRequest([{ resource: { attributes: { 'service.name': 'http-test' } }, spans: Array.from({ length: count }, (_, i) => plainSpan(first + i)) }]);
}

function storedSpans(daemon: Daemon): number {
  return daemon.store.stats().appendedSpans;
}

/** A refusal stores nothing, and the next good request still succeeds. */
async function expectStillServing(daemon: Daemon, before: number, first: number): Promise<void> {
  expect(storedSpans(daemon)).toBe(before);
  const good = await post(daemon.otlpHttpPort!, { body: spansRequest(first, 2) });
  expect(good.status).toBe(200);
  expect(storedSpans(daemon)).toBe(before + 2);
}

function jsonOf(reply: HttpReply): Record<string, unknown> {
  return JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
}

describe('OTLP/HTTP receiver', () => {
  it('listens on its own port beside the daemon, and an empty request is a success in either content type', async () => {
    const daemon = await otlpDaemon();
    expect(daemon.otlpHttpPort).toBeGreaterThan(0);
    expect(daemon.otlpHttpPort).not.toBe(daemon.port);
    const protobuf = await post(daemon.otlpHttpPort!, { body: new Uint8Array(0) });
    expect(protobuf).toMatchObject({ status: 200, headers: { 'content-type': 'application/x-protobuf' } });
    expect(protobuf.body.length).toBe(0);
    const json = await post(daemon.otlpHttpPort!, { headers: { 'content-type': 'application/json; charset=utf-8' }, body: Buffer.from('{}') });
    expect(json).toMatchObject({ status: 200, headers: { 'content-type': 'application/json' } });
    expect(jsonOf(json)).toEqual({});
    expect(storedSpans(daemon)).toBe(0);
    await daemon.close();
  });

  it('stores spans sent as protobuf, identity and gzip, and as JSON gzip, acknowledging them only once stored', async () => {
    const daemon = await otlpDaemon();
    expect((await post(daemon.otlpHttpPort!, { body: spansRequest(0, 3) })).status).toBe(200);
    expect(storedSpans(daemon)).toBe(3);
    const gzipped = await post(daemon.otlpHttpPort!, { headers: { 'content-encoding': 'gzip' }, body: zlib.gzipSync(spansRequest(3, 4)) });
    expect(gzipped.status).toBe(200);
    expect(storedSpans(daemon)).toBe(7);
    const json = JSON.stringify({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 'j', startTimeUnixNano: '5', endTimeUnixNano: 9 }] }] }],
    });
    const jsonReply = await post(daemon.otlpHttpPort!, { headers: { ...JSON_TYPE, 'content-encoding': 'GZIP' }, body: zlib.gzipSync(json) });
    expect(jsonReply.status).toBe(200);
    expect((await daemon.store.getTrace('ab'.repeat(16)))?.spans.map((span) => span.name)).toEqual(['j']);
    expect(daemon.metrics.snapshot()).toMatchObject({ otlpHttp: { requests: 3, spans: 8, batches: 3, rejectedSpans: 0 } });
    await daemon.close();
  });

  it('answers partial_success with the rejected spans counted, in protobuf and in JSON', async () => {
    const daemon = await otlpDaemon();
    const spans = [plainSpan(0), { ...plainSpan(1), traceId: 'abcdef' }, plainSpan(2)];
    const reply = await post(daemon.otlpHttpPort!, { body: exportRequest([{ spans }]) });
    expect(reply.status).toBe(200);
    const decoded = ProtobufTraceSerializer.deserializeResponse(reply.body);
    expect(Number(decoded.partialSuccess?.rejectedSpans)).toBe(1);
    expect(decoded.partialSuccess?.errorMessage).toMatch(/trace/i);
    expect(storedSpans(daemon)).toBe(2);
    const json = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: '00'.repeat(8), name: 'zero span id', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }] });
    const jsonReply = await post(daemon.otlpHttpPort!, { headers: JSON_TYPE, body: Buffer.from(json) });
    expect(jsonReply.status).toBe(200);
    expect(jsonOf(jsonReply)).toMatchObject({ partialSuccess: { rejectedSpans: '1', errorMessage: expect.any(String) } });
    expect(JsonTraceSerializer.deserializeResponse(jsonReply.body).partialSuccess?.errorMessage).toBe((jsonOf(jsonReply).partialSuccess as { errorMessage: string }).errorMessage);
    expect(storedSpans(daemon)).toBe(2);
    await daemon.close();
  });

  it('refuses a wrong path (404), method (405), content type or encoding (415), and an undecodable body (400), storing nothing', async () => {
    const daemon = await otlpDaemon();
    const port = daemon.otlpHttpPort!;
    const body = spansRequest(0, 2);
    expect((await post(port, { path: '/v1/metrics', body })).status).toBe(404);
    const get = await post(port, { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect((await post(port, { headers: { 'content-type': 'text/plain' }, body })).status).toBe(415);
    expect((await post(port, { headers: { 'content-type': 'application/json; charset=latin1' }, body: Buffer.from('{}') })).status).toBe(415);
    expect((await post(port, { headers: { 'content-encoding': 'br' }, body })).status).toBe(415);
    const garbage = await post(port, { body: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]) });
    expect(garbage.status).toBe(400);
    expect(garbage.headers['content-type']).toBe('application/x-protobuf');
    const badJson = await post(port, { headers: JSON_TYPE, body: Buffer.from('{"resourceSpans": [') });
    expect(badJson.status).toBe(400);
    expect(jsonOf(badJson)).toMatchObject({ code: 3, message: expect.any(String) });
    const truncated = zlib.gzipSync(body);
    const cut = await post(port, { headers: { 'content-encoding': 'gzip' }, body: truncated.subarray(0, truncated.length - 6) });
    expect(cut.status).toBe(400);
    expect(daemon.metrics.snapshot()).toMatchObject({ otlpHttp: { errorsByStatus: { '400': 3, '404': 1, '405': 1, '415': 3 } } });
    await expectStillServing(daemon, 0, 100);
    await daemon.close();
  });

  it('refuses a body over otlpRequestBytesMax with 413: declared, on the wire, or only after gunzip', async () => {
    const bytesMax = 64 * 1024;
    const daemon = await otlpDaemon({ otlpRequestBytesMax: bytesMax });
    const port = daemon.otlpHttpPort!;
    const big = spansRequest(0, 2000);
    expect(big.length).toBeGreaterThan(bytesMax);
    expect((await post(port, { body: big })).status).toBe(413);
    // Chunked: no Content-Length, so only the running count can stop it.
    expect((await post(port, { headers: { 'content-length': undefined, 'transfer-encoding': 'chunked' }, body: big })).status).toBe(413);
    const gzipped = zlib.gzipSync(big);
    expect(gzipped.length).toBeLessThan(bytesMax);
    const inflated = await post(port, { headers: { 'content-encoding': 'gzip' }, body: gzipped });
    expect(inflated.status).toBe(413);
    expect(inflated.body.toString()).toContain('after gunzip');
    await expectStillServing(daemon, 0, 5000);
    await daemon.close();
  });

  it('stops a gzip bomb (1 GiB of zeros) at the limit: 413, and the memory it took stays near the limit', async () => {
    const bytesMax = 4 * 1024 * 1024;
    const daemon = await otlpDaemon({ otlpRequestBytesMax: bytesMax });
    // gzip members concatenate: 1024 copies of 1 MiB of zeros is a 1 GiB stream of ~1 MB.
    const member = zlib.gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 1024 }, () => member));
    const rssBefore = process.memoryUsage().rss;
    const reply = await post(daemon.otlpHttpPort!, { headers: { 'content-encoding': 'gzip' }, body: bomb });
    expect(reply.status).toBe(413);
    // Inflated whole it would be 1 GiB; stopped at the limit it is a few MiB plus allocator slack.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(128 * 1024 * 1024);
    await expectStillServing(daemon, 0, 0);
    await daemon.close();
  });

  it('requires Authorization: Bearer <token> when the daemon has a token (401 otherwise)', async () => {
    const daemon = await otlpDaemon({ token: 's3cret' });
    const port = daemon.otlpHttpPort!;
    const body = spansRequest(0, 1);
    const missing = await post(port, { body });
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect((await post(port, { headers: { authorization: 'Bearer wrong' }, body })).status).toBe(401);
    expect((await post(port, { headers: { authorization: 's3cret' }, body })).status).toBe(401);
    expect(storedSpans(daemon)).toBe(0);
    expect((await post(port, { headers: { authorization: 'Bearer s3cret' }, body })).status).toBe(200);
    expect(storedSpans(daemon)).toBe(1);
    await daemon.close();
  });

  it('answers 429 with Retry-After over the in-flight budget while a request is held, and takes the retry', async () => {
    const gate = new SyncGate();
    const daemon = await otlpDaemon({ inFlightBytesMax: 1 }, gate);
    const port = daemon.otlpHttpPort!;
    gate.hold();
    const held = post(port, { body: spansRequest(0, 1) });
    await until(() => gate.waiting > 0);
    const busy = await post(port, { body: spansRequest(1, 1) });
    expect(busy.status).toBe(429);
    expect(Number(busy.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const busyJson = await post(port, { headers: JSON_TYPE, body: Buffer.from('{}') });
    expect(busyJson.status).toBe(429);
    expect(jsonOf(busyJson)).toMatchObject({ code: 8, details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: expect.stringMatching(/^\d+\.\d{3}s$/) }] });
    gate.release();
    expect((await held).status).toBe(200);
    expect(storedSpans(daemon)).toBe(1);
    expect(daemon.metrics.snapshot()).toMatchObject({ otlpHttp: { busyReplies: 2 } });
    await expectStillServing(daemon, 1, 1);
    await daemon.close();
  });

  it('answers 503 with Retry-After when the store fails, and never 200', async () => {
    const gate = new SyncGate();
    const daemon = await otlpDaemon({}, gate);
    gate.failure = new Error('EIO: simulated');
    const reply = await post(daemon.otlpHttpPort!, { body: spansRequest(0, 3) });
    expect(reply.status).toBe(503);
    expect(Number(reply.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // A google.rpc.Status whose field 1 (code) is 14, UNAVAILABLE.
    expect([...reply.body.subarray(0, 2)]).toEqual([0x08, 14]);
    expect(reply.body.toString('latin1')).toContain('EIO: simulated');
    await daemon.close().catch(() => {});
  });

  it('serves no OTLP when otlp is false, and refuses OTLP ports that clash', async () => {
    const daemon = await otlpDaemon({ otlp: false });
    expect(daemon.otlpHttpPort).toBeNull();
    expect(daemon.otlpGrpcPort).toBeNull();
    await daemon.close();
    await expect(otlpDaemon({ otlpHttpPort: 5000, otlpGrpcPort: 5000 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'otlpGrpcPort' });
    await expect(otlpDaemon({ otlpRequestBytesMax: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'otlpRequestBytesMax' });
  });
});
