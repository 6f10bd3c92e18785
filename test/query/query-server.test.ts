// Proves the query servers answer store failures from one table: the bulk read keeps its status line honest (a store that fails before the first trace gets its status code, 504 for a timeout, 503 closed; one that fails mid-stream ends the 200 reply with an {"error": …} line after the traces already written), and Jaeger's two routes give a busy or closed store its status, their own JSON error shape and Retry-After, as the Tempo routes do.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Span, StreamedTrace, Trace } from '../../src/api/index.js';
import { TraceKvError } from '../../src/errors.js';
import { startQueryServer, type QueryFace, type QueryServer, type QueryStore } from '../../src/query/index.js';
import { decodedSpan } from '../helpers/decoded-span.js';
import { post } from '../receiver/otlp-clients.js';
import { delimitedMessages } from '../helpers/delimited-messages.js';
import { withOtlpReads } from '../helpers/otlp-reads.js';

const RESOURCE = { attributes: { 'service.name': 'fake' }, droppedAttributesCount: 0 };

function trace(traceId: string): Trace<Span> {
  const span = decodedSpan({ traceId, spanId: '0000000000000001', kind: 2, startTimeUnixNano: 1_700_000_000_000_000_000n, endTimeUnixNano: 1_700_000_000_000_000_001n, resource: RESOURCE });
  return { traceId, spans: [span] };
}

/** A store whose stream yields `before` traces, then fails with `failure`. */
function failingStore(before: number, failure: TraceKvError): QueryStore {
  return withOtlpReads({
    getTrace: () => Promise.reject(failure),
    async *getTracesStream(ids: Iterable<string>): AsyncGenerator<StreamedTrace<Span>> {
      let index = 0;
      for (const id of ids) {
        if (index === before) throw failure;
        yield { index, trace: trace(id) };
        index++;
      }
    },
  });
}

let server: QueryServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function serve(store: QueryStore, face: QueryFace): Promise<QueryServer> {
  server = await startQueryServer(store, { host: '127.0.0.1', port: 0, token: undefined, tls: undefined, idleTimeoutMs: 5_000, maxConnections: 16, closeGraceMs: 1_000, requestTracesMax: 100, face }, () => {});
  return server;
}

async function bulk(store: QueryStore, ids: string[]) {
  server = await serve(store, 'tempo');
  return post(server.port, { path: '/api/v2/traces:batch', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ ids })) });
}

describe('query server bulk read and store failures', () => {
  it('a failure before the first trace is the status code', async () => {
    const timedOut = await bulk(failingStore(0, new TraceKvError('ERR_TIMEOUT', 'read took too long')), ['1', '2']);
    expect([timedOut.status, timedOut.body.toString()]).toEqual([504, 'read took too long\n']);
    await server!.close();
    const closed = await bulk(failingStore(0, new TraceKvError('ERR_STORE_CLOSED', 'closed')), ['1']);
    expect([closed.status, closed.headers['retry-after']]).toEqual([503, '1']);
  });

  it('a failure mid-stream ends the 200 reply with an error line after the traces written', async () => {
    const reply = await bulk(failingStore(2, new TraceKvError('ERR_REQUEST_TOO_LARGE', 'too many span bytes')), ['1', '2', '3', '4']);
    expect(reply.status).toBe(200);
    const lines = reply.body.toString().trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[2]!)).toEqual({ error: { code: 'ERR_REQUEST_TOO_LARGE', message: 'too many span bytes' } });
    expect((JSON.parse(lines[0]!) as { trace: unknown }).trace).toBeDefined();
  });

  it('in protobuf, a failure mid-stream ends the reply with a message holding only the error', async () => {
    server = await serve(failingStore(2, new TraceKvError('ERR_REQUEST_TOO_LARGE', 'too many span bytes')), 'tempo');
    const headers = { 'content-type': 'application/json', accept: 'application/protobuf' };
    const reply = await post(server.port, { path: '/api/v2/traces:batch', headers, body: Buffer.from(JSON.stringify({ ids: ['1', '2', '3', '4'] })) });
    expect(reply.status).toBe(200);
    const messages = delimitedMessages(reply.body);
    expect(messages).toHaveLength(3);
    // Field 1 (trace) first in the traces written; the last is field 4 (message) alone.
    expect(messages.slice(0, 2).map((message) => message[0])).toEqual([0x0a, 0x0a]);
    const text = 'ERR_REQUEST_TOO_LARGE: too many span bytes';
    expect(messages[2]).toEqual(Buffer.concat([Buffer.from([0x22, text.length]), Buffer.from(text)]));
  });
});

describe('query server bulk read under backpressure', () => {
  it('waits for a slow reader without piling up listeners on the reply (no MaxListenersExceededWarning)', async () => {
    // Each trace is ~256 KiB of JSON, so nearly every line fills the socket buffer and waits for 'drain'.
    const big = 'x'.repeat(256 * 1024);
    const store: QueryStore = withOtlpReads({
      getTrace: () => Promise.resolve(null),
      async *getTracesStream(ids: Iterable<string>): AsyncGenerator<StreamedTrace<Span>> {
        let index = 0;
        for (const id of ids) {
          const span = decodedSpan({ traceId: id, spanId: '0000000000000001', kind: 2, startTimeUnixNano: 1n, endTimeUnixNano: 2n, resource: RESOURCE, attributes: { big } });
          yield { index: index++, trace: { traceId: id, spans: [span] } };
        }
      },
    });
    server = await serve(store, 'tempo');
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      const ids = Array.from({ length: 30 }, (_, i) => (i + 1).toString(16).padStart(32, '0'));
      const body = await new Promise<string>((resolve, reject) => {
        const request = http.request({ host: '127.0.0.1', port: server!.port, path: '/api/v2/traces:batch', method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => {
          let text = '';
          response.setEncoding('utf8');
          // A slow reader: a chunk, then a pause, so the server's writes back up again and again.
          response.on('data', (chunk: string) => {
            text += chunk;
            response.pause();
            setTimeout(() => response.resume(), 1);
          });
          response.on('end', () => resolve(text));
          response.on('error', reject);
        });
        request.on('error', reject);
        request.end(JSON.stringify({ ids }));
      });
      expect(body.trimEnd().split('\n')).toHaveLength(30);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings.filter((warning) => warning.includes('MaxListenersExceeded'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('Jaeger routes and store failures', () => {
  const traceId = 'ab'.repeat(16);
  const get = (port: number, path: string) => post(port, { path, method: 'GET', headers: { 'content-type': undefined, 'content-length': undefined } });
  const cases = [
    { failure: new TraceKvError('ERR_BUSY', 'reader queue full'), status: 429, retryAfter: '1' },
    { failure: new TraceKvError('ERR_STORE_CLOSED', 'the store is closed'), status: 503, retryAfter: '1' },
    { failure: new TraceKvError('ERR_TIMEOUT', 'read took too long'), status: 504, retryAfter: undefined },
  ];

  it.each(cases)('$failure.code is $status in each API’s error shape, with Retry-After when retryable', async ({ failure, status, retryAfter }) => {
    const { port } = await serve(failingStore(0, failure), 'jaeger');
    const internal = await get(port, `/api/traces/${traceId}`);
    expect([internal.status, internal.headers['content-type'], internal.headers['retry-after']]).toEqual([status, 'application/json', retryAfter]);
    expect(JSON.parse(internal.body.toString())).toEqual({ data: null, total: 0, limit: 0, offset: 0, errors: [{ code: status, msg: failure.message }] });
    const v3 = await get(port, `/api/v3/traces/${traceId}`);
    expect([v3.status, v3.headers['content-type'], v3.headers['retry-after']]).toEqual([status, 'application/json', retryAfter]);
    expect(JSON.parse(v3.body.toString())).toEqual({ error: { httpCode: status, message: failure.message } });
  });

  it('the Tempo routes answer the same codes from the same table, as text', async () => {
    const { port } = await serve(failingStore(0, new TraceKvError('ERR_BUSY', 'reader queue full')), 'tempo');
    const reply = await get(port, `/api/v2/traces/${traceId}`);
    expect([reply.status, reply.headers['retry-after'], reply.body.toString()]).toEqual([429, '1', 'reader queue full\n']);
  });
});
